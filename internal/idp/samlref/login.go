package samlref

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"

	"github.com/crewjam/saml"
)

// The login form keeps no server-side state: it carries the AuthnRequest
// exactly as it arrived (the query string of an HTTP-Redirect request, the
// form fields of an HTTP-POST one), and a successful sign-in replays it
// through the library's ServeSSO, which checks it all again. So the form
// must be submitted while the request is fresh (crewjam/saml accepts an
// IssueInstant up to 90 s old); after that the sign-in fails with "request
// expired" and starts again from the application.
//
// Login CSRF is stopped as in refop: a SameSite=Strict cookie, named after a
// random token the form also carries, must come back with the POST.

const (
	maxFormBytes    = 256 << 10
	loginCookieLife = 10 * 60 // seconds
	bindingRedirect = "redirect"
	bindingPost     = "post"
)

// showLogin renders the form for an AuthnRequest the library has validated.
func (p *Provider) showLogin(w http.ResponseWriter, r *http.Request, req *saml.IdpAuthnRequest) {
	binding, message := bindingRedirect, r.URL.RawQuery
	if r.Method == http.MethodPost {
		fields := url.Values{"SAMLRequest": {r.PostForm.Get("SAMLRequest")}}
		if rs := r.PostForm.Get("RelayState"); rs != "" {
			fields.Set("RelayState", rs)
		}
		binding, message = bindingPost, fields.Encode()
	}
	var b [32]byte
	rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	http.SetCookie(w, p.loginCookie(token, token, loginCookieLife))
	p.renderLogin(w, loginForm{sp: req.ServiceProviderMetadata.EntityID, token: token, binding: binding, message: message})
}

type loginForm struct {
	sp, token, binding, message, username, errMsg string
}

func (p *Provider) renderLogin(w http.ResponseWriter, f loginForm) {
	renderPage(w, http.StatusOK, "login", pageData{
		Title: "Sign in", Client: f.sp, Action: p.prefix + "login/", Token: f.token,
		Binding: f.binding, Request: f.message, Username: f.username, Error: f.errMsg,
	})
}

func (p *Provider) login(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		renderMessage(w, http.StatusBadRequest, "Sign-in failed", "The form could not be read.")
		return
	}
	form := loginForm{
		sp: r.PostForm.Get("sp"), token: r.PostForm.Get("token"), binding: r.PostForm.Get("binding"),
		message: r.PostForm.Get("request"), username: strings.TrimSpace(r.PostForm.Get("username")),
	}
	if !p.checkLoginCookie(r, form.token) {
		renderMessage(w, http.StatusForbidden, "Sign-in failed",
			"This sign-in form has expired or was not opened in this browser; start again from the application.")
		return
	}
	target, idp := p.replay(r, form.binding, form.message)
	if target == nil {
		renderMessage(w, http.StatusBadRequest, "Sign-in failed", "The form does not carry a SAML request.")
		return
	}
	if !p.checkPassword(form.username, r.PostForm.Get("password")) {
		form.errMsg = "Invalid username or password."
		p.renderLogin(w, form)
		return
	}
	http.SetCookie(w, p.loginCookie(form.token, "", -1))
	f := flow{settings: p.snapshot(), user: form.username}
	idp.ServeSSO(w, withFlow(target, f))
}

// replay rebuilds the AuthnRequest the form carries as the request it came
// in, for the endpoint of its binding.
func (p *Provider) replay(r *http.Request, binding, message string) (*http.Request, *saml.IdentityProvider) {
	var target *http.Request
	var idp *saml.IdentityProvider
	var err error
	switch binding {
	case bindingRedirect:
		target, err = http.NewRequestWithContext(r.Context(), http.MethodGet, p.SSOURL()+"?"+message, nil)
		idp = p.redirect
	case bindingPost:
		target, err = http.NewRequestWithContext(r.Context(), http.MethodPost, p.SSOPostURL(), strings.NewReader(message))
		idp = p.post
	default:
		return nil, nil
	}
	if err != nil || message == "" {
		return nil, nil
	}
	if binding == bindingPost {
		target.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	target.RemoteAddr = r.RemoteAddr // the assertion's SubjectConfirmationData Address
	return target, idp
}

// dummyPassword keeps the comparison time the same for unknown users.
var dummyPassword = []byte("samlref-no-such-user-samlref-no-such-user")

func (p *Provider) checkPassword(username, password string) bool {
	u, ok := p.users[username]
	want := dummyPassword
	if ok {
		want = []byte(u.Password)
	}
	match := subtle.ConstantTimeCompare(want, []byte(password)) == 1
	return ok && match && u.Password != ""
}

// loginCookieName is per form so two sign-ins in two tabs do not overwrite
// each other's cookie.
func loginCookieName(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "samlref_login_" + hex.EncodeToString(sum[:6])
}

func (p *Provider) checkLoginCookie(r *http.Request, token string) bool {
	if token == "" {
		return false
	}
	c, err := r.Cookie(loginCookieName(token))
	return err == nil && subtle.ConstantTimeCompare([]byte(c.Value), []byte(token)) == 1
}

func (p *Provider) loginCookie(token, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     loginCookieName(token),
		Value:    value,
		Path:     p.prefix + "login/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   strings.HasPrefix(p.base, "https://"),
		SameSite: http.SameSiteStrictMode,
	}
}
