package refop

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

const (
	testClientID = "cf-access"
	testSecret   = "a-client-secret-of-authentik-length-0123456789abcdef"
	// Never contacted: the tests read the redirect's Location instead.
	testRedirect = "https://team.cloudflareaccess.com/cdn-cgi/access/callback"
)

var (
	alice = User{ID: "1", Username: "alice", Email: "alice@example.com", Name: "Alice Liddell",
		Password: "wonderland", Groups: []string{"admins", "staff"}, EmailVerified: true}
	bob = User{ID: "2", Username: "bob", Email: "bob@example.com", Name: "Bob Builder",
		Password: "canwefixit"}
)

// env is a provider on a loopback httptest server and an RP-side HTTP
// client that never follows redirects.
type env struct {
	p   *Provider
	srv *httptest.Server
	hc  *http.Client
	ctx context.Context // carries hc for go-oidc and x/oauth2
}

func newEnv(t *testing.T, mutate func(*Config)) *env {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	cfg := Config{
		Issuer:    srv.URL,
		Users:     []User{alice, bob},
		Clients:   []Client{{ID: testClientID, Secret: testSecret, RedirectURIs: []string{testRedirect}}},
		AutoLogin: "alice",
	}
	if mutate != nil {
		mutate(&cfg)
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	mux.Handle("/", p.Handler())
	hc := &http.Client{
		Timeout:       5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return &env{p: p, srv: srv, hc: hc, ctx: oidc.ClientContext(ctx, hc)}
}

func (e *env) oauth2Config(t *testing.T, style oauth2.AuthStyle) *oauth2.Config {
	t.Helper()
	return &oauth2.Config{
		ClientID:     testClientID,
		ClientSecret: testSecret,
		RedirectURL:  testRedirect,
		Scopes:       []string{oidc.ScopeOpenID, "email", "profile"},
		Endpoint: oauth2.Endpoint{
			AuthURL:   e.srv.URL + "/application/o/authorize/",
			TokenURL:  e.srv.URL + "/application/o/token/",
			AuthStyle: style,
		},
	}
}

func (e *env) get(t *testing.T, rawURL string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(e.ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// codeFrom expects a redirect to the registered redirect URI with a code.
func codeFrom(t *testing.T, resp *http.Response, wantState string) string {
	t.Helper()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("status = %d, want 302; body: %s", resp.StatusCode, readBody(t, resp))
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != testRedirect {
		t.Fatalf("redirected to %q, want %q", got, testRedirect)
	}
	q := loc.Query()
	if q.Get("error") != "" {
		t.Fatalf("error redirect: %s: %s", q.Get("error"), q.Get("error_description"))
	}
	if q.Get("state") != wantState {
		t.Fatalf("state = %q, want %q", q.Get("state"), wantState)
	}
	if q.Get("code") == "" {
		t.Fatal("no code in redirect")
	}
	return q.Get("code")
}

// autoLoginCode runs /authorize in auto-login mode and returns the code.
func (e *env) autoLoginCode(t *testing.T, conf *oauth2.Config, state string, opts ...oauth2.AuthCodeOption) string {
	t.Helper()
	return codeFrom(t, e.get(t, conf.AuthCodeURL(state, opts...)), state)
}

func (e *env) verifier(t *testing.T) *oidc.IDTokenVerifier {
	t.Helper()
	op, err := oidc.NewProvider(e.ctx, e.p.IssuerURL())
	if err != nil {
		t.Fatalf("go-oidc discovery: %v", err)
	}
	return op.Verifier(&oidc.Config{ClientID: testClientID})
}

func rawIDToken(t *testing.T, tok *oauth2.Token) string {
	t.Helper()
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		t.Fatal("token response has no id_token")
	}
	return raw
}

// jwtParts decodes a compact JWT's header and claims without verifying it.
func jwtParts(t *testing.T, raw string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %q", raw)
	}
	decode := func(s string) map[string]any {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	return decode(parts[0]), decode(parts[1])
}

// tokenError posts a raw token request and returns status and OAuth error.
func (e *env) tokenError(t *testing.T, form url.Values) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(e.ctx, http.MethodPost, e.srv.URL+"/application/o/token/", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(testClientID, testSecret)
	resp, err := e.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Error string `json:"error"`
	}
	json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body.Error
}

func numClaim(t *testing.T, claims map[string]any, name string) time.Time {
	t.Helper()
	f, ok := claims[name].(float64)
	if !ok {
		t.Fatalf("claim %s = %v (%T), want a number", name, claims[name], claims[name])
	}
	return time.Unix(int64(f), 0)
}
