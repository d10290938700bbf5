package portal_test

import (
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/internal/apptest"
	"github.com/ssogate/ssogate/internal/idp/refop"
)

// This file holds the fixtures of the end-to-end flow tests (flow_test.go,
// launcher_identity_test.go, isolation_test.go, tokens_test.go,
// bench_test.go). They take testing.TB so benchmarks can share them, and
// are independent of portal_test.go's helpers.

const opSecret = "flow-tests-client-secret-0123456789abcdefgh"

// people is the directory of every reference provider the tests start.
var people = []refop.User{
	{Username: "alice", Email: "alice@acmecorp.company", Name: "Alice", Password: "pw", Groups: []string{"staff"}, EmailVerified: true},
	{Username: "bob", Email: "bob@acmecorp.company", Name: "Bob", Password: "pw", Groups: []string{"finance"}, EmailVerified: true},
	{Username: "carol", Email: "carol@acmecorp.company", Name: "Carol", Password: "pw", EmailVerified: true},
	{Username: "dave", Email: "dave@partner.example", Name: "Dave", Password: "pw", Groups: []string{"Finance"}, EmailVerified: true},
	{Username: "mallory", Email: "mallory@evil.example", Name: "Mallory", Password: "pw"},
	{Username: "bert", Email: "bert@betacorp.company", Name: "Bert", Password: "pw", EmailVerified: true},
}

// tenant is one account's Access organization, configured through the v4
// API like an administrator would.
type tenant struct {
	env       *apptest.Env
	accountID string
	token     string
	authHost  string // acme.access.localhost (the org token's audience)
	host      string // acme.access.localhost:<port>
	url       string // http://acme.access.localhost:<port>
}

func newTenant(tb testing.TB, env *apptest.Env, accountID, token, team string) *tenant {
	tb.Helper()
	tn := &tenant{env: env, accountID: accountID, token: token, authHost: team + ".access.localhost"}
	tn.host = tn.authHost + ":" + env.Port()
	tn.url = "http://" + tn.host
	tn.call(tb, "POST", "/access/organizations", `{"name":"`+strings.ToUpper(team[:1])+team[1:]+`","auth_domain":"`+team+`"}`, 201)
	return tn
}

// call sends a v4 API request for the tenant's account and returns the
// result object.
func (tn *tenant) call(tb testing.TB, method, path, body string, status int) map[string]any {
	tb.Helper()
	var b any
	if body != "" {
		b = body
	}
	r := tn.env.Do(method, "/accounts/"+tn.accountID+path, tn.token, b)
	if r.Status != status {
		tb.Fatalf("%s %s: %d, want %d: %s", method, path, r.Status, status, r.Body)
	}
	var env struct {
		Result json.RawMessage `json:"result"`
	}
	_ = json.Unmarshal(r.Body, &env)
	var res map[string]any
	_ = json.Unmarshal(env.Result, &res)
	return res
}

// addOP starts a reference OpenID provider (authentik layout) on loopback
// with a client for the tenant's callback, and configures it as an
// identity provider from its discovery URL. cfg.Issuer and cfg.Clients are
// filled in; cfg.Users defaults to people.
func (tn *tenant) addOP(tb testing.TB, name string, cfg refop.Config) (*refop.Provider, string) {
	tb.Helper()
	var handler http.Handler = http.NotFoundHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	tb.Cleanup(srv.Close)
	cfg.Issuer = srv.URL
	if cfg.Users == nil {
		cfg.Users = people
	}
	cfg.Clients = []refop.Client{{ID: "ssogate", Secret: opSecret, RedirectURIs: []string{tn.url + "/cdn-cgi/access/callback"}}}
	op, err := refop.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	handler = op.Handler()
	res := tn.call(tb, "POST", "/access/identity_providers", `{"name":"`+name+`","type":"oidc","config":{"client_id":"ssogate",
		"client_secret":"`+opSecret+`","issuer_url":"`+op.IssuerURL()+`","pkce_enabled":true}}`, 201)
	return op, res["id"].(string)
}

// policy creates a reusable policy and returns its id.
func (tn *tenant) policy(tb testing.TB, name, decision, include string) string {
	tb.Helper()
	return tn.call(tb, "POST", "/access/policies", `{"name":"`+name+`","decision":"`+decision+`","include":`+include+`}`, 201)["id"].(string)
}

// app creates an application and returns its id and AUD.
func (tn *tenant) app(tb testing.TB, body string) (id, aud string) {
	tb.Helper()
	res := tn.call(tb, "POST", "/access/apps", body, 201)
	return res["id"].(string), res["aud"].(string)
}

// enableDashSSO verifies and enables an SSO connector for domain, which
// creates the account's "SSO App".
func (tn *tenant) enableDashSSO(tb testing.TB, domain string) {
	tb.Helper()
	conn := tn.call(tb, "POST", "/sso_connectors", `{"email_domain":"`+domain+`"}`, 200)
	tn.env.Publish(domain, conn["verification"].(map[string]any)["code"].(string))
	id := conn["id"].(string)
	tn.call(tb, "POST", "/sso_connectors/"+id+"/begin_verification", "", 200)
	tn.call(tb, "PATCH", "/sso_connectors/"+id, `{"enabled":true}`, 200)
}

// loginURL is the team's login endpoint with query q.
func (tn *tenant) loginURL(q url.Values) string {
	return tn.url + "/cdn-cgi/access/login/" + tn.authHost + "?" + q.Encode()
}

// acme is the usual fixture: the bootstrap account's organization "acme"
// with one reference provider ("authentik", auto-login alice), an App
// Launcher allowed for acmecorp.company and a "Wiki" bookmark.
type acme struct {
	*tenant
	op          *refop.Provider
	idpID       string
	staffPolicy string
	launcherID  string
	launcherAUD string
}

func newAcme(tb testing.TB, opts ...apptest.Option) *acme {
	tb.Helper()
	env := apptest.New(tb, opts...)
	a := &acme{tenant: newTenant(tb, env, env.AccountID, env.Token, "acme")}
	a.op, a.idpID = a.addOP(tb, "authentik", refop.Config{AutoLogin: "alice"})
	a.staffPolicy = a.policy(tb, "Acme staff", "allow", `[{"email_domain":{"domain":"acmecorp.company"}}]`)
	a.launcherID, a.launcherAUD = a.app(tb, `{"type":"app_launcher","policies":["`+a.staffPolicy+`"]}`)
	a.app(tb, `{"type":"bookmark","name":"Wiki","domain":"https://wiki.acmecorp.company","policies":["`+a.staffPolicy+`"]}`)
	return a
}

// signIn logs username in with a fresh browser through the given IdP and
// returns the browser, the final page (the launcher) and the redirects
// before it.
func (tn *tenant) signIn(tb testing.TB, op *refop.Provider, idpID, username string) (*http.Client, hop, []hop) {
	tb.Helper()
	op.SetAutoLogin(username)
	c := tn.env.Browser()
	final, hops := follow(tb, c, tn.loginURL(url.Values{"idp": {idpID}, "redirect_url": {"/"}}))
	return c, final, hops
}

// callbackHop is the hop that answered the IdP callback.
func callbackHop(tb testing.TB, hops []hop) hop {
	tb.Helper()
	for _, h := range hops {
		if h.url.Path == "/cdn-cgi/access/callback" {
			return h
		}
	}
	tb.Fatalf("no callback among the redirects")
	return hop{}
}

// hop is one HTTP response as a browser saw it.
type hop struct {
	status  int
	rawLoc  string // Location as sent
	loc     string // Location, resolved against the request URL
	body    string
	url     *url.URL
	cookies []*http.Cookie // Set-Cookie
}

func (h hop) setCookie(name string) *http.Cookie {
	for _, c := range h.cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// get sends one GET without following redirects.
func get(tb testing.TB, c *http.Client, u string, header ...string) hop {
	tb.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		tb.Fatalf("GET %s: %v", u, err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		tb.Fatalf("GET %s: %v", u, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	h := hop{status: resp.StatusCode, body: string(body), url: resp.Request.URL, cookies: resp.Cookies()}
	if l := resp.Header.Get("Location"); l != "" {
		h.rawLoc = l
		next, err := resp.Request.URL.Parse(l)
		if err != nil {
			tb.Fatalf("GET %s: bad Location %q", u, l)
		}
		h.loc = next.String()
	}
	return h
}

// follow GETs u and follows redirects like a browser; it returns the
// final response and every hop before it.
func follow(tb testing.TB, c *http.Client, u string) (hop, []hop) {
	tb.Helper()
	var hops []hop
	for range 12 {
		h := get(tb, c, u)
		if h.status != http.StatusFound && h.status != http.StatusSeeOther || h.loc == "" {
			return h, hops
		}
		hops = append(hops, h)
		u = h.loc
	}
	tb.Fatalf("too many redirects: %v", hops)
	return hop{}, nil
}

// freshBrowser is a browser with an empty cookie jar that shares c's
// transport.
func freshBrowser(c *http.Client) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Transport: c.Transport, Timeout: c.Timeout, CheckRedirect: c.CheckRedirect}
}

// jarCookie is the value of the cookie the browser holds for u.
func jarCookie(c *http.Client, u, name string) string {
	pu, _ := url.Parse(u)
	for _, ck := range c.Jar.Cookies(pu) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// withCookie GETs u from a browser that holds no cookies and sends only
// name=value, as someone who copied a cookie would.
func withCookie(tb testing.TB, c *http.Client, u, name, value string) hop {
	tb.Helper()
	return get(tb, freshBrowser(c), u, "Cookie", name+"="+value)
}

var (
	idpLinkRE = regexp.MustCompile(`href="(/cdn-cgi/access/login/[^"]+)"`)
	tilesRE   = regexp.MustCompile(`(?s)<ul class="tiles">(.*?)</ul>`)
	tileRE    = regexp.MustCompile(`<li><a href="([^"]*)">([^<]*)</a></li>`)
)

// chooserIdPs are the IdP ids the choice page links to.
func chooserIdPs(tb testing.TB, body string) []string {
	tb.Helper()
	var out []string
	for _, m := range idpLinkRE.FindAllStringSubmatch(body, -1) {
		u, err := url.Parse(html.UnescapeString(m[1]))
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, u.Query().Get("idp"))
	}
	slices.Sort(out)
	return out
}

// tiles are the launcher's tiles as name → URL.
func tiles(body string) map[string]string {
	out := map[string]string{}
	m := tilesRE.FindStringSubmatch(body)
	if m == nil {
		return out
	}
	for _, t := range tileRE.FindAllStringSubmatch(m[1], -1) {
		out[html.UnescapeString(t[2])] = html.UnescapeString(t[1])
	}
	return out
}

// jwtParts decodes a compact JWT's header and payload without verifying.
func jwtParts(tb testing.TB, token string) (header, claims map[string]any) {
	tb.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		tb.Fatalf("not a JWT: %q", token)
	}
	for i, dst := range []*map[string]any{&header, &claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			tb.Fatalf("JWT part %d: %v", i, err)
		}
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.UseNumber()
		if err := dec.Decode(dst); err != nil {
			tb.Fatalf("JWT part %d: %v", i, err)
		}
	}
	return header, claims
}

// text is a page's text with HTML escapes undone, for substring checks.
func text(body string) string { return html.UnescapeString(body) }

// encodeSegment is v as a JWT segment.
func encodeSegment(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
