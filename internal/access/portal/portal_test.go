package portal_test

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/ssogate/ssogate/internal/access/portal"
	"github.com/ssogate/ssogate/internal/apptest"
	"github.com/ssogate/ssogate/internal/idp/refop"
	"github.com/ssogate/ssogate/internal/ids"
)

// team is a test team: ssogate with an Access organization, an authentik-
// like OpenID provider configured from its discovery URL, an App Launcher
// for acmecorp.company, a bookmark, and a verified, enabled SSO connector.
type team struct {
	env     *apptest.Env
	idp     *refop.Provider
	host    string // acme.access.localhost:<port>
	teamURL string
	idpID   string
}

const secret = "s3cret-client-secret-for-tests-only-0123456789"

func newTeam(t *testing.T) *team {
	t.Helper()
	env := apptest.New(t)
	host := "acme.access.localhost:" + env.Port()
	tm := &team{env: env, host: host, teamURL: "http://" + host}

	var handler http.Handler = http.NotFoundHandler()
	idpSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(idpSrv.Close)
	idp, err := refop.New(refop.Config{Issuer: idpSrv.URL, AutoLogin: "alice",
		Users: []refop.User{
			{Username: "alice", Email: "alice@acmecorp.company", Name: "Alice", Password: "pw", Groups: []string{"staff"}, EmailVerified: true},
			{Username: "mallory", Email: "mallory@evil.example", Name: "Mallory", Password: "pw"},
		},
		Clients: []refop.Client{{ID: "ssogate", Secret: secret, RedirectURIs: []string{tm.teamURL + "/cdn-cgi/access/callback"}}}})
	if err != nil {
		t.Fatal(err)
	}
	handler = idp.Handler()
	tm.idp = idp

	tm.api(t, "POST", "/access/organizations", `{"name":"Acme","auth_domain":"acme"}`, 201)
	res := tm.api(t, "POST", "/access/identity_providers", `{"name":"authentik","type":"oidc","config":{"client_id":"ssogate",
		"client_secret":"`+secret+`","issuer_url":"`+idp.IssuerURL()+`","pkce_enabled":true}}`, 201)
	tm.idpID = res["id"].(string)
	pol := tm.api(t, "POST", "/access/policies", `{"name":"Acme staff","decision":"allow","include":[{"email_domain":{"domain":"acmecorp.company"}}]}`, 201)
	tm.api(t, "POST", "/access/apps", `{"type":"app_launcher","policies":["`+pol["id"].(string)+`"]}`, 201)
	tm.api(t, "POST", "/access/apps", `{"type":"bookmark","name":"Wiki","domain":"https://wiki.acmecorp.company","policies":["`+pol["id"].(string)+`"]}`, 201)

	conn := tm.api(t, "POST", "/sso_connectors", `{"email_domain":"acmecorp.company"}`, 200)
	env.Publish("acmecorp.company", conn["verification"].(map[string]any)["code"].(string))
	id := conn["id"].(string)
	tm.api(t, "POST", "/sso_connectors/"+id+"/begin_verification", "", 200)
	tm.api(t, "PATCH", "/sso_connectors/"+id, `{"enabled":true}`, 200)
	return tm
}

// api calls the v4 API of the team's account and returns the result.
func (tm *team) api(t *testing.T, method, path, body string, status int) map[string]any {
	t.Helper()
	var b any
	if body != "" {
		b = body
	}
	r := tm.env.Do(method, "/accounts/"+tm.env.AccountID+path, tm.env.Token, b)
	if r.Status != status {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, r.Status, status, r.Body)
	}
	res, _ := r.JSON(t)["result"].(map[string]any)
	return res
}

// visit follows redirects like a browser (this server and the IdP), and
// returns the final response's status and body.
func visit(t *testing.T, c *http.Client, u string) (int, string, *url.URL) {
	t.Helper()
	for i := 0; i < 10; i++ {
		resp, err := c.Get(u)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
			return resp.StatusCode, string(body), resp.Request.URL
		}
		next, err := resp.Request.URL.Parse(resp.Header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		u = next.String()
	}
	t.Fatalf("too many redirects")
	return 0, "", nil
}

var linkRE = regexp.MustCompile(`href="(/cdn-cgi/access/login/[^"]+)"`)

// signIn goes to the team root, picks the IdP on the choice page and comes
// back signed in; it returns the launcher page.
func (tm *team) signIn(t *testing.T, c *http.Client) (int, string) {
	t.Helper()
	status, body, _ := visit(t, c, tm.teamURL+"/")
	if status != 200 || !strings.Contains(body, "authentik") {
		t.Fatalf("login page: %d %s", status, body)
	}
	m := linkRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no IdP link on the login page: %s", body)
	}
	status, body, _ = visit(t, c, tm.teamURL+html.UnescapeString(m[1]))
	return status, body
}

func TestLauncherAfterLogin(t *testing.T) {
	tm := newTeam(t)
	c := tm.env.Browser()
	status, body := tm.signIn(t, c)
	if status != 200 || !strings.Contains(body, "SSO App") || !strings.Contains(body, "Wiki") || !strings.Contains(body, "alice@acmecorp.company") {
		t.Fatalf("launcher: %d %s", status, body)
	}
	status, body, _ = visit(t, c, tm.teamURL+"/cdn-cgi/access/get-identity")
	var id portal.Identity
	if status != 200 || json.Unmarshal([]byte(body), &id) != nil || id.Email != "alice@acmecorp.company" ||
		id.IdP.ID != tm.idpID || len(id.Groups) != 1 || id.Groups[0] != "staff" {
		t.Fatalf("get-identity: %d %s", status, body)
	}
}

func TestOrgTokenVerifiesWithGoOIDC(t *testing.T) {
	tm := newTeam(t)
	c := tm.env.Browser()
	tm.signIn(t, c)
	u, _ := url.Parse(tm.teamURL)
	var token string
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "CF_Authorization" {
			token = ck.Value
		}
	}
	if token == "" {
		t.Fatal("no CF_Authorization cookie")
	}
	ctx := oidc.ClientContext(context.Background(), c)
	ks := oidc.NewRemoteKeySet(ctx, tm.teamURL+"/cdn-cgi/access/certs")
	v := oidc.NewVerifier(tm.teamURL, ks, &oidc.Config{ClientID: "acme.access.localhost"})
	tok, err := v.Verify(ctx, token)
	if err != nil {
		t.Fatalf("go-oidc refused the org token: %v", err)
	}
	var claims struct {
		Email, Type string
	}
	_ = tok.Claims(&claims)
	if claims.Email != "alice@acmecorp.company" || claims.Type != "org" {
		t.Fatalf("claims: %+v", claims)
	}
}

var assertionRE = regexp.MustCompile(`name="assertion" value="([^"]+)"`)

func TestSSOAppAssertion(t *testing.T) {
	tm := newTeam(t)
	c := tm.env.Browser()
	tm.signIn(t, c)
	status, body, _ := visit(t, c, tm.teamURL+"/cdn-cgi/access/sso/dash")
	m := assertionRE.FindStringSubmatch(body)
	if status != 200 || m == nil || !strings.Contains(body, `action="http://localhost:`+tm.env.Port()+`/login/sso"`) {
		t.Fatalf("SSO App sign-in: %d %s", status, body)
	}
	token := html.UnescapeString(m[1])
	a, err := tm.env.App.Portal.ConsumeAssertion(context.Background(), token)
	if err != nil || a.Email != "alice@acmecorp.company" || a.Type != "dash_sso" || a.Expiry-a.IssuedAt != 60 {
		t.Fatalf("consume: %v %+v", err, a)
	}
	if _, err := tm.env.App.Portal.ConsumeAssertion(context.Background(), token); !errors.Is(err, portal.ErrAssertionReplay) {
		t.Fatalf("replayed assertion: %v", err)
	}
	tampered := token[:len(token)-4] + "AAAA"
	if _, err := tm.env.App.Portal.ConsumeAssertion(context.Background(), tampered); !errors.Is(err, portal.ErrAssertionInvalid) {
		t.Fatalf("tampered assertion: %v", err)
	}
}

func TestDenyShowsReasonAndLogoutRevokes(t *testing.T) {
	tm := newTeam(t)
	tm.idp.SetAutoLogin("mallory")
	c := tm.env.Browser()
	status, body := tm.signIn(t, c)
	if status != 403 || !strings.Contains(body, "your email domain is not acmecorp.company") || strings.Contains(body, "alice") {
		t.Fatalf("deny page: %d %s", status, body)
	}
	// The SSO App refuses too: its policy allows acmecorp.company only.
	if status, body, _ := visit(t, c, tm.teamURL+"/cdn-cgi/access/sso/dash"); status != 403 {
		t.Fatalf("SSO App for another domain: %d %s", status, body)
	}
	if status, _, _ := visit(t, c, tm.teamURL+"/cdn-cgi/access/get-identity"); status != 200 {
		t.Fatalf("get-identity before logout: %d", status)
	}
	visit(t, c, tm.teamURL+"/cdn-cgi/access/logout")
	if status, _, _ := visit(t, c, tm.teamURL+"/cdn-cgi/access/get-identity"); status != 401 {
		t.Fatalf("get-identity after logout: %d", status)
	}
}

func TestIdPTestActionShowsClaims(t *testing.T) {
	tm := newTeam(t)
	c := tm.env.Browser()
	// Without a ticket from the dashboard, the team domain runs no test.
	if status, _, _ := visit(t, c, tm.teamURL+"/cdn-cgi/access/test-idp/"+tm.idpID); status != 403 {
		t.Fatalf("test without a ticket: %d, want 403", status)
	}
	link, err := tm.env.App.Portal.IdPTestURL(context.Background(), tm.env.AccountID, tm.idpID)
	if err != nil {
		t.Fatal(err)
	}
	// A ticket for one IdP does not test another.
	if status, _, _ := visit(t, c, strings.Replace(link, tm.idpID, ids.NewUUID(), 1)); status != 404 && status != 403 {
		t.Fatalf("ticket for another IdP: %d", status)
	}
	status, body, _ := visit(t, c, link)
	if status != 200 || !strings.Contains(body, "works!") || !strings.Contains(body, "alice@acmecorp.company") ||
		!strings.Contains(body, "staff") || !strings.Contains(body, "preferred_username") {
		t.Fatalf("test page: %d %s", status, body)
	}
	if status, _, _ := visit(t, c, tm.teamURL+"/cdn-cgi/access/get-identity"); status != 401 {
		t.Fatalf("an IdP test must not sign anyone in: get-identity %d", status)
	}
	if status, _, _ := visit(t, c, link); status != 403 {
		t.Fatalf("a test link works once; second use: %d", status)
	}
}

func TestRevokeUserEndsSessions(t *testing.T) {
	tm := newTeam(t)
	c := tm.env.Browser()
	tm.signIn(t, c)
	if status, _, _ := visit(t, c, tm.teamURL+"/cdn-cgi/access/get-identity"); status != 200 {
		t.Fatalf("before revoke: %d", status)
	}
	r := tm.env.Do("POST", "/accounts/"+tm.env.AccountID+"/access/organizations/revoke_user", tm.env.Token, `{"email":"Alice@AcmeCorp.company"}`)
	if r.Status != 200 || r.JSON(t)["result"] != true {
		t.Fatalf("revoke_user: %d %s", r.Status, r.Body)
	}
	if status, _, _ := visit(t, c, tm.teamURL+"/cdn-cgi/access/get-identity"); status != 401 {
		t.Fatalf("after revoke: %d", status)
	}
	// Revoking again ends nothing more.
	if r := tm.env.Do("POST", "/accounts/"+tm.env.AccountID+"/access/organizations/revoke_user", tm.env.Token, `{"email":"alice@acmecorp.company"}`); r.JSON(t)["result"] != false {
		t.Fatalf("second revoke: %s", r.Body)
	}
}
