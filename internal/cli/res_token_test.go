package cli_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

var createdToken = regexp.MustCompile(`^created API token ([0-9a-f]{32}) \((.*)\)\nvalue \(shown once\): (\S+)\n$`)

// TestTokenCommands: create, list, roll and delete an account token, and
// check each step against the server: the value printed works with token
// verify, holds only the permissions asked for, and stops working when
// rolled or deleted.
func TestTokenCommands(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	env := ts.env()

	r := must(t, 0, env, "token", "list")
	contains(t, "token list", r.stdout, ts.tokenID, "bootstrap token", "active", "never")
	if !regexp.MustCompile(`^ID\s+NAME\s+STATUS\s+EXPIRES\s+LAST USED\n`).MatchString(r.stdout) {
		t.Errorf("token list header:\n%s", r.stdout)
	}

	r = must(t, 0, env, "token", "create", "--name", "ci", "--permission", "SSO Connector Read",
		"--permission", "account settings read", "--ip-allow", "127.0.0.1/32", "--expires-on", "720h")
	m := createdToken.FindStringSubmatch(r.stdout)
	if m == nil || m[2] != "ci" {
		t.Fatalf("token create printed:\n%s", r.stdout)
	}
	id, value := m[1], m[3]
	as := with(env, "CLOUDFLARE_API_TOKEN", value)
	contains(t, "verify with the new token", must(t, 0, as, "token", "verify").stdout, id, "active", "expires on:")
	must(t, 0, as, "sso", "list")
	r = must(t, 1, as, "member", "list") // not one of its permissions
	contains(t, "member list with a token lacking the permission", r.stderr, "HTTP 403", "Account Members Read")

	list := decode[[]map[string]any](t, must(t, 0, env, "token", "list", "--json").stdout)
	if len(list) != 2 {
		t.Fatalf("token list --json has %d tokens, want 2", len(list))
	}
	r = must(t, 0, env, "token", "list")
	if !regexp.MustCompile(`(?m)^` + id + `\s+ci\s+active\s+\d{4}-\d\d-\d\dT`).MatchString(r.stdout) {
		t.Errorf("token list has no row for the new token with its expiry:\n%s", r.stdout)
	}

	created := decode[struct {
		ID, Value string
		Policies  []struct {
			PermissionGroups []struct{ ID, Name string } `json:"permission_groups"`
		}
		Condition struct {
			RequestIP struct{ In []string } `json:"request_ip"`
		}
	}](t, must(t, 0, env, "token", "create", "--permission", "Account Members Write", "--json").stdout)
	if created.Value == "" || len(created.Policies) != 1 || len(created.Policies[0].PermissionGroups) != 1 {
		t.Errorf("token create --json = %+v, want the value and one permission group", created)
	}

	r = must(t, 0, env, "token", "roll", id)
	rolled := regexp.MustCompile(`new value \(shown once\): (\S+)`).FindStringSubmatch(r.stdout)
	if rolled == nil || rolled[1] == value {
		t.Fatalf("token roll printed:\n%s", r.stdout)
	}
	contains(t, "verify with the old value", must(t, 1, as, "token", "verify").stderr, "HTTP 401")
	must(t, 0, with(env, "CLOUDFLARE_API_TOKEN", rolled[1]), "token", "verify")
	var again string
	if err := json.Unmarshal([]byte(must(t, 0, env, "token", "roll", id, "--json").stdout), &again); err != nil || len(again) < 20 {
		t.Errorf("token roll --json is not the new value as a JSON string: %v", err)
	}

	r = must(t, 0, env, "token", "delete", id)
	if r.stdout != "Deleted API token "+id+".\n" {
		t.Errorf("token delete printed %q", r.stdout)
	}
	must(t, 1, with(env, "CLOUDFLARE_API_TOKEN", again), "token", "verify")
	r = must(t, 1, env, "token", "delete", id)
	contains(t, "second delete", r.stderr, "HTTP 404", id)
	del := decode[map[string]string](t, must(t, 0, env, "token", "delete", created.ID, "--json").stdout)
	if del["id"] != created.ID {
		t.Errorf("token delete --json = %v", del)
	}
}

// TestTokenCreateUnknownPermission: a name the API does not list is a
// usage error naming the known ones; only the list was asked for.
func TestTokenCreateUnknownPermission(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	r := must(t, 2, ts.env(), "token", "create", "--permission", "DNS Write")
	contains(t, "stderr", r.stderr, `unknown permission "DNS Write"`, "SSO Connector Write", "Access: Apps and Policies Read")
	for _, req := range ts.seen() {
		if req.method != "GET" || !strings.HasSuffix(req.path, "/tokens/permission_groups") {
			t.Errorf("token create with an unknown permission sent %s %s", req.method, req.path)
		}
	}
}
