package backup_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/app"
	"github.com/ssogate/ssogate/internal/apptest"
	"github.com/ssogate/ssogate/internal/config"
	"github.com/ssogate/ssogate/internal/idp/refop"
	"github.com/ssogate/ssogate/internal/store"
)

// This file holds the fixtures: an ssogate instance set up through its API
// with an Access organization "acme", the reference OpenID provider as an
// identity provider (a sealed client secret) and an App Launcher; signing
// in there makes an Access signing key (sealed) and a session.

const (
	opSecret   = "backup-tests-client-secret-0123456789abcdefgh"
	publicPort = "8443" // every instance of a test answers as this port, as instances behind one address do
	teamHost   = "acme.access.localhost"
	teamURL    = "http://" + teamHost + ":" + publicPort
)

// testCtx bounds a test's own operations.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// startOP serves the reference OpenID provider for the tests' team domain,
// signing alice in without a form; it outlives the instances of t.
func startOP(t *testing.T) *refop.Provider {
	t.Helper()
	var handler http.Handler = http.NotFoundHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	op, err := refop.New(refop.Config{Issuer: srv.URL, AutoLogin: "alice",
		Users:   []refop.User{{Username: "alice", Email: "alice@acmecorp.company", Name: "Alice", Password: "pw", EmailVerified: true}},
		Clients: []refop.Client{{ID: "ssogate", Secret: opSecret, RedirectURIs: []string{teamURL + "/cdn-cgi/access/callback"}}}})
	if err != nil {
		t.Fatal(err)
	}
	handler = op.Handler()
	return op
}

// inDir runs the instance on the given data directory.
func inDir(dir string) apptest.Option {
	return func(c *config.Config, _ *app.Options) { c.DataDir = dir }
}

// start runs ssogate on dir as the test's public port.
func start(t *testing.T, dir string, opts ...apptest.Option) *apptest.Env {
	t.Helper()
	return apptest.New(t, append([]apptest.Option{inDir(dir), apptest.WithPublicPort(publicPort)}, opts...)...)
}

// site is what setUp made.
type site struct {
	accountID string
	token     string // the bootstrap token
	idpID     string
}

// setUp configures acme on a fresh instance through the v4 API.
func setUp(t *testing.T, env *apptest.Env, op *refop.Provider) site {
	t.Helper()
	s := site{accountID: env.AccountID, token: env.Token}
	call(t, env, s, "POST", "/access/organizations", `{"name":"Acme","auth_domain":"acme"}`, 201)
	s.idpID = call(t, env, s, "POST", "/access/identity_providers", `{"name":"authentik","type":"oidc","config":{"client_id":"ssogate",
		"client_secret":"`+opSecret+`","issuer_url":"`+op.IssuerURL()+`","pkce_enabled":true}}`, 201)["id"].(string)
	pol := call(t, env, s, "POST", "/access/policies", `{"name":"Acme staff","decision":"allow",
		"include":[{"email_domain":{"domain":"acmecorp.company"}}]}`, 201)["id"].(string)
	call(t, env, s, "POST", "/access/apps", `{"type":"app_launcher","policies":["`+pol+`"]}`, 201)
	return s
}

func call(t *testing.T, env *apptest.Env, s site, method, path, body string, status int) map[string]any {
	t.Helper()
	var b any
	if body != "" {
		b = body
	}
	r := env.Do(method, "/accounts/"+s.accountID+path, s.token, b)
	if r.Status != status {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, r.Status, status, r.Body)
	}
	var res struct {
		Result map[string]any `json:"result"`
	}
	_ = json.Unmarshal(r.Body, &res)
	return res.Result
}

// signIn signs alice in to the App Launcher through the reference provider
// — the token exchange needs the IdP's client secret, the org token the
// account's signing key — and returns the org token (CF_Authorization).
func signIn(t *testing.T, env *apptest.Env, idpID string) string {
	t.Helper()
	c := env.Browser()
	q := url.Values{"idp": {idpID}, "redirect_url": {"/"}}
	req, _ := http.NewRequest("GET", teamURL+"/cdn-cgi/access/login/"+teamHost+"?"+q.Encode(), nil)
	apptest.Browse(t, c, req)
	u, _ := url.Parse(teamURL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "CF_Authorization" && ck.Value != "" {
			return ck.Value
		}
	}
	t.Fatalf("no CF_Authorization after signing in")
	return ""
}

// identityStatus asks env's team domain who the org token is.
func identityStatus(t *testing.T, env *apptest.Env, orgToken string) (int, string) {
	t.Helper()
	c := env.Browser()
	req, _ := http.NewRequest("GET", teamURL+"/cdn-cgi/access/get-identity", nil)
	req.Header.Set("Cookie", "CF_Authorization="+orgToken)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Email string `json:"email"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body.Email
}

// checkAlive proves an instance serves what the original one made: the API
// token verifies, the org token issued before still names alice, the IdP's
// client secret opens to the original, and a new sign-in works.
func checkAlive(t *testing.T, env *apptest.Env, s site, apiToken, orgToken string) {
	t.Helper()
	if r := env.Do("GET", "/user/tokens/verify", apiToken, nil); r.Status != 200 {
		t.Errorf("API token made before: verify = %d %s", r.Status, r.Body)
	}
	if status, email := identityStatus(t, env, orgToken); status != 200 || email != "alice@acmecorp.company" {
		t.Errorf("org token issued before: get-identity = %d %q, want 200 alice", status, email)
	}
	_, secret, err := env.App.Access.IdPSecret(context.Background(), s.accountID, s.idpID)
	if err != nil || secret != opSecret {
		t.Errorf("IdP client secret = %q, %v; want the original", secret, err)
	}
	if status, _ := identityStatus(t, env, signIn(t, env, s.idpID)); status != 200 {
		t.Errorf("new sign-in: get-identity = %d", status)
	}
}

// openDB opens a data directory's database (or the PostgreSQL one) for
// looking, closed at cleanup.
func openDB(t *testing.T, cfg config.Config) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// readKey reads a key file's text.
func readKey(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// configFor is the configuration an admin command gets for dir.
func configFor(dir string) config.Config {
	cfg := config.Default()
	cfg.DataDir = dir
	return cfg
}

func keyPath(dir string) string { return filepath.Join(dir, "secret.key") }
