package portal

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/ssogate/ssogate/internal/access"
	"github.com/ssogate/ssogate/internal/access/keys"
	"github.com/ssogate/ssogate/internal/ids"
	"github.com/ssogate/ssogate/internal/metrics"
	"github.com/ssogate/ssogate/internal/store"
)

// The Access gateway answers requests for the hosts of self-hosted
// applications (access-flow.md §1.2, §1.5): without a valid application
// token the browser is sent to the team domain's login with a signed
// meta token and a per-app CSRF cookie; after login the team domain hands
// it back to /cdn-cgi/access/authorized, which mints the application token
// (CF_Authorization on the app host). An admitted request is proxied to
// the app's origin (proxy.go), or, for an app without one, answered with a
// page naming the user; forward auth (forwardauth.go) answers the same
// question for a proxy in front of the app. The admitted path reads no
// rows: the app, organization and session come from memory (snapshot,
// session cache), kept current by the change feed.

// Cookie and header names on application hosts, as Access names them.
const (
	appSessionCookie = "CF_AppSession"   // per-app CSRF for /authorized
	appTokenHeader   = "Cf-Access-Token" // the app token, for non-browser clients
	metadataRequest  = "Cf-Access-Metadata-Request"
	metadataHeader   = "Cf-Access-Metadata"
	appSessionTTL    = 24 * time.Hour
	metaTTL          = 10 * time.Minute
	grantTTL         = time.Minute
	grantType        = "authorized"
)

// metaClaims describe a redirect to the login (checklist 5) and carry the
// hash of CF_AppSession through the IdP round trip.
type metaClaims struct {
	Type               string        `json:"type"`
	Audience           keys.Audience `json:"aud"`
	Hostname           string        `json:"hostname"`
	RedirectURL        string        `json:"redirect_url"`
	AuthStatus         string        `json:"auth_status"`
	ServiceTokenStatus bool          `json:"service_token_status"`
	AppSessionHash     string        `json:"app_session_hash"`
	IssuedAt           int64         `json:"iat"`
	Expiry             int64         `json:"exp"`
}

// matchClaims answer a metadata request (checklist 6).
type matchClaims struct {
	Type        string        `json:"type"`
	Hostname    string        `json:"hostname"`
	AppHostname string        `json:"app_hostname"`
	AuthDomain  string        `json:"auth_domain"`
	Audience    keys.Audience `json:"aud"`
	IssuedAt    int64         `json:"iat"`
}

// grantClaims are what the team domain hands to /authorized: this
// session's user may have a token for this app on this host. Signed, one
// minute, used once, and bound to the browser's CF_AppSession.
type grantClaims struct {
	Type           string        `json:"type"`
	Issuer         string        `json:"iss"`
	Audience       keys.Audience `json:"aud"`
	Hostname       string        `json:"hostname"`
	RedirectURL    string        `json:"redirect_url"`
	AppSessionHash string        `json:"app_session_hash"`
	IdentityNonce  string        `json:"identity_nonce"`
	// SessionTTL is the application token's lifetime in seconds, from the
	// policy that admitted the user (checklist 24).
	SessionTTL int64  `json:"session_ttl"`
	JTI        string `json:"jti"`
	Expiry     int64  `json:"exp"`
}

// AppFor returns the self-hosted application protecting a request, or nil
// when its host is not an application host.
func (p *Portal) AppFor(r *http.Request) (*access.App, error) {
	host := hostOnly(r.Host)
	if host == "" || isIPLiteral(host) || p.IsTeamHost(host) {
		return nil, nil
	}
	if !strings.HasPrefix(r.URL.Path, "/cdn-cgi/access/") {
		return p.snap.AppForHost(r.Context(), host, r.URL.Path)
	}
	// The gateway's endpoints are outside every app's path. /authorized
	// belongs to the app its grant names (checked again, signed, there).
	if r.URL.Path == "/cdn-cgi/access/authorized" {
		var g grantClaims
		if peekJWT(r.URL.Query().Get("state"), &g) == nil && len(g.Audience) == 1 {
			if app, err := p.snap.AppByAUD(r.Context(), g.Audience[0]); err == nil &&
				app.Type == access.TypeSelfHosted && access.AppHost(app.Domain) == host {
				return app, nil
			}
		}
	}
	return p.snap.AppForHost(r.Context(), host, "")
}

// isIPLiteral reports whether host is an IP address. A host with no colon
// and a character other than digits and dots is a name, told apart without
// netip.ParseAddr: its error allocates, and applications' hosts are names,
// so it would on every proxied request.
func isIPLiteral(host string) bool {
	if !strings.Contains(host, ":") && strings.ContainsFunc(host, func(c rune) bool { return (c < '0' || c > '9') && c != '.' }) {
		return false
	}
	_, err := netip.ParseAddr(host)
	return err == nil
}

// ServeApp serves a request for an application host. Only the gateway's
// own endpoints read a form: what may be proxied to the origin is the
// application's to read, at any size.
func (p *Portal) ServeApp(w http.ResponseWriter, r *http.Request, app *access.App) {
	metrics.RequestOf(r.Context()).SetRoute(gatewayRoute(r.URL.Path))
	if strings.HasPrefix(r.URL.Path, "/cdn-cgi/access/") {
		p.setPageHeaders(w)
		if !p.readForm(w, r) {
			return
		}
	}
	org, err := p.orgOfAccount(r.Context(), app.AccountID)
	if err == nil {
		err = p.gateway(w, r, org, app)
	}
	if err == nil || errors.Is(err, errRedirected) {
		return
	}
	p.setPageHeaders(w)
	p.fail(w, r, "access gateway", err)
}

func (p *Portal) orgOfAccount(ctx context.Context, accountID string) (orgInfo, error) {
	o, err := p.snap.Organization(ctx, accountID)
	if errors.Is(err, store.ErrNotFound) {
		return orgInfo{}, &pageError{status: http.StatusServiceUnavailable, title: "Access is not set up",
			message: "This application's team has no Access organization. An administrator must create one."}
	}
	if err != nil {
		return orgInfo{}, err
	}
	return orgInfo{Organization: *o, TeamURL: p.access.TeamURL(o.AuthDomain)}, nil
}

func (p *Portal) gateway(w http.ResponseWriter, r *http.Request, org orgInfo, app *access.App) error {
	switch r.URL.Path {
	case "/cdn-cgi/access/authorized":
		return p.handleAuthorized(w, r, org, app)
	case "/cdn-cgi/access/logout":
		p.setCookie(w, authCookie, "", 0)
		http.Redirect(w, r, org.TeamURL+"/cdn-cgi/access/logout", http.StatusFound)
		return nil
	case "/cdn-cgi/access/assets/style.css":
		serveStyle(w, r) // the gateway's own pages use it
		return nil
	case "/cdn-cgi/access/get-identity":
		id, err := p.appIdentity(r, org, app, appToken(r))
		if err != nil {
			return writeJSON(w, http.StatusUnauthorized, map[string]string{"err": "no valid application token: sign in first"})
		}
		return writeJSON(w, http.StatusOK, id)
	}
	if strings.HasPrefix(r.URL.Path, "/cdn-cgi/access/") {
		return &pageError{status: http.StatusNotFound, title: "Not found", message: "There is nothing at this address."}
	}
	if r.Method == http.MethodHead && strings.EqualFold(r.Header.Get(metadataRequest), "true") {
		p.setPageHeaders(w)
		return p.serveMetadata(w, r, org, app)
	}
	adm, err := p.admit(r, org, app)
	p.decided(r, app, adm, err)
	if err == nil && adm.cookie != "" {
		w.Header().Add("Set-Cookie", adm.cookie) // as Cloudflare does for service tokens
	}
	if err == nil && app.OriginURL != "" {
		// The hot path: an admitted request to an origin gets none of the
		// page headers (the origin's response speaks for itself) but
		// nosniff, so none are set only to be removed.
		w.Header()["X-Content-Type-Options"] = nosniff
		p.proxy(w, r, app, adm.token, adm.email)
		return nil
	}
	p.setPageHeaders(w)
	if err == nil {
		who := adm.email
		if who == "" {
			who = "a service token"
		}
		p.render(w, http.StatusOK, "granted", struct{ App, Email string }{app.Name, who})
		return nil
	}
	if st, ok := isServiceRefusal(err); ok {
		return refuseServiceToken(w, st) // never the login: a machine cannot follow it
	}
	if store.IsUnavailable(err) {
		return err // a 503 to retry, not a login that cannot work either
	}
	switch {
	case r.Method == http.MethodOptions:
		// Preflights carry no cookies: answered from the app's CORS
		// settings, refused without them (OPTIONS bypass needs the proxy).
		if h, ok := app.CORSHeaders.Preflight(r); ok {
			for k, v := range h {
				w.Header()[k] = v
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
		return &pageError{status: http.StatusForbidden, title: "Access denied", message: "Sign in first."}
	case r.Header.Get("X-Requested-With") == "XMLHttpRequest":
		return writeJSON(w, http.StatusUnauthorized, map[string]string{"err": "no valid application token: sign in again"})
	}
	return p.redirectToLogin(w, r, org, app, hostOnly(r.Host), r.URL.RequestURI())
}

// redirectToLogin sends the browser to the team's login for this app
// (checklist 2, 4, 5), planting CF_AppSession on the app host; host and
// uri are the request the login returns to (forward auth describes one
// that is not this request).
func (p *Portal) redirectToLogin(w http.ResponseWriter, r *http.Request, org orgInfo, app *access.App, host, uri string) error {
	csrf := randomToken()
	now := p.now()
	redirect := SafeRedirect(uri)
	meta, err := p.keys.Sign(r.Context(), org.AccountID, metaClaims{Type: "meta", Audience: keys.Audience{app.AUD},
		Hostname: host, RedirectURL: redirect, AuthStatus: "NONE", AppSessionHash: hashCookie(csrf),
		IssuedAt: now.Unix(), Expiry: now.Add(metaTTL).Unix()})
	if err != nil {
		return err
	}
	p.setCookie(w, appSessionCookie, csrf, appSessionTTL)
	q := url.Values{"kid": {app.AUD}, "redirect_url": {redirect}, "meta": {meta}}
	http.Redirect(w, r, org.TeamURL+"/cdn-cgi/access/login/"+url.PathEscape(host)+"?"+q.Encode(), http.StatusFound)
	return nil
}

func (p *Portal) serveMetadata(w http.ResponseWriter, r *http.Request, org orgInfo, app *access.App) error {
	tok, err := p.keys.Sign(r.Context(), org.AccountID, matchClaims{Type: "match", Hostname: hostOnly(r.Host),
		AppHostname: access.AppHost(app.Domain), AuthDomain: org.AuthDomain, Audience: keys.Audience{app.AUD},
		IssuedAt: p.now().Unix()})
	if err != nil {
		return err
	}
	w.Header().Set(metadataHeader, tok)
	w.WriteHeader(http.StatusOK)
	return nil
}

// appIdentity is the identity behind a valid application token for app:
// signed by the account's key, issued by the team, for this app's AUD,
// type app, within its time window, and its session not revoked.
func (p *Portal) appIdentity(r *http.Request, org orgInfo, app *access.App, tok string) (Identity, error) {
	if tok == "" {
		return Identity{}, errNoSession
	}
	claims, err := p.keys.VerifyCached(r.Context(), org.AccountID, tok)
	if err != nil {
		return Identity{}, errNoSession
	}
	if err := keys.ValidateStandard(claims, org.TeamURL, app.AUD, p.now(), p.leeway); err != nil || claims.Type != "app" {
		return Identity{}, errNoSession
	}
	if app.TokensRevokedOn != nil && claims.IssuedAt <= app.TokensRevokedOn.Unix() {
		return Identity{}, errNoSession // revoke_tokens
	}
	if claims.Subject == "" && claims.CommonName != "" {
		return p.serviceIdentity(r, org, claims)
	}
	return p.session(r.Context(), org.AccountID, claims.IdentityNonce)
}

// admission is how a request was admitted: the application token to
// forward ("" when a bypass policy let it through), the email, user id and
// groups (none for a service token), and for a token minted for a service
// token, its Set-Cookie line.
type admission struct {
	token, email, user string
	groups             []string
	cookie             string
}

// admit decides a request for app: a valid application token (cookie or
// header), else a service token a Service Auth policy admits. errNoSession
// when it presents neither; an *errServiceToken when its service token is
// refused.
func (p *Portal) admit(r *http.Request, org orgInfo, app *access.App) (admission, error) {
	tok := appToken(r)
	id, err := p.appIdentity(r, org, app, tok)
	if err == nil {
		return admission{token: tok, email: id.Email, user: id.UserUUID, groups: id.Groups}, nil
	}
	// errNoSession first: a machine's every request comes this way, and
	// IsUnavailable unwraps through several error types to say no.
	if err != errNoSession && store.IsUnavailable(err) {
		return admission{}, err
	}
	clientID, secret, ok := access.ServiceTokenCredentials(r.Header, app.ReadServiceTokensFromHeader)
	if !ok {
		return admission{}, err
	}
	e, err := p.serviceTokenAdmit(r, org, app, clientID, secret)
	if err != nil {
		return admission{}, err
	}
	return admission{token: e.token, cookie: e.cookie}, nil
}

// appToken is the request's application token: the CF_Authorization
// cookie, else the cf-access-token header.
func appToken(r *http.Request) string {
	if v := tokenCookie(r, authCookie); v != "" {
		return v
	}
	return r.Header.Get(appTokenHeader)
}

// tokenCookie is the first non-empty cookie called name whose value could
// be a token (base64url and dots), found without parsing every cookie of
// the request as r.Cookie does: this runs on every proxied request, and
// applications set cookies of their own.
func tokenCookie(r *http.Request, name string) string {
	for _, line := range r.Header["Cookie"] {
		for part := range strings.SplitSeq(line, ";") {
			n, v, ok := strings.Cut(strings.TrimSpace(part), "=")
			if ok && n == name && v != "" && tokenChars(v) {
				return v
			}
		}
	}
	return ""
}

// tokenChars reports whether v is only base64url characters and dots.
// A table lookup per byte: the value is a whole token (about 1 KB) on
// every proxied request.
func tokenChars(v string) bool {
	for i := 0; i < len(v); i++ {
		if !tokenByte[v[i]] {
			return false
		}
	}
	return true
}

var tokenByte = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
	}
	return t
}()

// continueToApp ends a login for a self-hosted app on the team domain: a
// signed grant, bound to the browser's CF_AppSession through its hash,
// goes to the app host's /authorized step (checklist 20).
func (p *Portal) continueToApp(w http.ResponseWriter, r *http.Request, org orgInfo, app *access.App, id Identity, l login, ttl time.Duration) error {
	grant, err := p.keys.Sign(r.Context(), org.AccountID, grantClaims{Type: grantType, Issuer: org.TeamURL,
		Audience: keys.Audience{app.AUD}, Hostname: l.AppHost, RedirectURL: SafeRedirect(l.Redirect),
		AppSessionHash: l.AppSessionHash, IdentityNonce: id.IdentityNonce, SessionTTL: int64(ttl.Seconds()),
		JTI: ids.NewHex32(), Expiry: p.now().Add(grantTTL).Unix()})
	if err != nil {
		return err
	}
	http.Redirect(w, r, p.access.AppURL(l.AppHost)+"/cdn-cgi/access/authorized?"+url.Values{"state": {grant}}.Encode(), http.StatusFound)
	return nil
}

// handleAuthorized is the last hop of a login (checklist 21): it refuses,
// minting nothing, unless the grant is valid for this app and host, unused,
// and bound to this browser's CF_AppSession; then it sets the application
// token and returns to the page the user asked for.
func (p *Portal) handleAuthorized(w http.ResponseWriter, r *http.Request, org orgInfo, app *access.App) error {
	refused := &pageError{status: http.StatusForbidden, title: "Sign-in could not be completed",
		message: "This sign-in was not started in this browser, was already used, or took too long. Reload the application to sign in again."}
	c, err := r.Cookie(appSessionCookie)
	if err != nil || c.Value == "" {
		return refused
	}
	var g grantClaims
	if err := p.keys.Verify(r.Context(), org.AccountID, r.URL.Query().Get("state"), &g); err != nil {
		return refused
	}
	host := hostOnly(r.Host)
	if g.Type != grantType || g.Issuer != org.TeamURL || !g.Audience.Contains(app.AUD) || g.Hostname != host ||
		g.Expiry < p.now().Add(-p.leeway).Unix() || g.JTI == "" ||
		subtle.ConstantTimeCompare([]byte(g.AppSessionHash), []byte(hashCookie(c.Value))) != 1 {
		return refused
	}
	_, err = p.db.ExecContext(r.Context(), `INSERT INTO access_assertions (jti, account_id, used_on, expires_on) VALUES ($1,$2,$3,$4)`,
		"authz:"+g.JTI, org.AccountID, store.Micros(p.now()), store.Micros(time.Unix(g.Expiry, 0)))
	if store.IsUniqueViolation(err) {
		return refused
	}
	if err != nil {
		return err
	}
	id, err := p.session(r.Context(), org.AccountID, g.IdentityNonce)
	if err != nil {
		return refused
	}
	ttl := time.Duration(g.SessionTTL) * time.Second
	if ttl <= 0 {
		ttl = appTTL(app, "")
	}
	now := p.now()
	iat := now.Unix()
	if app.TokensRevokedOn != nil && iat <= app.TokensRevokedOn.Unix() {
		// Revocation refuses tokens issued in its second; a token minted in
		// that same second must not be refused too (a redirect loop).
		iat = app.TokensRevokedOn.Unix() + 1
	}
	token, err := p.keys.Sign(r.Context(), org.AccountID, keys.Claims{Audience: keys.Audience{app.AUD}, Email: id.Email,
		Issuer: org.TeamURL, Type: "app", IdentityNonce: id.IdentityNonce, Subject: id.UserUUID,
		IssuedAt: iat, NotBefore: iat, Expiry: now.Add(ttl).Unix()})
	if err != nil {
		return err
	}
	w.Header().Add("Set-Cookie", p.appCookie(app, token, ttl))
	p.setCookie(w, appSessionCookie, "", 0)
	p.audit(r, org.AccountID, actorOf(id), "app_token_issue", true, map[string]any{"app": app.Name, "aud": app.AUD})
	http.Redirect(w, r, SafeRedirect(g.RedirectURL), http.StatusFound)
	return nil
}

// appCookie is the Set-Cookie line of the application token on the app
// host, with the app's cookie settings: SameSite None (Lax over plain
// http, where browsers refuse None without Secure), Lax or Strict;
// HttpOnly unless turned off; Path the app's path when
// path_cookie_attribute is on.
func (p *Portal) appCookie(app *access.App, token string, ttl time.Duration) string {
	c := &http.Cookie{Name: authCookie, Value: token, Path: "/", HttpOnly: true, Secure: p.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(ttl.Seconds())}
	switch app.SameSite {
	case "", "none":
		if p.secure {
			c.SameSite = http.SameSiteNoneMode
		}
	case "strict":
		c.SameSite = http.SameSiteStrictMode
	}
	if app.HTTPOnly != nil {
		c.HttpOnly = *app.HTTPOnly
	}
	if _, path, ok := strings.Cut(app.Domain, "/"); ok && app.PathScoped {
		c.Path = "/" + path
	}
	return c.String()
}

// appTTL is the application token's lifetime: the session duration of the
// policy that admitted the user, else the app's, else 24 hours.
func appTTL(app *access.App, policyID string) time.Duration {
	for _, pol := range app.Policies {
		if pol.ID == policyID && pol.SessionDuration != "" {
			if d, err := time.ParseDuration(pol.SessionDuration); err == nil && d > 0 {
				return d
			}
		}
	}
	d, err := time.ParseDuration(app.SessionDuration)
	if err != nil || d <= 0 {
		return 24 * time.Hour
	}
	return d
}

// checkMeta verifies the meta token of a login for a self-hosted app and
// returns what it carries: the hostname must be the one in the login path
// and an application host of this app.
func (p *Portal) checkMeta(ctx context.Context, org orgInfo, app *access.App, host, raw string) (metaClaims, error) {
	var m metaClaims
	bad := &pageError{status: http.StatusBadRequest, title: "Invalid sign-in link",
		message: "This sign-in link is incomplete or expired. Open the application again to sign in."}
	if raw == "" || p.keys.Verify(ctx, org.AccountID, raw, &m) != nil {
		return m, bad
	}
	if m.Type != "meta" || !m.Audience.Contains(app.AUD) || m.Hostname != host || host != access.AppHost(app.Domain) ||
		m.Expiry < p.now().Unix() || m.AppSessionHash == "" {
		return m, bad
	}
	return m, nil
}
