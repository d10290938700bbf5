package portal

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ssogate/ssogate/internal/access"
	"github.com/ssogate/ssogate/internal/access/policy"
	"github.com/ssogate/ssogate/internal/audit"
	federation "github.com/ssogate/ssogate/internal/idp"
	oidcrp "github.com/ssogate/ssogate/internal/idp/oidc"
	samlrp "github.com/ssogate/ssogate/internal/idp/saml"
	"github.com/ssogate/ssogate/internal/ids"
	"github.com/ssogate/ssogate/internal/metrics"
	"github.com/ssogate/ssogate/internal/store"
)

func callbackURL(org orgInfo) string { return org.TeamURL + "/cdn-cgi/access/callback" }

// loginTarget is the application a login is for (nil: the team domain
// itself, i.e. the App Launcher when there is none).
func (p *Portal) loginTarget(r *http.Request, org orgInfo) (*access.App, error) {
	aud := r.URL.Query().Get("kid")
	if aud == "" {
		return p.snap.AppOfType(r.Context(), org.AccountID, access.TypeAppLauncher)
	}
	a, err := p.snap.AppByAUD(r.Context(), aud)
	if err != nil || a.AccountID != org.AccountID {
		return nil, &pageError{status: http.StatusBadRequest, title: "Unknown application",
			message: "This sign-in link names an application that does not exist here."}
	}
	return a, nil
}

// allowedIdPs are the identity providers a login may use: the app's list,
// or every provider of the account when the list is empty.
func (p *Portal) allowedIdPs(r *http.Request, org orgInfo, app *access.App) ([]access.IdentityProvider, error) {
	all, err := p.access.ListIdPs(r.Context(), org.AccountID)
	if err != nil || app == nil || len(app.AllowedIdPs) == 0 {
		return all, err
	}
	var out []access.IdentityProvider
	for _, idp := range all {
		for _, id := range app.AllowedIdPs {
			if idp.ID == id {
				out = append(out, idp)
			}
		}
	}
	return out, nil
}

// handleLogin shows the choice of identity providers, or goes straight to
// the one chosen (or the only one, with auto-redirect on).
func (p *Portal) handleLogin(w http.ResponseWriter, r *http.Request, org orgInfo) error {
	app, err := p.loginTarget(r, org)
	if err != nil {
		return err
	}
	idps, err := p.allowedIdPs(r, org, app)
	if err != nil {
		return err
	}
	if len(idps) == 0 {
		return &pageError{status: http.StatusServiceUnavailable, title: "Sign-in is not configured",
			message: "No identity provider is set up for this application. An administrator must add one."}
	}
	q := r.URL.Query()
	l := login{AccountID: org.AccountID, AppAUD: audOf(app), Redirect: SafeRedirect(q.Get("redirect_url"))}
	if app != nil && app.Type == access.TypeSelfHosted {
		// The return address comes from the signed meta token, never
		// from the query.
		m, err := p.checkMeta(r.Context(), org, app, r.PathValue("host"), q.Get("meta"))
		if err != nil {
			return err
		}
		l.AppHost, l.AppSessionHash, l.Redirect = m.Hostname, m.AppSessionHash, SafeRedirect(m.RedirectURL)
	}
	if done, err := p.resumeSession(w, r, org, app, idps, l); done || err != nil {
		return err
	}
	auto := org.AutoRedirectToIdentity || (app != nil && app.AutoRedirectToIdentity)
	if chosen := q.Get("idp"); chosen != "" || (auto && len(idps) == 1) {
		if chosen == "" {
			chosen = idps[0].ID
		}
		for _, idp := range idps {
			if idp.ID == chosen {
				l.IdPID = idp.ID
				return p.begin(w, r, org, idp.ID, l)
			}
		}
		return &pageError{status: http.StatusBadRequest, title: "Unknown sign-in method",
			message: "That identity provider cannot be used here. Go back and choose another."}
	}
	return p.renderChooser(w, r, org, app, idps, l.Redirect)
}

// resumeSession skips the IdP when the browser already has a session from
// an IdP this login allows (checklist 12): the target's policies are
// evaluated again and the browser goes on to redirect.
func (p *Portal) resumeSession(w http.ResponseWriter, r *http.Request, org orgInfo, app *access.App, idps []access.IdentityProvider, l login) (bool, error) {
	id, err := p.currentIdentity(r, org)
	if err != nil || !slices.ContainsFunc(idps, func(idp access.IdentityProvider) bool { return idp.ID == id.IdP.ID }) {
		return false, nil
	}
	return true, p.finishLogin(w, r, org, app, id, l)
}

// finishLogin sends a signed-in browser on: for a self-hosted app, after
// its policies admit the user, to the app host's /authorized step; for
// the team domain's own pages, to the (relative) page asked for, which
// decides itself.
func (p *Portal) finishLogin(w http.ResponseWriter, r *http.Request, org orgInfo, app *access.App, id Identity, l login) error {
	var d policy.Decision
	if app != nil {
		if d = p.decide(*app, id, r); d.Result != policy.ResultAllow {
			p.metrics.AccessDecision(app.ID, app.Name, metrics.DecisionDeny)
			return denied(*app, d)
		}
	}
	if l.AppHost == "" {
		http.Redirect(w, r, l.Redirect, http.StatusFound)
		return nil
	}
	return p.continueToApp(w, r, org, app, id, l, appTTL(app, d.Policy))
}

type choice struct{ Name, URL string }

func (p *Portal) renderChooser(w http.ResponseWriter, r *http.Request, org orgInfo, app *access.App, idps []access.IdentityProvider, redirect string) error {
	data := struct {
		Team, App string
		IdPs      []choice
	}{Team: org.Name}
	if app != nil && app.Type != access.TypeAppLauncher {
		data.App = app.Name
	}
	for _, idp := range idps {
		v := url.Values{"idp": {idp.ID}, "redirect_url": {redirect}}
		for _, k := range []string{"kid", "meta"} {
			if x := r.URL.Query().Get(k); x != "" {
				v.Set(k, x)
			}
		}
		data.IdPs = append(data.IdPs, choice{Name: idp.Name, URL: "/cdn-cgi/access/login/" + url.PathEscape(r.PathValue("host")) + "?" + v.Encode()})
	}
	p.render(w, http.StatusOK, "choose", data)
	return nil
}

func provider(idp access.IdentityProvider, secret string) oidcrp.Provider {
	c := idp.Config
	return oidcrp.Provider{ClientID: c.ClientID, ClientSecret: secret, AuthURL: c.AuthURL, TokenURL: c.TokenURL,
		CertsURL: c.CertsURL, Issuer: c.IssuerURL, Scopes: c.Scopes, PKCE: c.PKCE(), EmailClaim: c.EmailClaimName,
		Claims: c.Claims}
}

func audOf(app *access.App) string {
	if app == nil {
		return ""
	}
	return app.AUD
}

// handleTestIdP is the administrator's "test" action for an identity
// provider: a real login through it whose callback shows the claims the
// IdP sent instead of signing anyone in.
func (p *Portal) handleTestIdP(w http.ResponseWriter, r *http.Request, org orgInfo) error {
	id := r.PathValue("idp_id")
	if _, err := p.access.GetIdP(r.Context(), org.AccountID, id); err != nil {
		return &pageError{status: http.StatusNotFound, title: "Unknown identity provider",
			message: "This team has no identity provider with that id."}
	}
	if err := p.checkTestTicket(r.Context(), org, id, r.URL.Query().Get("ticket")); err != nil {
		return err
	}
	return p.begin(w, r, org, id, login{AccountID: org.AccountID, Redirect: "/", Test: true})
}

// begin sends the browser to the IdP with fresh state bound to it.
func (p *Portal) begin(w http.ResponseWriter, r *http.Request, org orgInfo, idpID string, l login) error {
	idp, secret, err := p.access.IdPSecret(r.Context(), org.AccountID, idpID)
	if err != nil {
		return err
	}
	var target string
	if idp.Type == "saml" {
		// The SAML request ID is kept where OIDC keeps its nonce; the
		// RelayState carries the state.
		l.State = randomToken()
		if target, l.Nonce, err = samlrp.Begin(samlProvider(idp, org), l.State, p.now()); err != nil {
			return err
		}
	} else {
		start, err := oidcrp.Begin(provider(idp, secret), callbackURL(org))
		if err != nil {
			return err
		}
		target, l.State, l.Nonce, l.Verifier = start.URL, start.State, start.Nonce, start.Verifier
	}
	l.IdPID = idp.ID
	cookie, err := p.saveLogin(r.Context(), l)
	if err != nil {
		return err
	}
	p.setCookie(w, sessionCookie, cookie, loginTTL)
	http.Redirect(w, r, target, http.StatusFound)
	return nil
}

// handleCallback completes a login: the IdP's answer is checked by
// oidcrp.Finish against the state bound to this browser; on success a
// session starts and the browser returns to where it was going.
func (p *Portal) handleCallback(w http.ResponseWriter, r *http.Request, org orgInfo) error {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		p.countLogin("unknown", "", "invalid_session")
		return invalidSession()
	}
	l, err := p.takeLogin(r.Context(), org.AccountID, c.Value)
	if errors.Is(err, store.ErrNotFound) {
		p.countLogin("unknown", "", "invalid_session")
		return invalidSession()
	}
	if err != nil {
		return err
	}
	p.setCookie(w, sessionCookie, "", 0)
	idp, secret, err := p.access.IdPSecret(r.Context(), org.AccountID, l.IdPID)
	if err != nil {
		return err
	}
	ip := p.clientIP(r).String()
	var got oidcrp.Identity
	if idp.Type == "saml" {
		got, err = p.finishSAML(r, org, idp, l)
	} else {
		got, err = oidcrp.Finish(r.Context(), provider(idp, secret), oidcrp.Options{HTTPClient: p.idpHTTP, Now: p.now, Leeway: p.leeway, KeyCache: p.idpKeys},
			callbackURL(org), r.URL.Query(), oidcrp.Start{State: l.State, Nonce: l.Nonce, Verifier: l.Verifier})
	}
	if err != nil {
		return p.loginFailed(r, org, idp, ip, l.Test, err)
	}
	if l.Test {
		return p.showClaims(w, r, org, idp, got, ip)
	}
	id := p.identity(org, idp, got, ip)
	token, err := p.startSession(r.Context(), org, id, sessionTTL(org))
	if err != nil {
		return err
	}
	p.countLogin(idp.Type, idp.ID, "")
	metrics.RequestOf(r.Context()).SetActor("user", id.UserUUID)
	p.audit(r, org.AccountID, audit.Actor{ID: id.UserUUID, Email: id.Email, IP: ip, Type: "user", Interface: "Access"},
		"login", true, map[string]any{"idp": idp.Name})
	p.setCookie(w, authCookie, token, sessionTTL(org))
	if l.AppHost == "" {
		http.Redirect(w, r, l.Redirect, http.StatusFound)
		return nil
	}
	app, err := p.snap.AppByAUD(r.Context(), l.AppAUD)
	if err != nil || app.AccountID != org.AccountID {
		return &pageError{status: http.StatusBadRequest, title: "Unknown application",
			message: "The application of this sign-in no longer exists."}
	}
	return p.finishLogin(w, r, org, app, id, l)
}

func invalidSession() error {
	return &pageError{status: http.StatusBadRequest, title: "Invalid session",
		message: "Invalid session. Please try logging in again: this sign-in was not started in this browser, was already used, or took too long."}
}

// loginFailed answers a login the IdP's answer could not complete; test
// logins (an administrator's IdP test) are not counted as sign-ins.
func (p *Portal) loginFailed(r *http.Request, org orgInfo, idp access.IdentityProvider, ip string, test bool, err error) error {
	msg := "The identity provider's answer could not be used."
	var loginErr *federation.LoginError
	reason := "unknown"
	if errors.As(err, &loginErr) {
		msg, reason = loginErr.Message, loginErr.Reason
	}
	p.log.Warn("access login failed", "account_id", org.AccountID, "idp", idp.ID, "reason", reason, "error", err)
	if !test {
		p.countLogin(idp.Type, idp.ID, reason)
	}
	p.audit(r, org.AccountID, audit.Actor{IP: ip, Type: "user", Interface: "Access"}, "login", false,
		map[string]any{"idp": idp.Name, "reason": reason})
	if reason == oidcrp.ReasonStateMismatch {
		// The state is not this browser's login (§1.3, checklist 10).
		return invalidSession()
	}
	return &pageError{status: http.StatusBadGateway, title: "Sign-in with " + idp.Name + " failed", message: msg}
}

// identity turns the IdP's answer into the session's identity.
func (p *Portal) identity(org orgInfo, idp access.IdentityProvider, got oidcrp.Identity, ip string) Identity {
	email := strings.ToLower(got.Email)
	groups := got.Groups
	if groups == nil {
		groups = []string{}
	}
	return Identity{Email: email, Name: got.Name, UserUUID: userUUID(org.AccountID, email), AccountID: org.AccountID,
		IdP: IdPRef{ID: idp.ID, Type: idp.Type}, Groups: groups, Custom: got.Claims, IP: ip, IAT: p.now().Unix(),
		IdentityNonce: ids.NewHex32(), Version: 1}
}

// userUUID is a stable id per email per account (Access's user_uuid / sub).
func userUUID(accountID, email string) string {
	sum := sha256.Sum256([]byte(accountID + "\x00" + email))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x50 // version 5 style: name-based
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func sessionTTL(org orgInfo) time.Duration {
	d, err := time.ParseDuration(org.SessionDuration)
	if err != nil || d <= 0 {
		return 24 * time.Hour
	}
	return d
}

func (p *Portal) audit(r *http.Request, accountID string, actor audit.Actor, action string, ok bool, meta map[string]any) {
	if err := audit.Record(r.Context(), p.db, audit.Event{AccountID: accountID, Actor: actor, Action: action,
		Result: ok, ResourceType: "access_session", Metadata: meta}); err != nil {
		p.log.Error("audit access login", "error", err)
	}
}

// showClaims is the end of an IdP test: what the IdP said, and what ssogate
// made of it.
func (p *Portal) showClaims(w http.ResponseWriter, r *http.Request, org orgInfo, idp access.IdentityProvider, got oidcrp.Identity, ip string) error {
	raw, _ := json.MarshalIndent(got.Raw, "", "  ")
	p.audit(r, org.AccountID, audit.Actor{Email: got.Email, IP: ip, Type: "user", Interface: "Access"}, "idp_test", true,
		map[string]any{"idp": idp.Name})
	p.render(w, http.StatusOK, "claims", struct {
		IdP, Email, Groups, Claims string
	}{IdP: idp.Name, Email: got.Email, Groups: strings.Join(got.Groups, ", "), Claims: string(raw)})
	return nil
}
