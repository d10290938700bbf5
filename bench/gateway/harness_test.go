package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The harness is not run in CI (it takes minutes), but it reads
// docs/forward-auth.md at run time: these tests fail when the page changes
// in a way the harness could no longer substitute, so a doc edit cannot
// break the benchmark unnoticed.

func TestForwardAuthBlocksFromTheDocs(t *testing.T) {
	const doc = "../../docs/forward-auth.md"
	nginx, err := forwardAuthBlock(doc, "127.0.0.1:4000")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"listen 127.0.0.1:4000 reuseport;", "server_name " + appHost, "proxy_pass http://app;",
		"auth_request /", "proxy_set_header Connection \"\";"} {
		if !strings.Contains(nginx, want) {
			t.Errorf("nginx block lacks %q:\n%s", want, nginx)
		}
	}
	caddy, err := caddyForwardAuthBlock(doc, "4001", "127.0.0.1:5000", "127.0.0.1:6000")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"http://" + appHost + ":4001 {", "forward_auth 127.0.0.1:5000", "reverse_proxy 127.0.0.1:6000",
		"reverse_proxy 127.0.0.1:5000"} {
		if !strings.Contains(caddy, want) {
			t.Errorf("Caddy block lacks %q:\n%s", want, caddy)
		}
	}
	if _, err := forwardAuthBlock("harness_test.go", "127.0.0.1:4000"); err == nil {
		t.Error("a page without an nginx block was accepted")
	}
}

func TestSelectedScenarios(t *testing.T) {
	want, err := selected(options{noCaddy: true, noPostgres: true})
	if err != nil {
		t.Fatal(err)
	}
	if want["caddy-bare"] || want["ssogate-pg-cookie"] || !want["nginx-auth-null"] || !want["bare"] {
		t.Errorf("-no-caddy -no-postgres selected %v", want)
	}
	if _, err := selected(options{only: "bare,caddy-nope"}); err == nil || !strings.Contains(err.Error(), "caddy-nope") {
		t.Errorf("an unknown scenario: %v", err)
	}
}

func TestAuthNullAdmitsAtOnce(t *testing.T) {
	rec := httptest.NewRecorder()
	authNull().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/cdn-cgi/access/forward-auth/nginx", nil))
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Errorf("authNull: %d %q, want 200 and no body", rec.Code, rec.Body)
	}
	like := &scenario{headers: []string{"Host: x", "Cookie: CF_Authorization=abc"}}
	if got := nullAuthHeaders("4002", like); len(got) != 2 || got[0] != "Host: "+appHost+":4002" || got[1] != like.headers[1] {
		t.Errorf("nullAuthHeaders with a forward-auth scenario: %q", got)
	}
	if got := nullAuthHeaders("4002", nil); len(got) != 2 || !strings.HasPrefix(got[1], "Cookie: CF_Authorization=") {
		t.Errorf("nullAuthHeaders alone: %q", got)
	}
}
