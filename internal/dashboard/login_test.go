package dashboard_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/access"
	"github.com/ssogate/ssogate/internal/access/keys"
	"github.com/ssogate/ssogate/internal/access/portal"
	"github.com/ssogate/ssogate/internal/accounts"
	"github.com/ssogate/ssogate/internal/apptest"
	"github.com/ssogate/ssogate/internal/audit"
	"github.com/ssogate/ssogate/internal/ids"
	"github.com/ssogate/ssogate/internal/store"
	"github.com/ssogate/ssogate/internal/store/storetest"
)

func TestLoginPageHeaders(t *testing.T) {
	env := apptest.New(t)
	b := newBrowser(t, env)
	p := b.get("/login")
	if p.Status != 200 || !strings.Contains(p.Body, `id="email"`) {
		t.Fatalf("login page: %d %s", p.Status, p.Body)
	}
	for h, want := range map[string]string{
		"Content-Security-Policy": "default-src 'none'; script-src 'self'",
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Cache-Control":           "no-store",
	} {
		if got := p.Header.Get(h); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want it to contain %q", h, got, want)
		}
	}
	// Forms may post here and redirect to the team domains, nowhere else.
	if csp, want := p.Header.Get("Content-Security-Policy"), "form-action 'self' http://*.access.localhost:"+env.Port()+";"; !strings.Contains(csp, want) {
		t.Errorf("CSP %q, want %q", csp, want)
	}
	if strings.Contains(p.Body, "<script>") || strings.Contains(p.Body, " style=") || strings.Contains(p.Body, "onclick") {
		t.Errorf("inline script or style on the login page (the CSP would block it)")
	}
	for _, asset := range []string{"/assets/v1/style.css", "/assets/v1/app.js"} {
		if a := b.get(asset); a.Status != 200 || a.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: %d", asset, a.Status)
		}
	}
	// Signed-out visits to account pages go to the login page and back.
	p = b.get("/" + env.AccountID + "/home")
	if p.Status != 303 || p.Location != "/login?next=%2F"+env.AccountID+"%2Fhome" {
		t.Fatalf("signed-out account page: %d %q", p.Status, p.Location)
	}
}

func TestPasswordLogin(t *testing.T) {
	env := apptest.New(t)
	b := newBrowser(t, env)
	p := b.passwordLogin(adminEmail, adminPassword)
	if p.Status != 303 || p.Location != "/"+env.AccountID+"/home" {
		t.Fatalf("login: %d %q %s", p.Status, p.Location, p.Body)
	}
	var cookie *http.Cookie
	for _, c := range b.c.Jar.Cookies(&url.URL{Scheme: "http", Host: "localhost"}) {
		if c.Name == "ssogate_session" {
			cookie = c
		}
	}
	if cookie == nil {
		t.Fatal("no session cookie")
	}
	home := b.get(p.Location)
	if home.Status != 200 || !strings.Contains(home.Body, `<code id="account-id">`+env.AccountID+`</code>`) ||
		!strings.Contains(home.Body, adminEmail) {
		t.Fatalf("home: %d %s", home.Status, home.Body)
	}
	// The session is stored hashed: the cookie value is nowhere in the table.
	var n int
	if err := env.App.DB.QueryRow(`SELECT COUNT(*) FROM dashboard_sessions WHERE id=$1`, cookie.Value).Scan(&n); err != nil || n != 0 {
		t.Errorf("session stored under the raw cookie value (n=%d, err=%v)", n, err)
	}
	// A next= that leaves the site is reduced to a relative path (the
	// open-redirect corpus of the team domain's tests, abridged). A
	// signed-in visit to /login?next= redirects at once, so each payload
	// is one request.
	for _, payload := range []string{"//evil.example/x", "https://evil.example", "/\\evil.example", "/%2f%2fevil.example",
		"/%5cevil.example", "javascript:alert(1)", "/%09/evil.example", "/..//evil.example", "@evil.example", "http:/evil.example"} {
		p := b.get("/login?next=" + url.QueryEscape(payload))
		if p.Status != 303 || strings.Contains(p.Location, "evil") || strings.HasPrefix(p.Location, "//") || strings.Contains(p.Location, ":") {
			t.Errorf("next=%q: %d %q", payload, p.Status, p.Location)
		}
	}
	assertLogged(t, env, env.AccountID, "login", true, adminEmail)
}

func TestWrongPasswordAndRateLimit(t *testing.T) {
	env := apptest.New(t)
	b := newBrowser(t, env)
	b.get("/login")
	b.post("/login", url.Values{"email": {adminEmail}})
	p := b.post("/login/password", url.Values{"email": {adminEmail}, "password": {"wrong"}})
	if p.Status != 401 || !strings.Contains(p.Body, "Incorrect email or password.") {
		t.Fatalf("wrong password: %d %s", p.Status, p.Body)
	}
	assertLogged(t, env, env.AccountID, "login", false, adminEmail)
	var last page
	for i := 0; i < 10; i++ {
		last = b.post("/login/password", url.Values{"email": {adminEmail}, "password": {"wrong"}})
	}
	if last.Status != 429 || last.Header.Get("Retry-After") == "" || !strings.Contains(last.Body, "Too many sign-in attempts") {
		t.Fatalf("after 11 attempts: %d %q", last.Status, last.Body)
	}
	// Even the right password waits: the limit is on attempts.
	if p := b.post("/login/password", url.Values{"email": {adminEmail}, "password": {adminPassword}}); p.Status != 429 {
		t.Fatalf("right password while limited: %d", p.Status)
	}
}

func TestNonMemberNeverReachesIdP(t *testing.T) {
	env := apptest.New(t)
	enforceSSO(t, env, env.AccountID, env.Token, "acme", "acmecorp.company")
	b := newBrowser(t, env)
	b.get("/login")
	p := b.post("/login", url.Values{"email": {"stranger@acmecorp.company"}})
	if p.Status != 403 || !strings.Contains(p.Body, "stranger@acmecorp.company is not a member of any account") {
		t.Fatalf("non-member: %d %q %s", p.Status, p.Location, p.Body)
	}
	if p := b.post("/login", url.Values{"email": {"not an email"}}); p.Status != 400 || !strings.Contains(p.Body, "Enter your email address") {
		t.Fatalf("bad email: %d %s", p.Status, p.Body)
	}
}

// onEachBackend runs fn on SQLite, and on PostgreSQL when the machine
// offers it (CI does): the dashboard's session and login SQL is portable.
func onEachBackend(t *testing.T, fn func(t *testing.T, opts ...apptest.Option)) {
	for _, backend := range storetest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			var opts []apptest.Option
			if backend == store.Postgres {
				opts = append(opts, apptest.WithPostgres(t))
			}
			fn(t, opts...)
		})
	}
}

func TestSSOEnforcedEmailGoesToTeamDomain(t *testing.T) {
	onEachBackend(t, ssoEnforcedEmailGoesToTeamDomain)
}

func ssoEnforcedEmailGoesToTeamDomain(t *testing.T, opts ...apptest.Option) {
	env := apptest.New(t, opts...)
	addMember(t, env, env.AccountID, "alice@acmecorp.company", "alice's long password", accounts.RoleSuperAdmin)
	b := newBrowser(t, env)
	// Before SSO: password works, and the session is live.
	if p := b.passwordLogin("alice@acmecorp.company", "alice's long password"); p.Status != 303 {
		t.Fatalf("password login before SSO: %d %s", p.Status, p.Body)
	}
	cid := enforceSSO(t, env, env.AccountID, env.Token, "acme", "acmecorp.company")
	// The password session ends as soon as the domain is enforced.
	if p := b.get("/" + env.AccountID + "/home"); p.Status != 303 || !strings.HasPrefix(p.Location, "/login") {
		t.Fatalf("password session after enforcement: %d %q", p.Status, p.Location)
	}
	b.get("/login")
	p := b.post("/login", url.Values{"email": {"Alice@AcmeCorp.company"}})
	want := "http://acme.access.localhost:" + env.Port() + "/cdn-cgi/access/sso/dash"
	if p.Status != 303 || p.Location != want {
		t.Fatalf("SSO email step: %d %q, want 303 to %s", p.Status, p.Location, want)
	}
	// Posting straight to the password step does not skip SSO.
	p = b.post("/login/password", url.Values{"email": {"alice@acmecorp.company"}, "password": {"alice's long password"}})
	if p.Status != 303 || p.Location != want {
		t.Fatalf("password step for an enforced domain: %d %q", p.Status, p.Location)
	}
	if got := b.get("/" + env.AccountID + "/home"); got.Status != 303 {
		t.Fatalf("a session was started by the password step: %d", got.Status)
	}
	assertLogged(t, env, env.AccountID, "login", false, "alice@acmecorp.company")

	// Lock-out recovery: the API token disables the connector, and
	// password login works again at once.
	setEnabled(t, env, env.AccountID, env.Token, cid, false)
	if p := b.passwordLogin("alice@acmecorp.company", "alice's long password"); p.Status != 303 || !strings.HasSuffix(p.Location, "/home") {
		t.Fatalf("password login after disabling SSO: %d %q", p.Status, p.Location)
	}
}

// signAssertion mints the assertion Access would post, with the account's
// real key; change adjusts it for negative cases.
func signAssertion(t *testing.T, env *apptest.Env, email string, change func(*portal.Assertion)) string {
	t.Helper()
	ctx := context.Background()
	app, err := env.App.Access.AppOfType(ctx, env.App.DB, env.AccountID, access.TypeDashSSO)
	if err != nil || app == nil {
		t.Fatalf("SSO App: %v %v", app, err)
	}
	now := time.Now()
	a := portal.Assertion{Issuer: "http://acme.access.localhost:" + env.Port(), Audience: keys.Audience{app.AUD},
		Email: email, Subject: ids.NewUUID(), Type: "dash_sso", IdentityNonce: ids.NewHex32(), JTI: ids.NewHex32(),
		IssuedAt: now.Unix(), NotBefore: now.Unix(), Expiry: now.Add(time.Minute).Unix(), AccountID: env.AccountID}
	if change != nil {
		change(&a)
	}
	tok, err := env.App.Keys.Sign(ctx, env.AccountID, a)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestSSOAssertionSignsIn(t *testing.T) {
	env := apptest.New(t)
	addMember(t, env, env.AccountID, "alice@acmecorp.company", "", accounts.RoleAdmin)
	enforceSSO(t, env, env.AccountID, env.Token, "acme", "acmecorp.company")
	b := newBrowser(t, env)
	tok := signAssertion(t, env, "alice@acmecorp.company", nil)
	// No CSRF token: the assertion arrives as a cross-site form post.
	req, _ := http.NewRequest("POST", b.base+"/login/sso", strings.NewReader(url.Values{"assertion": {tok}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "http://acme.access.localhost:"+env.Port())
	p := b.do(req)
	if p.Status != 303 || p.Location != "/"+env.AccountID+"/home" {
		t.Fatalf("assertion: %d %q %s", p.Status, p.Location, p.Body)
	}
	if home := b.get(p.Location); home.Status != 200 || !strings.Contains(home.Body, "alice@acmecorp.company") {
		t.Fatalf("home after SSO: %d", home.Status)
	}
	assertLogged(t, env, env.AccountID, "login", true, "alice@acmecorp.company")

	// Once only.
	if p := newBrowser(t, env).post("/login/sso", url.Values{"assertion": {tok}}); p.Status != 400 || !strings.Contains(p.Body, "already used") {
		t.Fatalf("replayed assertion: %d %s", p.Status, p.Body)
	}
	cases := map[string]func(*portal.Assertion){
		"expired":       func(a *portal.Assertion) { a.Expiry = time.Now().Add(-5 * time.Minute).Unix() },
		"wrong type":    func(a *portal.Assertion) { a.Type = "app" },
		"wrong aud":     func(a *portal.Assertion) { a.Audience = keys.Audience{"someone-else"} },
		"other domain":  func(a *portal.Assertion) { a.Email = "eve@elsewhere.company" },
		"wrong account": func(a *portal.Assertion) { a.AccountID = ids.NewHex32() },
	}
	for name, change := range cases {
		p := newBrowser(t, env).post("/login/sso", url.Values{"assertion": {signAssertion(t, env, "alice@acmecorp.company", change)}})
		if p.Status != 400 {
			t.Errorf("%s: %d %s", name, p.Status, p.Body)
		}
	}
	if p := newBrowser(t, env).post("/login/sso", url.Values{"assertion": {"not-a-jwt"}}); p.Status != 400 {
		t.Errorf("garbage assertion: %d", p.Status)
	}
}

func TestSSOAssertionForNonMember(t *testing.T) {
	env := apptest.New(t)
	enforceSSO(t, env, env.AccountID, env.Token, "acme", "acmecorp.company")
	p := newBrowser(t, env).post("/login/sso", url.Values{"assertion": {signAssertion(t, env, "mallory@acmecorp.company", nil)}})
	if p.Status != 403 || !strings.Contains(p.Body, "not a member") {
		t.Fatalf("non-member assertion: %d %s", p.Status, p.Body)
	}
	assertLogged(t, env, env.AccountID, "login", false, "mallory@acmecorp.company")
}

func TestCSRFAndCrossOriginRefused(t *testing.T) {
	env := apptest.New(t)
	b := newBrowser(t, env)
	b.passwordLogin(adminEmail, adminPassword)
	// A form without the token, or with another session's token.
	for name, form := range map[string]url.Values{
		"missing": {"csrf": {""}, "name": {"x"}},
		"forged":  {"csrf": {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, "name": {"x"}},
	} {
		p := b.post("/"+env.AccountID+"/api-tokens", form)
		if p.Status != 403 || !strings.Contains(p.Body, "Form expired") {
			t.Errorf("%s CSRF token: %d %s", name, p.Status, p.Body)
		}
	}
	// A post the browser marks as cross-site, even with a valid token.
	b.get("/" + env.AccountID + "/api-tokens/new")
	form := url.Values{"csrf": {b.csrf}, "name": {"x"}, "perm-sso-connector": {"read"}}
	req, _ := http.NewRequest("POST", b.base+"/"+env.AccountID+"/api-tokens", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if p := b.do(req); p.Status != 403 {
		t.Errorf("cross-site post: %d", p.Status)
	}
	// The login form needs the pre-session token too.
	fresh := newBrowser(t, env)
	if p := fresh.post("/login", url.Values{"email": {adminEmail}}); p.Status != 403 {
		t.Errorf("login post without a pre-session cookie: %d", p.Status)
	}
	if n := countTokens(t, env); n != 1 {
		t.Errorf("refused posts created tokens: %d tokens", n)
	}
}

func TestLogoutAndSessionRevocation(t *testing.T) {
	onEachBackend(t, logoutAndSessionRevocation)
}

func logoutAndSessionRevocation(t *testing.T, opts ...apptest.Option) {
	clock := apptest.NewClock(time.Now())
	env := apptest.New(t, append(opts, apptest.WithNow(clock.Now))...)
	b := newBrowser(t, env)
	b.passwordLogin(adminEmail, adminPassword)
	other := newBrowser(t, env)
	other.passwordLogin(adminEmail, adminPassword)

	// Sign out every other session from the profile page.
	b.get("/profile")
	if p := b.post("/profile/sessions/revoke-others", nil); p.Status != 303 {
		t.Fatalf("revoke others: %d %s", p.Status, p.Body)
	}
	if p := other.get("/" + env.AccountID + "/home"); p.Status != 303 {
		t.Fatalf("revoked session still works: %d", p.Status)
	}
	if p := b.get("/" + env.AccountID + "/home"); p.Status != 200 {
		t.Fatalf("own session revoked too: %d", p.Status)
	}
	// Idle timeout.
	clock.Advance(61 * time.Minute)
	if p := b.get("/" + env.AccountID + "/home"); p.Status != 303 {
		t.Fatalf("idle session still works: %d", p.Status)
	}
	// Logout.
	b.passwordLogin(adminEmail, adminPassword)
	b.get("/" + env.AccountID + "/home")
	if p := b.post("/logout", nil); p.Status != 303 || p.Location != "/login?done=signed_out" {
		t.Fatalf("logout: %d %q", p.Status, p.Location)
	}
	if p := b.get("/" + env.AccountID + "/home"); p.Status != 303 {
		t.Fatalf("after logout: %d", p.Status)
	}
	assertLogged(t, env, env.AccountID, "logout", true, adminEmail)
}

func countTokens(t *testing.T, env *apptest.Env) int {
	t.Helper()
	var n int
	if err := env.App.DB.QueryRow(`SELECT COUNT(*) FROM api_tokens`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// assertLogged finds an audit entry of the account.
func assertLogged(t *testing.T, env *apptest.Env, accountID, action string, result bool, email string) {
	t.Helper()
	es, _, err := audit.List(context.Background(), env.App.DB, accountID, audit.Filter{Action: action, ActorEmail: email})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if e.Result == result {
			if e.Actor.IP == "" || e.Interface != "UI" {
				t.Errorf("audit %s entry lacks IP or interface: %+v", action, e)
			}
			return
		}
	}
	t.Errorf("no audit entry %s result=%v for %s (have %d entries)", action, result, email, len(es))
}
