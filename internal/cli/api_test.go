package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAPICommand: ssogate api sends one request to any route with the
// guide's token, prints the result (or one field of it), and refuses bad
// input before sending anything.
func TestAPICommand(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	env := ts.env()
	acct := "/accounts/" + ts.account

	org := must(t, 0, env, "api", "POST", acct+"/access/organizations", "--data", `{"name":"Acme","auth_domain":"acme"}`)
	var o map[string]any
	if err := json.Unmarshal([]byte(org.stdout), &o); err != nil || o["auth_domain"] != "acme.access.localhost" {
		t.Fatalf("organization: %v %s", err, org.stdout)
	}
	file := filepath.Join(t.TempDir(), "policy.json")
	os.WriteFile(file, []byte(`{"name":"Staff","decision":"allow","include":[{"email_domain":{"domain":"acmecorp.company"}}]}`), 0o600)
	id := strings.TrimSpace(must(t, 0, env, "api", "post", acct+"/access/policies", "--data", "@"+file, "--field", "id").stdout)
	if len(id) != 36 {
		t.Fatalf("--field id printed %q, want the policy's UUID", id)
	}
	// The same path with the base URL's /client/v4, and a list.
	names := must(t, 0, env, "api", "GET", "/client/v4"+acct+"/access/policies", "--field", "#.name").stdout
	if names != "Staff\n" {
		t.Errorf("policy names: %q", names)
	}
	// An API error exits 1 with the API's message.
	r := must(t, 1, env, "api", "POST", acct+"/access/organizations", "--data", `{"name":"Again","auth_domain":"again"}`)
	contains(t, "API error", r.stderr, "HTTP 400", "already has an Access organization")
	// begin_verification answers without a result: nothing on stdout, the note on stderr.
	c := createJSON(t, env, testDomain)
	r = must(t, 0, env, "api", "POST", acct+"/sso_connectors/"+c.ID+"/begin_verification")
	if r.stdout != "" || !strings.Contains(r.stderr, "note: Verification started") {
		t.Errorf("begin_verification: stdout %q stderr %q", r.stdout, r.stderr)
	}

	before := len(ts.seen())
	for _, args := range [][]string{
		{"api"},
		{"api", "GET"},
		{"api", "TRACE", "/accounts"},
		{"api", "GET", "accounts"},
		{"api", "GET", "https://api.cloudflare.com/client/v4/accounts"},
		{"api", "POST", "/accounts", "--data", `{"name":`},
		{"api", "POST", "/accounts", "--data", "@/nonexistent/body.json"},
	} {
		if r := run(t, env, args...); r.code != 2 || r.stderr == "" {
			t.Errorf("ssogate %s: exit %d, want 2 with a message: %q", strings.Join(args, " "), r.code, r.stderr)
		}
	}
	if n := len(ts.seen()) - before; n != 0 {
		t.Errorf("%d requests were sent for refused commands", n)
	}
}
