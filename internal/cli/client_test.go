package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/app"
	"github.com/ssogate/ssogate/internal/cli"
	"github.com/ssogate/ssogate/internal/config"
	"github.com/ssogate/ssogate/internal/dnsverify/dnstest"
)

const (
	testToken  = "ssogate_test_token_0123456789abcdefghijk" // 40 characters
	testDomain = "acmecorp.company"
)

// testServer is a real ssogate (app.New, real SQLite, real handlers)
// behind httptest, checking DNS against a real loopback DNS server.
type testServer struct {
	url         string // API base URL, .../client/v4
	account     string
	accountName string
	tokenID     string
	dns         *dnstest.Server

	mu       sync.Mutex
	requests []seenRequest // in arrival order
}

// seenRequest is what the CLI sent: tests about the client's side of the
// wire (headers, which keys a body carries) look here.
type seenRequest struct {
	method, path string
	header       http.Header
	body         []byte
}

func startServer(t *testing.T) *testServer {
	t.Helper()
	dnsSrv, err := dnstest.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("dnstest.Start: %v", err)
	}
	t.Cleanup(func() { dnsSrv.Close() })
	dnsSrv.AddZone(testDomain)

	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.DNSNameservers = []string{dnsSrv.Addr()}
	cfg.BootstrapToken = testToken
	// No worker runs here, so every check is one the CLI asks for; a
	// cooldown would turn a check right after another into a timeout.
	cfg.VerifyCooldown = 0
	a, err := app.New(context.Background(), cfg, app.Options{}, io.Discard)
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	ts := &testServer{account: a.Bootstrap.Account.ID, accountName: a.Bootstrap.Account.Name, tokenID: a.Bootstrap.Token.ID, dns: dnsSrv}
	h := a.Handler()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("read request body: %v", err)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		ts.mu.Lock()
		ts.requests = append(ts.requests, seenRequest{r.Method, r.URL.Path, r.Header.Clone(), body})
		ts.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	ts.url = hs.URL + "/client/v4"
	return ts
}

// env is the shell of the integration guide, plus where the API and the
// DNS server are.
func (ts *testServer) env() map[string]string {
	return map[string]string{
		"CLOUDFLARE_API_TOKEN":    testToken,
		"CLOUDFLARE_ACCOUNT_ID":   ts.account,
		"CLOUDFLARE_BASE_URL":     ts.url,
		"SSOGATE_DNS_NAMESERVERS": ts.dns.Addr(),
	}
}

func (ts *testServer) seen() []seenRequest {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]seenRequest(nil), ts.requests...)
}

type result struct {
	code           int
	stdout, stderr string
}

// run runs the CLI in-process with env as its whole environment.
func run(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	code := cli.Main(ctx, args, &cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return env[k] }})
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// must runs the CLI and fails the test unless it exits with want.
func must(t *testing.T, want int, env map[string]string, args ...string) result {
	t.Helper()
	r := run(t, env, args...)
	if r.code != want {
		t.Fatalf("ssogate %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, want, r.stdout, r.stderr)
	}
	return r
}

func contains(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s does not contain %q:\n%s", what, w, text)
		}
	}
}

func with(env map[string]string, kv ...string) map[string]string {
	out := make(map[string]string, len(env))
	for k, v := range env {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(out, kv[i])
		} else {
			out[kv[i]] = kv[i+1]
		}
	}
	return out
}

func TestUsageErrorsNameTheVariable(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	tokenFile := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(tokenFile, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		env   map[string]string
		args  []string
		wants []string
	}{
		{"no token", with(ts.env(), "CLOUDFLARE_API_TOKEN", ""), []string{"sso", "list"},
			[]string{"export CLOUDFLARE_API_TOKEN=<your_api_token>"}},
		{"no token no account", with(ts.env(), "CLOUDFLARE_API_TOKEN", "", "CLOUDFLARE_ACCOUNT_ID", ""), []string{"sso", "list"},
			[]string{"export CLOUDFLARE_API_TOKEN=", "export CLOUDFLARE_ACCOUNT_ID=<your_account_id>"}},
		{"no account", with(ts.env(), "CLOUDFLARE_ACCOUNT_ID", ""), []string{"sso", "create", testDomain},
			[]string{"export CLOUDFLARE_ACCOUNT_ID="}},
		{"no connector id", ts.env(), []string{"sso", "get"},
			[]string{"export CLOUDFLARE_SSO_CONNECTOR_ID=<your_sso_connector_id>"}},
		{"id with a slash", ts.env(), []string{"sso", "get", "../tokens"}, []string{"is malformed"}},
		{"no domain", ts.env(), []string{"sso", "create"}, []string{"give exactly one email domain"}},
		{"begin-verification not a boolean", ts.env(), []string{"sso", "create", testDomain, "--begin-verification=maybe"},
			[]string{`"maybe"`, "-begin-verification", "want true or false"}},
		{"empty token file", with(ts.env(), "CLOUDFLARE_API_TOKEN", ""), []string{"token", "verify", "--token-file", tokenFile},
			[]string{"is empty"}},
		{"bad api url", ts.env(), []string{"sso", "list", "--api-url", "ftp://x"}, []string{"not an http(s) URL"}},
		{"bad name server", ts.env(), []string{"sso", "verify", "0123456789abcdef0123456789abcdef", "--dns-nameservers", "ns.example:53"},
			[]string{"--dns-nameservers"}},
		{"unknown subcommand", ts.env(), []string{"sso", "frobnicate"}, []string{`unknown command "frobnicate"`, "Usage: ssogate sso"}},
		{"malformed account", with(ts.env(), "CLOUDFLARE_ACCOUNT_ID", "Acme"), []string{"sso", "list"},
			[]string{`account id "Acme" is malformed`}},
		{"unknown flag", ts.env(), []string{"sso", "list", "--token", "x"}, []string{"unknown flag: --token"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := must(t, 2, tt.env, tt.args...)
			contains(t, "stderr", r.stderr, tt.wants...)
		})
	}
}

func TestWrongTokenShowsEnvelopeMessage(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	wrong := strings.Repeat("x", 40)
	r := must(t, 1, with(ts.env(), "CLOUDFLARE_API_TOKEN", wrong), "sso", "list")
	contains(t, "stderr", r.stderr, "Invalid API Token", "HTTP 401", "code 1000")
	if strings.Contains(r.stderr, `"success"`) || strings.Contains(r.stderr, wrong) {
		t.Errorf("stderr carries the raw response or the token:\n%s", r.stderr)
	}

	// A malformed token gets Cloudflare's 6003 with an error_chain.
	r = must(t, 1, with(ts.env(), "CLOUDFLARE_API_TOKEN", "short"), "sso", "list")
	contains(t, "stderr", r.stderr, "caused by: Invalid format for Authorization header")
}

func TestAPIURLFlagWinsOverEnvironment(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	env := with(ts.env(), "CLOUDFLARE_BASE_URL", "http://127.0.0.1:1/client/v4")
	must(t, 0, env, "sso", "list", "--api-url", ts.url)
	// A URL without a path gets /client/v4.
	must(t, 0, env, "sso", "list", "--api-url", strings.TrimSuffix(ts.url, "/client/v4"))
}

// TestLegacyKeyHeadersAreNotSent sets the process environment the SDK reads
// on its own, so it cannot run in parallel.
func TestLegacyKeyHeadersAreNotSent(t *testing.T) {
	t.Setenv("CLOUDFLARE_API_KEY", "0123456789abcdef0123456789abcdef01234")
	t.Setenv("CLOUDFLARE_EMAIL", "admin@acmecorp.company")
	t.Setenv("CLOUDFLARE_API_TOKEN", "some_other_token_from_the_shell_00000000")
	ts := startServer(t)
	must(t, 0, ts.env(), "sso", "list")
	reqs := ts.seen()
	if len(reqs) == 0 {
		t.Fatal("the server saw no request")
	}
	for _, req := range reqs {
		h := req.header
		if h.Get("X-Auth-Key") != "" || h.Get("X-Auth-Email") != "" {
			t.Errorf("legacy headers sent: %v", h)
		}
		if got := h.Get("Authorization"); got != "Bearer "+testToken {
			t.Errorf("Authorization = %q, want the token from the CLI's environment", got)
		}
	}
}

// TestMalformedConnectorIDSendsNothing: a connector id that is not 32
// lowercase hex characters, from the argument or the environment, is a
// usage error found before any request is made.
func TestMalformedConnectorIDSendsNothing(t *testing.T) {
	t.Parallel()
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		t.Errorf("the CLI sent %s %s", r.Method, r.URL)
		http.Error(w, "no request expected", http.StatusTeapot)
	}))
	t.Cleanup(srv.Close)
	env := map[string]string{
		"CLOUDFLARE_API_TOKEN":  testToken,
		"CLOUDFLARE_ACCOUNT_ID": "0123456789abcdef0123456789abcdef",
		"CLOUDFLARE_BASE_URL":   srv.URL + "/client/v4",
	}
	malformed := []string{
		"deadbeef",
		"0123456789ABCDEF0123456789ABCDEF", // upper case
		"0123456789abcdef0123456789abcdef0",
		"0123456789abcdef0123456789abcdeg",
		"../tokens",
	}
	for _, cmd := range []string{"get", "verify", "enable", "disable", "delete"} {
		for _, id := range malformed {
			want := fmt.Sprintf("SSO connector id %q is malformed: expected 32 lowercase hex characters", id)
			t.Run(cmd+" argument "+id, func(t *testing.T) {
				r := must(t, 2, env, "sso", cmd, id)
				contains(t, "stderr", r.stderr, want)
			})
			t.Run(cmd+" environment "+id, func(t *testing.T) {
				r := must(t, 2, with(env, "CLOUDFLARE_SSO_CONNECTOR_ID", id), "sso", cmd)
				contains(t, "stderr", r.stderr, want)
			})
		}
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests reached the server", n)
	}
}

// TestAPIMessagesGoToStderr: the envelope's messages, which the SDK's
// typed results drop, reach stderr as note lines, with --json too, while
// stdout stays the result alone.
func TestAPIMessagesGoToStderr(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	env := ts.env()
	c := createJSON(t, env, testDomain)
	const begun = "note: Verification started: status "
	tests := []struct {
		name string
		args []string
		note string
	}{
		{"begin_verification", []string{"sso", "verify", c.ID}, begun},
		{"begin_verification --json", []string{"sso", "verify", c.ID, "--json"}, begun},
		{"token verify", []string{"token", "verify"}, "note: This API Token is valid and active\n"},
		{"token verify --json", []string{"token", "verify", "--json"}, "note: This API Token is valid and active\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := must(t, 0, env, tt.args...)
			contains(t, "stderr", r.stderr, tt.note)
			if strings.Contains(r.stdout, "note:") {
				t.Errorf("a note reached stdout:\n%s", r.stdout)
			}
			if tt.args[len(tt.args)-1] == "--json" {
				decode[map[string]any](t, r.stdout)
			}
		})
	}

	// PATCH: enabling in an account without an Access organization
	// answers with a note about the SSO App.
	ts.dns.SetTXT(testDomain, []string{c.Verification.Code})
	must(t, 0, env, "sso", "verify", c.ID, "--wait", "--interval", "50ms", "--timeout", "15s")
	r := must(t, 0, env, "sso", "enable", c.ID, "--json")
	decode[rawConnector](t, r.stdout)
	if !regexp.MustCompile(`(?m)^note: \S`).MatchString(r.stderr) {
		t.Errorf("enable printed no note on stderr:\n%s", r.stderr)
	}
}
