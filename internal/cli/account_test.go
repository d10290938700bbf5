package cli_test

import (
	"regexp"
	"strings"
	"testing"
)

// TestAccountList: a table for people, the API's objects under --json.
// The account id in the environment is not read: account list is how a
// script learns it, and a stale or malformed one must not get in the way.
func TestAccountList(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	envs := map[string]map[string]string{
		"account exported":  ts.env(),
		"no account":        with(ts.env(), "CLOUDFLARE_ACCOUNT_ID", ""),
		"malformed account": with(ts.env(), "CLOUDFLARE_ACCOUNT_ID", "Acme"),
	}
	for name, env := range envs {
		t.Run(name, func(t *testing.T) {
			r := must(t, 0, env, "account", "list")
			lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
			if len(lines) != 2 {
				t.Fatalf("account list printed %d lines, want a header and 1 row:\n%s", len(lines), r.stdout)
			}
			if !regexp.MustCompile(`^ID\s+NAME\s+CREATED$`).MatchString(lines[0]) {
				t.Errorf("header = %q", lines[0])
			}
			row := regexp.MustCompile(`^` + ts.account + `\s+` + regexp.QuoteMeta(ts.accountName) + `\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)
			if !row.MatchString(lines[1]) {
				t.Errorf("row = %q, want the id, %q and the creation time", lines[1], ts.accountName)
			}
			if name := strings.Index(lines[0], "NAME"); !strings.HasPrefix(lines[1][name:], ts.accountName) {
				t.Errorf("row not aligned with the header:\n%s", r.stdout)
			}
		})
	}

	r := must(t, 0, ts.env(), "account", "list", "--json")
	list := decode[[]map[string]any](t, r.stdout)
	if len(list) != 1 || list[0]["id"] != ts.account || list[0]["name"] != ts.accountName {
		t.Fatalf("account list --json = %v, want the bootstrap account", list)
	}
	for _, key := range []string{"type", "created_on", "settings"} {
		if _, ok := list[0][key]; !ok {
			t.Errorf("account list --json dropped %q: %v", key, list[0])
		}
	}
	seen := ts.seen()
	if req := seen[len(seen)-1]; req.method != "GET" || req.path != "/client/v4/accounts" {
		t.Errorf("account list sent %s %s, want GET /client/v4/accounts", req.method, req.path)
	}
}

func TestAccountGet(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	tests := []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"from the environment", ts.env(), nil},
		{"argument", with(ts.env(), "CLOUDFLARE_ACCOUNT_ID", ""), []string{ts.account}},
		{"argument wins over a stale environment", with(ts.env(), "CLOUDFLARE_ACCOUNT_ID", "Acme"), []string{ts.account}},
		{"--account", with(ts.env(), "CLOUDFLARE_ACCOUNT_ID", ""), []string{"--account", ts.account}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := must(t, 0, tt.env, append([]string{"account", "get"}, tt.args...)...)
			contains(t, "account get", r.stdout, "account:", ts.account, "name:", ts.accountName, "created:")
			got := decode[accountJSON](t, must(t, 0, tt.env, append([]string{"account", "get", "--json"}, tt.args...)...).stdout)
			if got.ID != ts.account || got.Name != ts.accountName || got.CreatedOn == "" {
				t.Errorf("account get --json = %+v", got)
			}
		})
	}
}

// TestAccountUsageErrors: every mistake is found before a request is sent.
func TestAccountUsageErrors(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	other := "0123456789abcdef0123456789abcdef"
	tests := []struct {
		name  string
		env   map[string]string
		args  []string
		wants []string
	}{
		{"list takes no --account", ts.env(), []string{"account", "list", "--account", ts.account},
			[]string{"unknown flag: --account"}},
		{"list takes no argument", ts.env(), []string{"account", "list", ts.account}, []string{`unexpected argument "` + ts.account + `"`}},
		{"list without a token", with(ts.env(), "CLOUDFLARE_API_TOKEN", ""), []string{"account", "list"},
			[]string{"export CLOUDFLARE_API_TOKEN=<your_api_token>"}},
		{"get without an id", with(ts.env(), "CLOUDFLARE_ACCOUNT_ID", ""), []string{"account", "get"},
			[]string{"export CLOUDFLARE_ACCOUNT_ID=<your_account_id>"}},
		{"get with a malformed id", ts.env(), []string{"account", "get", "Acme"}, []string{`account id "Acme" is malformed`}},
		{"get with a path in the id", ts.env(), []string{"account", "get", "../user"}, []string{"is malformed"}},
		{"get with two ids", ts.env(), []string{"account", "get", ts.account, other}, []string{"at most one account id"}},
		{"get with an id twice", ts.env(), []string{"account", "get", ts.account, "--account", other}, []string{"two account ids"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := must(t, 2, tt.env, tt.args...)
			contains(t, "stderr", r.stderr, tt.wants...)
		})
	}
	if n := len(ts.seen()); n != 0 {
		t.Errorf("%d requests reached the server", n)
	}
}
