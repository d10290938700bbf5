// Posts the dashboard SSO assertion form at once, as SAML and OIDC
// form_post pages do. Without JavaScript the visible button does the same.
document.addEventListener("DOMContentLoaded", function () {
  var f = document.querySelector("form[data-autosubmit]");
  if (f) f.submit();
});
