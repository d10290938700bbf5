package dnsverify

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/dnsverify/dnstest"
)

const (
	token = "0123456789abcdef0123456789abcdef"
	want  = "cloudflare_dashboard_sso=" + token
)

// startServer runs a dnstest server for the length of the test.
func startServer(tb testing.TB, addr string) *dnstest.Server {
	tb.Helper()
	s, err := dnstest.Start(addr)
	if err != nil {
		tb.Fatalf("dnstest.Start(%q): %v", addr, err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// testConfig keeps timeouts short so failure cases finish quickly.
func testConfig() Config {
	return Config{QueryTimeout: 300 * time.Millisecond, CheckTimeout: 5 * time.Second, MaxUnreachable: -1}
}

func newVerifier(tb testing.TB, cfg Config) *Verifier {
	tb.Helper()
	v, err := New(cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return v
}

// directVerifier asks the given servers directly.
func directVerifier(tb testing.TB, servers ...*dnstest.Server) *Verifier {
	tb.Helper()
	cfg := testConfig()
	for _, s := range servers {
		cfg.Nameservers = append(cfg.Nameservers, s.Addr())
	}
	return newVerifier(tb, cfg)
}

func check(tb testing.TB, v *Verifier, domain, expected string) Result {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return v.Check(ctx, domain, expected)
}

// assertVerdict fails with the whole result, which is what a person would
// read to understand the verdict.
func assertVerdict(tb testing.TB, r Result, want Verdict) {
	tb.Helper()
	if r.Verdict != want {
		tb.Errorf("verdict = %s, want %s\nreason: %s\nservers: %+v", r.Verdict, want, r.Reason, r.Servers)
	}
}

func assertContains(tb testing.TB, what, got string, wants ...string) {
	tb.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			tb.Errorf("%s = %q, want it to mention %q", what, got, w)
		}
	}
}
