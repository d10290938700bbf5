// Copy buttons: progressive enhancement only. Every value stays visible and
// selectable without this script; the CSP allows scripts from this origin
// only, and nothing here is inline.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button.copy-btn[data-copy]").forEach(function (btn) {
    var target = document.getElementById(btn.getAttribute("data-copy"));
    if (!target || !navigator.clipboard) return;
    btn.hidden = false;
    btn.setAttribute("aria-label", "Copy " + (target.id || "value"));
    btn.addEventListener("click", function () {
      navigator.clipboard.writeText(target.textContent.trim()).then(function () {
        btn.textContent = "Copied";
        setTimeout(function () { btn.textContent = "Copy"; }, 1500);
      });
    });
  });
});
