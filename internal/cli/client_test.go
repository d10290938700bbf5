package cli_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
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
	url     string // API base URL, .../client/v4
	account string
	tokenID string
	dns     *dnstest.Server

	mu      sync.Mutex
	headers []http.Header // request headers, in arrival order
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
	a, err := app.New(context.Background(), cfg, app.Options{}, io.Discard)
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	ts := &testServer{account: a.Bootstrap.Account.ID, tokenID: a.Bootstrap.Token.ID, dns: dnsSrv}
	h := a.Handler()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.mu.Lock()
		ts.headers = append(ts.headers, r.Header.Clone())
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

func (ts *testServer) seenHeaders() []http.Header {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]http.Header(nil), ts.headers...)
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
		{"id with a slash", ts.env(), []string{"sso", "get", "../tokens"}, []string{"is not valid"}},
		{"no domain", ts.env(), []string{"sso", "create"}, []string{"give exactly one email domain"}},
		{"empty token file", with(ts.env(), "CLOUDFLARE_API_TOKEN", ""), []string{"token", "verify", "--token-file", tokenFile},
			[]string{"is empty"}},
		{"bad api url", ts.env(), []string{"sso", "list", "--api-url", "ftp://x"}, []string{"not an http(s) URL"}},
		{"bad name server", ts.env(), []string{"sso", "verify", "0123456789abcdef0123456789abcdef", "--dns-nameservers", "ns.example:53"},
			[]string{"--dns-nameservers"}},
		{"unknown subcommand", ts.env(), []string{"sso", "frobnicate"}, []string{"usage: ssogate sso"}},
		{"unknown flag", ts.env(), []string{"sso", "list", "--token", "x"}, []string{"flag provided but not defined"}},
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
	hs := ts.seenHeaders()
	if len(hs) == 0 {
		t.Fatal("the server saw no request")
	}
	for _, h := range hs {
		if h.Get("X-Auth-Key") != "" || h.Get("X-Auth-Email") != "" {
			t.Errorf("legacy headers sent: %v", h)
		}
		if got := h.Get("Authorization"); got != "Bearer "+testToken {
			t.Errorf("Authorization = %q, want the token from the CLI's environment", got)
		}
	}
}
