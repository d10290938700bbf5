package cli_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ssogate/ssogate/internal/app"
	"github.com/ssogate/ssogate/internal/config"
	"github.com/ssogate/ssogate/internal/dnsverify/dnstest"
	"github.com/ssogate/ssogate/internal/ids"
	"github.com/ssogate/ssogate/internal/store"
	"github.com/ssogate/ssogate/internal/tokens"
)

var hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)

type accountJSON struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Type      string `json:"type"`
	CreatedOn string `json:"created_on"`
}

type tokenJSON struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Status   string `json:"status"`
	Value    string `json:"value"`
	Policies []struct {
		Effect           string `json:"effect"`
		PermissionGroups []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"permission_groups"`
		Resources map[string]any `json:"resources"`
	} `json:"policies"`
}

// dataDirEnv is an environment naming only a fresh data directory.
func dataDirEnv(t *testing.T) map[string]string {
	return map[string]string{"SSOGATE_DATA_DIR": t.TempDir()}
}

// createAccount runs admin account create NAME --json and returns the account.
func createAccount(t *testing.T, env map[string]string, name string) accountJSON {
	t.Helper()
	a := decode[accountJSON](t, must(t, 0, env, "admin", "account", "create", "--json", name).stdout)
	if !hex32.MatchString(a.ID) || a.Name != name {
		t.Fatalf("admin account create --json %q = %+v, want a 32-hex id and the name", name, a)
	}
	return a
}

func TestAdminAccountCreate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args func(dir string) []string
		env  bool // data directory from SSOGATE_DATA_DIR instead of --data-dir
	}{
		{"README order: NAME --json", func(string) []string { return []string{"Acme Corp", "--json"} }, true},
		{"flags first", func(string) []string { return []string{"--json", "Acme Corp"} }, true},
		{"data dir flag first", func(dir string) []string { return []string{"--data-dir", dir, "--json", "Acme Corp"} }, false},
		{"data dir flag after NAME", func(dir string) []string { return []string{"--json", "Acme Corp", "--data-dir", dir} }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			// With --data-dir, the environment names another directory: the
			// flag must win (and a failure must not write into the package).
			env := map[string]string{"SSOGATE_DATA_DIR": t.TempDir()}
			if tt.env {
				env["SSOGATE_DATA_DIR"] = dir
			}
			r := must(t, 0, env, append([]string{"admin", "account", "create"}, tt.args(dir)...)...)
			a := decode[accountJSON](t, r.stdout)
			if !hex32.MatchString(a.ID) {
				t.Errorf("account id %q is not 32 hex characters", a.ID)
			}
			if diff := cmp.Diff(accountJSON{ID: a.ID, Name: "Acme Corp", Type: "standard", CreatedOn: a.CreatedOn}, a); diff != "" {
				t.Errorf("account (-want +got):\n%s", diff)
			}
			if a.CreatedOn == "" {
				t.Errorf("account has no created_on: %s", r.stdout)
			}
			// It is in the data directory the command was given.
			tok := must(t, 0, map[string]string{"SSOGATE_DATA_DIR": dir},
				"admin", "token", "create", "--account", a.ID, "--permission", tokens.SettingsRead, "--json")
			if v := decode[tokenJSON](t, tok.stdout); v.Value == "" {
				t.Errorf("no token for the new account: %s", tok.stdout)
			}
		})
	}
}

func TestAdminAccountCreatePlainOutput(t *testing.T) {
	t.Parallel()
	r := must(t, 0, dataDirEnv(t), "admin", "account", "create", "Acme Corp")
	if !regexp.MustCompile(`^created account "Acme Corp"\naccount id: [0-9a-f]{32}\n$`).MatchString(r.stdout) {
		t.Errorf("admin account create output:\n%s", r.stdout)
	}
}

func TestAdminUsageErrors(t *testing.T) {
	t.Parallel()
	env := dataDirEnv(t)
	acct := createAccount(t, env, "Acme Corp")
	var known []string
	for _, g := range tokens.Catalogue() {
		known = append(known, g.Name)
	}
	tests := []struct {
		name  string
		args  []string
		wants []string
	}{
		{"admin alone", []string{"admin"}, []string{"missing command", "account create", "token create", "user password"}},
		{"admin unknown", []string{"admin", "user", "create"}, []string{`unknown command "create"`, "Usage: ssogate admin user <command>", "password EMAIL"}},
		{"account create without a name", []string{"admin", "account", "create"}, []string{"account name"}},
		{"account create with two names", []string{"admin", "account", "create", "Acme", "Corp"}, []string{"quote it"}},
		{"account create bad flag", []string{"admin", "account", "create", "--log-level", "many", "Acme"},
			[]string{"log-level", `"many"`}},
		{"account create server-only flag", []string{"admin", "account", "create", "--verify-concurrency", "8", "Acme"},
			[]string{"unknown flag: --verify-concurrency"}},
		{"token create unknown permission", []string{"admin", "token", "create", "--account", acct.ID, "--permission", "SSO Connector Admin"},
			append([]string{`unknown permission "SSO Connector Admin"`}, known...)},
		{"token create without permission", []string{"admin", "token", "create", "--account", acct.ID}, []string{"--permission"}},
		{"token create unknown account", []string{"admin", "token", "create", "--account", ids.NewHex32(), "--permission", tokens.SSOWrite},
			[]string{"was not found", "admin account create"}},
		{"token create malformed account", []string{"admin", "token", "create", "--account", "acme", "--permission", tokens.SSOWrite},
			[]string{`"acme"`}},
		{"token create without account", []string{"admin", "token", "create", "--permission", tokens.SSOWrite}, []string{"account"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := must(t, 2, env, tt.args...)
			contains(t, "stderr", r.stderr, tt.wants...)
			if r.stdout != "" {
				t.Errorf("usage error printed to stdout:\n%s", r.stdout)
			}
		})
	}
}

// TestAdminUsageErrorsCreateNothing: a mistake in the command line must not
// leave a new database behind (by default ./ssogate-data in the current
// directory).
func TestAdminUsageErrorsCreateNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
	}{
		{"account create without a name", []string{"admin", "account", "create"}},
		{"account create with two names", []string{"admin", "account", "create", "Acme", "Corp"}},
		{"token create without permission", []string{"admin", "token", "create", "--account", ids.NewHex32()}},
		{"token create unknown permission", []string{"admin", "token", "create", "--account", ids.NewHex32(), "--permission", "Root"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			must(t, 2, map[string]string{"SSOGATE_DATA_DIR": dir}, tt.args...)
			if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("usage error created %s (stat: %v)", dir, err)
			}
		})
	}
}

func TestAdminTokenCreate(t *testing.T) {
	t.Parallel()
	env := dataDirEnv(t)
	acct := createAccount(t, env, "Acme Corp")
	r := must(t, 0, env, "admin", "token", "create", "--account", acct.ID, "--permission", "SSO Connector Write", "--json")
	tok := decode[tokenJSON](t, r.stdout)
	if len(tok.Value) != 40 || !ids.ValidTokenChecksum(tok.Value) {
		t.Errorf("token value %q: want 40 characters of ssogate's shape", tok.Value)
	}
	if !hex32.MatchString(tok.ID) || tok.Status != "active" || tok.Name != "SSO Connector Write" {
		t.Errorf("token = %+v, want a 32-hex id, active, named after its permission", tok)
	}
	sso, _ := tokens.GroupByName(tokens.SSOWrite)
	if len(tok.Policies) != 1 || len(tok.Policies[0].PermissionGroups) != 1 {
		t.Fatalf("token policies = %+v, want one policy with one group", tok.Policies)
	}
	pol := tok.Policies[0]
	if pol.Effect != "allow" || pol.PermissionGroups[0].ID != sso.ID || pol.PermissionGroups[0].Name != tokens.SSOWrite {
		t.Errorf("policy = %+v, want allow %s (%s)", pol, tokens.SSOWrite, sso.ID)
	}
	if diff := cmp.Diff(map[string]any{tokens.AccountScope + "." + acct.ID: "*"}, pol.Resources); diff != "" {
		t.Errorf("policy resources (-want +got):\n%s", diff)
	}

	// Plain output shows the value once; --name and several --permission.
	plain := must(t, 0, env, "admin", "token", "create", "--account", acct.ID, "--name", "ci",
		"--permission", tokens.SSORead, "--permission", "account settings read")
	m := regexp.MustCompile(`^created API token ([0-9a-f]{32}) \(ci\)\nvalue \(shown once\): (\S{40})\n$`).FindStringSubmatch(plain.stdout)
	if m == nil {
		t.Fatalf("admin token create output:\n%s", plain.stdout)
	}

	// The value works against a server on the same data directory, within
	// its permission.
	srv := serveDataDir(t, env["SSOGATE_DATA_DIR"])
	base := srv.URL + "/client/v4/accounts/" + acct.ID
	tests := []struct {
		name, method, url, token, body string
		want                           int
	}{
		{"create an SSO connector", "POST", base + "/sso_connectors", tok.Value, `{"email_domain":"acmecorp.company"}`, 200},
		{"list SSO connectors", "GET", base + "/sso_connectors", tok.Value, "", 200},
		{"verify itself", "GET", base + "/tokens/verify", tok.Value, "", 200},
		{"list tokens", "GET", base + "/tokens", tok.Value, "", 403},
		{"create a token", "POST", base + "/tokens", tok.Value, `{"name":"x","policies":[]}`, 403},
		{"read the account", "GET", base, tok.Value, "", 403},
		{"read-only token lists connectors", "GET", base + "/sso_connectors", m[2], "", 200},
		{"read-only token reads the account", "GET", base, m[2], "", 200},
		{"read-only token cannot create", "POST", base + "/sso_connectors", m[2], `{"email_domain":"example-two.company"}`, 403},
		{"a changed value is refused", "GET", base + "/sso_connectors", tok.Value[:39] + flip(tok.Value[39]), "", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			req, err := http.NewRequest(tt.method, tt.url, body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+tt.token)
			req.Header.Set("Content-Type", "application/json")
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("%s %s: %d, want %d\n%s", tt.method, tt.url, resp.StatusCode, tt.want, raw)
			}
		})
	}
}

func flip(c byte) string {
	if c == 'a' {
		return "b"
	}
	return "a"
}

// serveDataDir starts the real handler tree (app.New) on dir behind httptest.
func serveDataDir(t *testing.T, dir string) *httptest.Server {
	t.Helper()
	dns, err := dnstest.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("dnstest.Start: %v", err)
	}
	t.Cleanup(func() { dns.Close() })
	cfg := config.Default()
	cfg.DataDir = dir
	cfg.DNSNameservers = []string{dns.Addr()}
	a, err := app.New(context.Background(), cfg, app.Options{}, io.Discard)
	if err != nil {
		t.Fatalf("app.New on %s: %v", dir, err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() { srv.Close(); a.Close() })
	return srv
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	all, err := store.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 || all[0].Version != 1 || all[0].Name != "init" {
		t.Fatalf("embedded migrations start with %+v, want 0001_init", all)
	}
	line := func(m store.Migration, state string) *regexp.Regexp {
		return regexp.MustCompile(`(?m)^` + fmt.Sprintf("%04d_", m.Version) + regexp.QuoteMeta(m.Name) + `\s+` + state)
	}
	env := dataDirEnv(t)

	before := must(t, 0, env, "migrate", "status")
	contains(t, "migrate status", before.stdout, "database: sqlite "+env["SSOGATE_DATA_DIR"])
	for _, m := range all {
		if !regexp.MustCompile(`(?m)^\d{4}_` + regexp.QuoteMeta(m.Name) + `\s+pending$`).MatchString(before.stdout) {
			t.Errorf("before migrate up, %04d_%s is not pending:\n%s", m.Version, m.Name, before.stdout)
		}
	}

	up := must(t, 0, env, "migrate", "up")
	for _, m := range all {
		contains(t, "migrate up", up.stdout, fmt.Sprintf("applied %04d_%s", m.Version, m.Name))
	}

	after := must(t, 0, env, "migrate", "status")
	contains(t, "migrate status", after.stdout, "0001_init")
	for _, m := range all {
		if !line(m, `applied \d{4}-\d\d-\d\dT`).MatchString(after.stdout) {
			t.Errorf("after migrate up, %04d_%s is not applied:\n%s", m.Version, m.Name, after.stdout)
		}
	}

	again := must(t, 0, env, "migrate", "up")
	contains(t, "second migrate up", again.stdout, "database is up to date")

	for _, args := range [][]string{{"migrate"}, {"migrate", "down"}, {"migrate", "status", "--bogus"}} {
		r := must(t, 2, env, args...)
		contains(t, strings.Join(args, " "), r.stderr, "migrate")
	}
}

func TestConfigCheck(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-pw"
	const token = "abcdefghijABCDEFGHIJ0123456789-_abcdefgh"
	tests := []struct {
		name  string
		env   map[string]string
		args  []string
		code  int
		wants []string // in stdout for 0, stderr otherwise
	}{
		{"defaults", nil, nil, 0,
			[]string{"listen", "127.0.0.1:8080", "./ssogate-data", "48h0m0s", "configuration OK", "bootstrap-token        (unset)"}},
		{"flags and environment", map[string]string{"SSOGATE_LISTEN": "127.0.0.1:1", "SSOGATE_DNS_NAMESERVERS": "127.0.0.1:5354"},
			[]string{"--listen", "127.0.0.1:2", "--trusted-proxies", "10.1.2.3/8"}, 0,
			[]string{"127.0.0.1:2", "127.0.0.1:5354", "10.0.0.0/8", "configuration OK"}},
		{"secrets redacted", map[string]string{"SSOGATE_BOOTSTRAP_TOKEN": token, "SSOGATE_BOOTSTRAP_PASSWORD": secret},
			[]string{"--database-url", "postgres://ssogate:" + secret + "@db.internal/ssogate"}, 0,
			[]string{"db.internal", "(set, redacted)", "configuration OK"}},
		{"bad flag value", nil, []string{"--verify-interval", "often"}, 2, []string{"verify-interval", `"often"`}},
		{"invalid flag value", nil, []string{"--log-format", "xml"}, 2, []string{"log-format", `"xml"`}},
		{"unknown flag", nil, []string{"--colour"}, 2, []string{"colour"}},
		{"bad environment value", map[string]string{"SSOGATE_VERIFY_CONCURRENCY": "lots"}, nil, 2,
			[]string{"SSOGATE_VERIFY_CONCURRENCY", `"lots"`}},
		{"bad bootstrap token", map[string]string{"SSOGATE_BOOTSTRAP_TOKEN": token[:39]}, nil, 2,
			[]string{"SSOGATE_BOOTSTRAP_TOKEN"}},
		{"every problem at once", map[string]string{"SSOGATE_VERIFY_COOLDOWN": "-1s"},
			[]string{"--listen", "nowhere", "--log-level", "loud", "--verify-concurrency", "0"}, 2,
			[]string{"verify-cooldown", "listen", "log-level", "verify-concurrency"}},
		{"two malformed flags at once", nil,
			[]string{"--verify-interval", "often", "--verify-concurrency", "lots"}, 2,
			[]string{"verify-interval", `"often"`, "verify-concurrency", `"lots"`}},
		{"without check", nil, nil, 2, []string{"missing command", "Usage: ssogate config <command>", "check"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"config", "check"}, tt.args...)
			if tt.name == "without check" {
				args = []string{"config"}
			}
			r := must(t, tt.code, tt.env, args...)
			out := r.stdout
			if tt.code != 0 {
				out = r.stderr
			}
			contains(t, "config check", out, tt.wants...)
			for _, s := range []string{secret, token} {
				if strings.Contains(r.stdout+r.stderr, s) {
					t.Errorf("config check shows the secret %q:\n%s%s", s, r.stdout, r.stderr)
				}
			}
		})
	}
}

func TestTopLevelCommands(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		args           []string
		code           int
		stdout, stderr []string
	}{
		{"version", []string{"version"}, 0, []string{"ssogate "}, nil},
		{"unknown command", []string{"frobnicate"}, 2, nil,
			[]string{`unknown command "frobnicate"`, "Usage: ssogate <command>", "serve", "admin", "migrate", "dev-dns"}},
		{"no command", nil, 2, nil, []string{"missing command", "Usage: ssogate <command>"}},
		{"help", []string{"help"}, 0, []string{"Usage: ssogate <command>", "config", "version"}, nil},
		{"--help", []string{"--help"}, 0, []string{"Usage: ssogate <command>"}, nil},
		{"command help", []string{"config", "check", "-h"}, 0, []string{"Usage: ssogate config check", "--listen string", "SSOGATE_LISTEN", "--config string"}, nil},
		{"completion", []string{"completion", "bash"}, 0, []string{"bash completion", "ssogate"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := must(t, tt.code, nil, tt.args...)
			contains(t, "stdout", r.stdout, tt.stdout...)
			contains(t, "stderr", r.stderr, tt.stderr...)
		})
	}
}
