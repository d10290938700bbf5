package refop

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/op"
)

// The login form. The only thing it posts back besides the credentials is
// the auth request's id, an unguessable random value. Login CSRF (an
// attacker making a victim's browser sign in to the attacker's account) is
// stopped by a cookie set with the form, SameSite=Strict, named after the
// request: a cross-site POST arrives without it and is refused before the
// password is even looked at.

const maxFormBytes = 64 << 10

func (p *Provider) login(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet: // not HEAD: showing the form re-binds the cookie
		p.showLogin(w, r)
	case http.MethodPost:
		p.submitLogin(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func (p *Provider) showLogin(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	ar, err := p.store.pendingLogin(id)
	if err != nil {
		p.loginRefused(w, http.StatusBadRequest, err)
		return
	}
	binding, err := p.store.bindLogin(id)
	if err != nil {
		p.loginRefused(w, http.StatusBadRequest, err)
		return
	}
	http.SetCookie(w, p.bindingCookie(id, binding, int(loginTTL.Seconds())))
	p.renderLogin(w, ar.clientID, id, "", "")
}

func (p *Provider) submitLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		p.loginRefused(w, http.StatusBadRequest, errors.New("the form could not be read"))
		return
	}
	id := r.PostForm.Get("id")
	var binding string
	if c, err := r.Cookie(bindingCookieName(id)); err == nil {
		binding = c.Value
	}
	if err := p.store.checkBinding(id, binding); err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, errLoginBinding) {
			status = http.StatusForbidden
		}
		p.loginRefused(w, status, err)
		return
	}
	ar, err := p.store.pendingLogin(id)
	if err != nil {
		p.loginRefused(w, http.StatusBadRequest, err)
		return
	}
	username := strings.TrimSpace(r.PostForm.Get("username"))
	if !p.store.checkPassword(username, r.PostForm.Get("password")) {
		if p.store.loginFailed(id) {
			p.loginRefused(w, http.StatusForbidden, errors.New("too many failed attempts; start again from the application"))
			return
		}
		p.renderLogin(w, ar.clientID, id, username, "Invalid username or password.")
		return
	}
	done, err := p.store.completeLogin(id, username)
	if err != nil {
		p.loginRefused(w, http.StatusBadRequest, err)
		return
	}
	http.SetCookie(w, p.bindingCookie(id, "", -1))
	op.AuthResponse(done, p.op, w, r)
}

func (p *Provider) renderLogin(w http.ResponseWriter, clientID, id, username, errMsg string) {
	renderPage(w, http.StatusOK, "login", pageData{
		Title: "Sign in", Client: clientID, Action: p.prefix + p.slug + "/login/",
		ID: id, Username: username, Error: errMsg,
	})
}

func (p *Provider) loginRefused(w http.ResponseWriter, status int, err error) {
	renderPage(w, status, "message", pageData{Title: "Sign-in failed", Message: err.Error()})
}

// bindingCookieName is per request so two sign-ins in two tabs do not
// overwrite each other's cookie.
func bindingCookieName(id string) string {
	sum := sha256.Sum256([]byte(id))
	return "refop_login_" + hex.EncodeToString(sum[:6])
}

func (p *Provider) bindingCookie(id, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     bindingCookieName(id),
		Value:    value,
		Path:     p.prefix + p.slug + "/login/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   strings.HasPrefix(p.issuer, "https://"),
		SameSite: http.SameSiteStrictMode,
	}
}
