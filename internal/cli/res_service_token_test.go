package cli_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

var (
	createdST = regexp.MustCompile(`^Created service token (` + uuidIn.String() + `)\.\n`)
	stSecret  = regexp.MustCompile(`(?m)^client secret:\s+([0-9a-f]{64})$`)
	stClient  = regexp.MustCompile(`(?m)^client id:\s+(\S+)$`)
)

// stGateway is an application of ts that admits only a service token the
// CLI created, in front of an origin answering "origin"; get reports the
// status a request with a client id and secret gets at its host.
type stGateway struct {
	base, host string
}

func newSTGateway(t *testing.T, ts *testServer, env map[string]string, tokenID string) stGateway {
	t.Helper()
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "origin") }))
	t.Cleanup(origin.Close)
	must(t, 0, env, "access", "org", "set", "--name", "Acme", "--auth-domain", "acme")
	pol := uuidIn.FindString(must(t, 0, env, "access", "policy", "add", "--name", "CI", "--decision", "non_identity",
		"--include", "service_token="+tokenID).stdout)
	must(t, 0, env, "access", "app", "add", "--name", "Deploy", "--domain", "deploy."+testDomain, "--policy", pol, "--origin-url", origin.URL)
	return stGateway{base: strings.TrimSuffix(ts.url, "/client/v4"), host: "deploy." + testDomain}
}

func (g stGateway) get(t *testing.T, clientID, secret string) int {
	t.Helper()
	req, err := http.NewRequest("GET", g.base+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = g.host
	req.Header.Set("CF-Access-Client-Id", clientID)
	req.Header.Set("CF-Access-Client-Secret", secret)
	res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode == http.StatusOK && string(body) != "origin" {
		t.Errorf("the gateway answered 200 with %q, not the origin's answer", body)
	}
	return res.StatusCode
}

// TestServiceTokenCommands: create, list, rotate, refresh and delete a
// service token, each checked against the server: the secret create and
// rotate print once is the one the gateway takes, list and get never show
// it, and a rotated secret stops working.
func TestServiceTokenCommands(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	env := ts.env()
	get := func(id string) map[string]any {
		return decode[map[string]any](t, must(t, 0, env, "api", "GET", "/accounts/"+ts.account+"/access/service_tokens/"+id).stdout)
	}
	contains(t, "empty list", must(t, 0, env, "access", "service-token", "list").stdout, "No service tokens in account "+ts.account+".")

	r := must(t, 0, env, "access", "service-token", "create", "--name", "CI deploy", "--duration", "720h")
	m, sec, cid := createdST.FindStringSubmatch(r.stdout), stSecret.FindStringSubmatch(r.stdout), stClient.FindStringSubmatch(r.stdout)
	if m == nil || sec == nil || cid == nil {
		t.Fatalf("service-token create printed:\n%s", r.stdout)
	}
	id, clientID, secret := m[1], cid[1], sec[1]
	contains(t, "service-token create", r.stdout, "name:", "CI deploy", "expires:", "shown only now",
		"CF-Access-Client-Id: "+clientID+"\n", "CF-Access-Client-Secret: "+secret+"\n",
		"ssogate access policy add --name NAME --decision non_identity --include service_token="+id+"\n")
	if body := ts.lastBody(t, "/access/service_tokens"); len(body) != 2 || body["name"] != "CI deploy" || body["duration"] != "720h" {
		t.Errorf("service-token create sent %v, want only the name and duration", body)
	}
	stored := get(id)
	if stored["name"] != "CI deploy" || stored["client_id"] != clientID || stored["duration"] != "720h" || stored["client_secret_version"] != 1.0 {
		t.Errorf("the server has %v", stored)
	}
	if _, ok := stored["client_secret"]; ok {
		t.Errorf("get shows the secret: %v", stored)
	}
	gw := newSTGateway(t, ts, env, id)
	if got := gw.get(t, clientID, secret); got != http.StatusOK {
		t.Fatalf("the printed secret at the gateway: %d, want 200", got)
	}

	forever := decode[struct {
		ID           string
		ClientID     string  `json:"client_id"`
		ClientSecret string  `json:"client_secret"`
		Duration     string  `json:"duration"`
		ExpiresAt    *string `json:"expires_at"`
	}](t, must(t, 0, env, "access", "service-token", "create", "--name", "nightly", "--duration", "forever", "--json").stdout)
	if forever.ID == "" || len(forever.ClientSecret) != 64 || forever.Duration != "forever" || forever.ExpiresAt != nil {
		t.Errorf("service-token create --json = %+v, want the raw result with the secret and expires_at null", forever)
	}

	r = must(t, 0, env, "access", "service-token", "list")
	for _, want := range []string{
		`^ID\s+NAME\s+CLIENT ID\s+EXPIRES\s+LAST SEEN\n`,
		`(?m)^` + id + `\s+CI deploy\s+` + regexp.QuoteMeta(clientID) + `\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+\S+$`,
		`(?m)^` + forever.ID + `\s+nightly\s+` + regexp.QuoteMeta(forever.ClientID) + `\s+never\s+-$`,
	} {
		if !regexp.MustCompile(want).MatchString(r.stdout) {
			t.Errorf("service-token list does not match %s:\n%s", want, r.stdout)
		}
	}
	listJSON := must(t, 0, env, "access", "service-token", "list", "--json").stdout
	if n := len(decode[[]map[string]any](t, listJSON)); n != 2 {
		t.Errorf("service-token list --json has %d tokens, want 2", n)
	}
	for _, out := range []string{r.stdout, listJSON} {
		if strings.Contains(out, "client_secret\"") || strings.Contains(out, secret) || strings.Contains(out, forever.ClientSecret) {
			t.Errorf("service-token list shows a secret:\n%s", out)
		}
	}

	r = must(t, 0, env, "access", "service-token", "rotate", id)
	rotated := stSecret.FindStringSubmatch(r.stdout)
	if rotated == nil || rotated[1] == secret {
		t.Fatalf("service-token rotate printed:\n%s", r.stdout)
	}
	contains(t, "service-token rotate", r.stdout, "Rotated service token "+id+": the old client secret no longer works.",
		"CF-Access-Client-Id: "+clientID+"\n", "CF-Access-Client-Secret: "+rotated[1]+"\n", "shown only now")
	if strings.Contains(r.stdout, "policy add") {
		t.Errorf("service-token rotate repeats the policy hint:\n%s", r.stdout)
	}
	if v := get(id)["client_secret_version"]; v != 2.0 {
		t.Errorf("client_secret_version after rotate = %v, want 2", v)
	}
	if got := gw.get(t, clientID, secret); got != http.StatusUnauthorized {
		t.Errorf("the old secret after rotate: %d, want 401", got)
	}
	if got := gw.get(t, clientID, rotated[1]); got != http.StatusOK {
		t.Errorf("the new secret after rotate: %d, want 200", got)
	}
	again := decode[map[string]any](t, must(t, 0, env, "access", "service-token", "rotate", id, "--json").stdout)
	if s, _ := again["client_secret"].(string); len(s) != 64 || s == rotated[1] || again["client_secret_version"] != 3.0 {
		t.Errorf("service-token rotate --json = %v", again)
	}

	r = must(t, 0, env, "access", "service-token", "refresh", id)
	contains(t, "service-token refresh", r.stdout, "Refreshed service token "+id, "client id:", clientID, "duration:", "720h", "expires:")
	if strings.Contains(r.stdout, "secret:") {
		t.Errorf("service-token refresh shows a secret:\n%s", r.stdout)
	}
	seen := ts.seen()
	if last := seen[len(seen)-1]; last.method != "POST" || !strings.HasSuffix(last.path, "/access/service_tokens/"+id+"/refresh") {
		t.Errorf("service-token refresh sent %s %s", last.method, last.path)
	}
	contains(t, "refresh a token that never expires", must(t, 0, env, "access", "service-token", "refresh", forever.ID).stdout, "expires:", "never")
	refreshed := decode[map[string]any](t, must(t, 0, env, "access", "service-token", "refresh", id, "--json").stdout)
	if refreshed["id"] != id || refreshed["expires_at"] == nil {
		t.Errorf("service-token refresh --json = %v", refreshed)
	}

	r = must(t, 0, env, "access", "service-token", "delete", id)
	if r.stdout != "Deleted service token "+id+".\n" {
		t.Errorf("service-token delete printed %q", r.stdout)
	}
	if del := decode[map[string]any](t, must(t, 0, env, "access", "service-token", "delete", forever.ID, "--json").stdout); del["id"] != forever.ID {
		t.Errorf("service-token delete --json = %v", del)
	}
	contains(t, "list after the deletes", must(t, 0, env, "access", "service-token", "list").stdout, "No service tokens in account "+ts.account+".")
	if got := gw.get(t, clientID, again["client_secret"].(string)); got != http.StatusUnauthorized {
		t.Errorf("a deleted token at the gateway: %d, want 401", got)
	}

	for _, cmd := range []string{"delete", "rotate", "refresh"} {
		r := must(t, 1, env, "access", "service-token", cmd, id)
		contains(t, cmd+" of a deleted token", r.stderr, "HTTP 404", "Access service token "+id+" was not found")
	}
}

// TestServiceTokenPermissions: the commands need "Access: Service Tokens"
// Read or Write, not the applications' permission, and say so.
func TestServiceTokenPermissions(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	env := ts.env()
	value := must(t, 0, env, "token", "create", "--permission", "Access: Apps and Policies Write", "--field", "value").stdout
	as := with(env, "CLOUDFLARE_API_TOKEN", strings.TrimSpace(value))
	contains(t, "list", must(t, 1, as, "access", "service-token", "list").stderr, "HTTP 403", "Access: Service Tokens Read")
	contains(t, "create", must(t, 1, as, "access", "service-token", "create", "--name", "x").stderr, "HTTP 403", "Access: Service Tokens Write")
}

// TestServiceTokenUsageErrors: every mistake in a service-token command
// line exits 2 saying what is wrong, and no request reaches the server.
func TestServiceTokenUsageErrors(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	env := ts.env()
	const uuid = "0b7c1f2e-4d5a-4c3b-9e8f-0123456789ab"
	const clientID = "0123456789abcdef0123456789abcdef.access"
	tests := []struct {
		name  string
		args  []string
		wants []string
	}{
		{"list with an argument", []string{"list", "all"}, []string{`unexpected argument "all"`}},
		{"create without a name", []string{"create", "--duration", "720h"}, []string{"missing --name"}},
		{"create with a blank name", []string{"create", "--name", " "}, []string{"missing --name"}},
		{"create with a bad duration", []string{"create", "--name", "ci", "--duration", "1y"}, []string{`--duration "1y"`, "8760h", "forever"}},
		{"create with a negative duration", []string{"create", "--name", "ci", "--duration", "-1h"}, []string{`--duration "-1h"`}},
		{"create with an argument", []string{"create", "ci"}, []string{`unexpected argument "ci"`}},
		{"rotate without an id", []string{"rotate"}, []string{"give exactly one service token id, got 0"}},
		{"rotate with a client id", []string{"rotate", clientID}, []string{`service token id "` + clientID + `" is malformed`, "UUID"}},
		{"refresh with a path", []string{"refresh", "../" + uuid}, []string{"is malformed"}},
		{"refresh with two ids", []string{"refresh", uuid, uuid}, []string{"got 2 arguments"}},
		{"delete with an uppercase id", []string{"delete", strings.ToUpper(uuid)}, []string{"is malformed"}},
		{"delete with two ids", []string{"delete", uuid, uuid}, []string{"got 2 arguments"}},
		{"unknown command", []string{"revoke", uuid}, []string{`unknown command "revoke"`, "rotate ID"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := must(t, 2, env, append([]string{"access", "service-token"}, tt.args...)...)
			contains(t, "stderr", r.stderr, tt.wants...)
			if r.stdout != "" {
				t.Errorf("a usage error printed to stdout:\n%s", r.stdout)
			}
		})
	}
	if n := len(ts.seen()); n != 0 {
		t.Errorf("%d requests reached the server", n)
	}
}
