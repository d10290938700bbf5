package config_test

import (
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/spf13/pflag"

	"github.com/ssogate/ssogate/internal/config"
)

// cmpConfig compares configurations; netip.Prefix has unexported fields.
var cmpConfig = cmpopts.EquateComparable(netip.Prefix{})

// load runs config.Load on a fresh flag set with env as the whole environment.
func load(t *testing.T, env map[string]string, args ...string) (config.Config, error) {
	t.Helper()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return config.Load(fs, args, func(k string) string { return env[k] })
}

func mustLoad(t *testing.T, env map[string]string, args ...string) config.Config {
	t.Helper()
	cfg, err := load(t, env, args...)
	if err != nil {
		t.Fatalf("Load(%v, %q): %v", env, args, err)
	}
	return cfg
}

func TestDefaults(t *testing.T) {
	want := config.Config{
		Listen:               "127.0.0.1:8080",
		DataDir:              "./ssogate-data",
		VerificationDeadline: 48 * time.Hour,
		VerifyConcurrency:    32,
		VerifyInterval:       5 * time.Second,
		VerifyCooldown:       5 * time.Second,
		LogLevel:             "info",
		LogFormat:            "text",
		AccessLog:            true,
		AccessDomain:         "access.localhost",
		AccessScheme:         "http",
		BootstrapEmail:       "admin@ssogate.localhost",
		BootstrapAccountName: "Default account",
	}
	if diff := cmp.Diff(want, config.Default(), cmpConfig); diff != "" {
		t.Errorf("Default() mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, mustLoad(t, nil), cmpConfig); diff != "" {
		t.Errorf("Load with no flags and no environment (-want +got):\n%s", diff)
	}
	if err := config.Default().Validate(); err != nil {
		t.Errorf("Default().Validate() = %v, want nil", err)
	}
}

// readmeRow is one line of the README's configuration table.
type readmeRow struct{ flag, env, def string }

var readmeRowRE = regexp.MustCompile("^\\| `--([a-z-]+)` \\| `(SSOGATE_[A-Z_]+)` \\| ?(`[^`]*`)? ?\\|")

func readmeTable(t *testing.T) []readmeRow {
	t.Helper()
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatalf("read README: %v", err)
	}
	var rows []readmeRow
	for _, line := range strings.Split(string(raw), "\n") {
		if m := readmeRowRE.FindStringSubmatch(line); m != nil {
			rows = append(rows, readmeRow{flag: m[1], env: m[2], def: strings.Trim(m[3], "`")})
		}
	}
	if len(rows) < 10 {
		t.Fatalf("found only %d rows of the configuration table in README.md", len(rows))
	}
	return rows
}

// documentedAsEmpty are README defaults that describe what an empty value does.
var documentedAsEmpty = map[string]string{"dns-resolvers": "/etc/resolv.conf"}

// TestREADMEConfigurationTable checks every row of the README's table: the
// flag exists, its environment twin sets the same field, and the documented
// default is what ssogate uses when neither is given.
func TestREADMEConfigurationTable(t *testing.T) {
	defaults := mustLoad(t, nil)
	registered := map[string]bool{}
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	config.Bind(fs, config.AllSettings)
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Name != "config" { // documented above the table
			registered[f.Name] = true
		}
	})

	for _, row := range readmeTable(t) {
		t.Run(row.flag, func(t *testing.T) {
			f := fs.Lookup(row.flag)
			if f == nil {
				t.Fatalf("README documents --%s, which serve does not accept", row.flag)
			}
			delete(registered, row.flag)
			if !strings.Contains(f.Usage, "env "+row.env) {
				t.Errorf("--%s usage %q does not name its environment twin %s", row.flag, f.Usage, row.env)
			}
			def := row.def
			if documentedAsEmpty[row.flag] == def {
				def = ""
			}
			if def == "" {
				if got := fieldText(defaults, row.flag); got != "" {
					t.Errorf("--%s defaults to %q, README says it is empty", row.flag, got)
				}
				return
			}
			// Setting the documented default, by flag or by environment,
			// must change nothing. --flag=value: a boolean flag alone means
			// true, so "--pprof false" would be --pprof and an argument.
			if diff := cmp.Diff(defaults, mustLoad(t, nil, "--"+row.flag+"="+def), cmpConfig); diff != "" {
				t.Errorf("--%s %s differs from the default (-default +flag):\n%s", row.flag, def, diff)
			}
			if diff := cmp.Diff(defaults, mustLoad(t, map[string]string{row.env: def}), cmpConfig); diff != "" {
				t.Errorf("%s=%s differs from the default (-default +env):\n%s", row.env, def, diff)
			}
		})
	}
	for name := range registered {
		t.Errorf("serve accepts --%s, which the README's configuration table does not document", name)
	}
}

// fieldText is the value String() prints for a setting.
func fieldText(c config.Config, name string) string {
	for _, line := range strings.Split(c.String(), "\n") {
		if k, v, ok := strings.Cut(line, " "); ok && k == name {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func TestBootstrapDefaults(t *testing.T) {
	tests := []struct {
		env, want string
		field     func(config.Config) string
	}{
		{"SSOGATE_BOOTSTRAP_EMAIL", "admin@ssogate.localhost", func(c config.Config) string { return c.BootstrapEmail }},
		{"SSOGATE_BOOTSTRAP_PASSWORD", "", func(c config.Config) string { return c.BootstrapPassword }},
		{"SSOGATE_BOOTSTRAP_TOKEN", "", func(c config.Config) string { return c.BootstrapToken }},
		{"SSOGATE_BOOTSTRAP_ACCOUNT_NAME", "Default account", func(c config.Config) string { return c.BootstrapAccountName }},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			if got := tt.field(mustLoad(t, nil)); got != tt.want {
				t.Errorf("default = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEnvironmentAndFlags(t *testing.T) {
	const token = "ABCDEFGHIJabcdefghij0123456789_-ABCDEFG" + "H" // 40 characters
	tests := []struct {
		name   string
		env    map[string]string
		args   []string
		change func(*config.Config)
	}{
		{"listen env", map[string]string{"SSOGATE_LISTEN": "0.0.0.0:9000"}, nil,
			func(c *config.Config) { c.Listen = "0.0.0.0:9000" }},
		{"listen flag wins", map[string]string{"SSOGATE_LISTEN": "0.0.0.0:9000"}, []string{"--listen", "127.0.0.1:7000"},
			func(c *config.Config) { c.Listen = "127.0.0.1:7000" }},
		{"data dir env", map[string]string{"SSOGATE_DATA_DIR": "/var/lib/ssogate"}, nil,
			func(c *config.Config) { c.DataDir = "/var/lib/ssogate" }},
		{"data dir flag wins", map[string]string{"SSOGATE_DATA_DIR": "/var/lib/ssogate"}, []string{"--data-dir=/srv/sg"},
			func(c *config.Config) { c.DataDir = "/srv/sg" }},
		{"database url env", map[string]string{"SSOGATE_DATABASE_URL": "postgres://u:p@db:5432/sg"}, nil,
			func(c *config.Config) { c.DatabaseURL = "postgres://u:p@db:5432/sg" }},
		{"database url flag wins", map[string]string{"SSOGATE_DATABASE_URL": "postgres://u:p@db:5432/sg"},
			[]string{"--database-url", "postgresql://other/sg"},
			func(c *config.Config) { c.DatabaseURL = "postgresql://other/sg" }},
		{"nameservers env list", map[string]string{"SSOGATE_DNS_NAMESERVERS": " 127.0.0.1:5354, [::1]:53,,10.0.0.1:53 "}, nil,
			func(c *config.Config) { c.DNSNameservers = []string{"127.0.0.1:5354", "[::1]:53", "10.0.0.1:53"} }},
		{"nameservers flag replaces env list", map[string]string{"SSOGATE_DNS_NAMESERVERS": "127.0.0.1:5354,10.0.0.1:53"},
			[]string{"--dns-nameservers", "192.0.2.1:53"},
			func(c *config.Config) { c.DNSNameservers = []string{"192.0.2.1:53"} }},
		{"resolvers env", map[string]string{"SSOGATE_DNS_RESOLVERS": "1.1.1.1:53,9.9.9.9:53"}, nil,
			func(c *config.Config) { c.DNSResolvers = []string{"1.1.1.1:53", "9.9.9.9:53"} }},
		{"durations and numbers env", map[string]string{
			"SSOGATE_VERIFICATION_DEADLINE": "72h", "SSOGATE_VERIFY_CONCURRENCY": "4",
			"SSOGATE_VERIFY_INTERVAL": "250ms", "SSOGATE_VERIFY_COOLDOWN": "0s"}, nil,
			func(c *config.Config) {
				c.VerificationDeadline, c.VerifyConcurrency = 72*time.Hour, 4
				c.VerifyInterval, c.VerifyCooldown = 250*time.Millisecond, 0
			}},
		{"durations and numbers flags win", map[string]string{
			"SSOGATE_VERIFICATION_DEADLINE": "72h", "SSOGATE_VERIFY_CONCURRENCY": "4"},
			[]string{"--verification-deadline", "90m", "--verify-concurrency", "8"},
			func(c *config.Config) { c.VerificationDeadline, c.VerifyConcurrency = 90*time.Minute, 8 }},
		{"denied lists env", map[string]string{"SSOGATE_DENIED_DOMAINS": "example.com, example.net", "SSOGATE_DENIED_TLDS": "edu"}, nil,
			func(c *config.Config) {
				c.DeniedDomains, c.DeniedTLDs = []string{"example.com", "example.net"}, []string{"edu"}
			}},
		{"trusted proxies CIDRs and bare addresses", map[string]string{
			"SSOGATE_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.7, 172.16.5.4/12, 2001:db8::1/64, ::1"}, nil,
			func(c *config.Config) {
				c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.7/32"),
					netip.MustParsePrefix("172.16.0.0/12"), netip.MustParsePrefix("2001:db8::/64"), netip.MustParsePrefix("::1/128")}
			}},
		{"trusted proxies flag wins", map[string]string{"SSOGATE_TRUSTED_PROXIES": "10.0.0.0/8"},
			[]string{"--trusted-proxies", "127.0.0.1"},
			func(c *config.Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")} }},
		{"logging env", map[string]string{"SSOGATE_LOG_LEVEL": "debug", "SSOGATE_LOG_FORMAT": "json"}, nil,
			func(c *config.Config) { c.LogLevel, c.LogFormat = "debug", "json" }},
		{"logging flags win", map[string]string{"SSOGATE_LOG_LEVEL": "debug", "SSOGATE_LOG_FORMAT": "json"},
			[]string{"--log-level", "error", "--log-format", "text"},
			func(c *config.Config) { c.LogLevel, c.LogFormat = "error", "text" }},
		{"bootstrap from the environment", map[string]string{
			"SSOGATE_BOOTSTRAP_EMAIL": "ops@example.com", "SSOGATE_BOOTSTRAP_PASSWORD": "pw",
			"SSOGATE_BOOTSTRAP_TOKEN": token, "SSOGATE_BOOTSTRAP_ACCOUNT_NAME": "Acme"}, nil,
			func(c *config.Config) {
				c.BootstrapEmail, c.BootstrapPassword, c.BootstrapToken, c.BootstrapAccountName = "ops@example.com", "pw", token, "Acme"
			}},
		{"values are trimmed", map[string]string{"SSOGATE_LISTEN": "  127.0.0.1:1234 "}, nil,
			func(c *config.Config) { c.Listen = "127.0.0.1:1234" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := config.Default()
			tt.change(&want)
			got := mustLoad(t, tt.env, tt.args...)
			if diff := cmp.Diff(want, got, cmpConfig); diff != "" {
				t.Errorf("Load mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBootstrapSettingsAreNotFlags(t *testing.T) {
	for _, name := range []string{"bootstrap-token", "bootstrap-password", "bootstrap-email", "bootstrap-account-name"} {
		t.Run(name, func(t *testing.T) {
			if _, err := load(t, nil, "--"+name, "x"); err == nil {
				t.Errorf("--%s was accepted; bootstrap settings are environment only", name)
			}
		})
	}
}

// errorCount is how many problems a joined error holds.
func errorCount(err error) int {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		n := 0
		for _, e := range j.Unwrap() {
			n += errorCount(e)
		}
		return n
	}
	if err == nil {
		return 0
	}
	return 1
}

func TestValidateReportsEveryProblem(t *testing.T) {
	c := config.Default()
	c.Listen = "localhost"
	c.DatabaseURL = "mysql://db/sg"
	c.DNSNameservers = []string{"127.0.0.1"}
	c.DNSResolvers = []string{"resolver"}
	c.VerificationDeadline = time.Second
	c.VerifyConcurrency = 0
	c.VerifyInterval = time.Millisecond
	c.VerifyCooldown = -time.Second
	c.LogLevel = "loud"
	c.LogFormat = "xml"
	c.BootstrapToken = "short"
	err := c.Validate()
	if err == nil {
		t.Fatal("Validate() = nil, want every problem")
	}
	wants := []string{"listen", "database-url", `"127.0.0.1"`, `"resolver"`, "verification-deadline",
		"verify-concurrency", "verify-interval", "verify-cooldown", "log-level", "log-format", "SSOGATE_BOOTSTRAP_TOKEN"}
	for _, w := range wants {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("Validate() does not name %q:\n%v", w, err)
		}
	}
	if got := errorCount(err); got != len(wants) {
		t.Errorf("Validate() reported %d problems, want %d:\n%v", got, len(wants), err)
	}
}

func TestValidateSingleProblems(t *testing.T) {
	tests := []struct {
		name   string
		change func(*config.Config)
		want   string // "" = valid
	}{
		{"defaults", func(*config.Config) {}, ""},
		{"postgresql scheme", func(c *config.Config) { c.DatabaseURL = "postgresql://db/sg" }, ""},
		{"database url without data dir", func(c *config.Config) { c.DataDir, c.DatabaseURL = "", "postgres://db/sg" }, ""},
		{"no data dir and no database", func(c *config.Config) { c.DataDir = "" }, "data-dir"},
		{"listen port 0 is fine", func(c *config.Config) { c.Listen = "127.0.0.1:0" }, ""},
		{"listen without port", func(c *config.Config) { c.Listen = "127.0.0.1" }, "listen"},
		{"deadline of a minute", func(c *config.Config) { c.VerificationDeadline = time.Minute }, ""},
		{"concurrency 1024", func(c *config.Config) { c.VerifyConcurrency = 1024 }, ""},
		{"concurrency 1025", func(c *config.Config) { c.VerifyConcurrency = 1025 }, "verify-concurrency"},
		{"interval 100ms", func(c *config.Config) { c.VerifyInterval = 100 * time.Millisecond }, ""},
		{"cooldown 0", func(c *config.Config) { c.VerifyCooldown = 0 }, ""},
		{"log level warn", func(c *config.Config) { c.LogLevel = "warn" }, ""},
		{"log level upper case", func(c *config.Config) { c.LogLevel = "INFO" }, "log-level"},
		{"pprof without metrics listener", func(c *config.Config) { c.Pprof = true }, "pprof: needs metrics-listen"},
		{"pprof on the metrics listener", func(c *config.Config) { c.Pprof, c.MetricsListen = true, "127.0.0.1:9090" }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := config.Default()
			tt.change(&c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate() = %v, want an error naming %q", err, tt.want)
			}
		})
	}
}

// TestLoadReportsEveryProblem: the README promises that config check
// "reports every problem at once", whichever source the values came from.
func TestLoadReportsEveryProblem(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		args  []string
		wants []string
	}{
		{"environment parse and validation errors together",
			map[string]string{"SSOGATE_VERIFY_CONCURRENCY": "many", "SSOGATE_VERIFY_INTERVAL": "soon",
				"SSOGATE_TRUSTED_PROXIES": "10.0.0.0/33", "SSOGATE_LOG_LEVEL": "loud", "SSOGATE_LISTEN": "nowhere"},
			nil,
			[]string{"SSOGATE_VERIFY_CONCURRENCY", `"many"`, "SSOGATE_VERIFY_INTERVAL", `"soon"`,
				"SSOGATE_TRUSTED_PROXIES", "10.0.0.0/33", "log-level", "listen"}},
		{"flag validation errors together", nil,
			[]string{"--log-level", "loud", "--log-format", "xml", "--verify-concurrency", "0"},
			[]string{"log-level", "log-format", "verify-concurrency"}},
		{"two malformed flags", nil,
			[]string{"--verify-concurrency", "many", "--verify-interval", "soon"},
			[]string{"verify-concurrency", `"many"`, "verify-interval", `"soon"`}},
		{"malformed flag and malformed environment", map[string]string{"SSOGATE_VERIFY_INTERVAL": "soon"},
			[]string{"--verify-concurrency", "many"},
			[]string{"verify-concurrency", `"many"`, "SSOGATE_VERIFY_INTERVAL", `"soon"`}},
		{"malformed flag and invalid flag", nil,
			[]string{"--verify-concurrency", "many", "--log-level", "loud"},
			[]string{"verify-concurrency", `"many"`, "log-level", `"loud"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.env, tt.args...)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Load error does not name %s:\n%v", w, err)
				}
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"duration flag", nil, []string{"--verify-cooldown", "5"}, "verify-cooldown"},
		{"number flag", nil, []string{"--verify-concurrency", "1.5"}, "verify-concurrency"},
		{"CIDR flag", nil, []string{"--trusted-proxies", "10.0.0.0/8,not-an-ip"}, `"not-an-ip"`},
		{"CIDR env", map[string]string{"SSOGATE_TRUSTED_PROXIES": "300.1.1.1"}, nil, "SSOGATE_TRUSTED_PROXIES"},
		{"duration env", map[string]string{"SSOGATE_VERIFICATION_DEADLINE": "two days"}, nil, "SSOGATE_VERIFICATION_DEADLINE"},
		{"unknown flag", nil, []string{"--listen-address", "x"}, "listen-address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.env, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load error = %v, want one naming %s", err, tt.want)
			}
		})
	}
}

func TestBootstrapToken(t *testing.T) {
	const good = "abcdefghijABCDEFGHIJ0123456789-_abcdefgh"
	if len(good) != 40 {
		t.Fatalf("test token has %d characters", len(good))
	}
	tests := []struct {
		name  string
		token string
		ok    bool
	}{
		{"40 allowed characters", good, true},
		{"generated the README's way", "Zm9vYmFyYmF6cXV4LV9fLWZvb2JhcmJhenF1eC1f", true},
		{"39 characters", good[:39], false},
		{"41 characters", good + "x", false},
		{"80 characters", good + good, false},
		{"plus sign", "+" + good[1:], false},
		{"slash", good[:39] + "/", false},
		{"dot", good[:20] + "." + good[21:], false},
		{"space inside", good[:20] + " " + good[21:], false},
		{"non-ASCII", good[:38] + "é", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, map[string]string{"SSOGATE_BOOTSTRAP_TOKEN": tt.token})
			if tt.ok {
				if err != nil {
					t.Errorf("Load refused token %q: %v", tt.token, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Load accepted token %q", tt.token)
			}
			if !strings.Contains(err.Error(), "SSOGATE_BOOTSTRAP_TOKEN") {
				t.Errorf("error does not name SSOGATE_BOOTSTRAP_TOKEN: %v", err)
			}
			if strings.Contains(err.Error(), tt.token) {
				t.Errorf("error repeats the secret token: %v", err)
			}
		})
	}
}

func TestStringRedactsSecrets(t *testing.T) {
	const secret = "s3cr3t-Pa55"
	const token = "TOKENtokenTOKENtoken0123456789_-TOKENtok"
	tests := []struct {
		name   string
		change func(*config.Config)
		shows  []string // must be printed
	}{
		{"password in the URL's user info", func(c *config.Config) {
			c.DatabaseURL = "postgres://ssogate:" + secret + "@db.internal:5432/ssogate?sslmode=require"
		}, []string{"db.internal:5432", "ssogate", "sslmode=require"}},
		{"password as a query parameter", func(c *config.Config) {
			c.DatabaseURL = "postgres://ssogate@db.internal/ssogate?sslmode=disable&password=" + secret
		}, []string{"db.internal"}},
		{"unparseable URL", func(c *config.Config) {
			c.DatabaseURL = "postgres://ssogate:" + secret + "%zz@db.internal/ssogate"
		}, nil},
		{"bootstrap password and token", func(c *config.Config) {
			c.BootstrapPassword, c.BootstrapToken = secret, token
		}, []string{"bootstrap-password", "bootstrap-token", "(set, redacted)"}},
		{"unset secrets", func(*config.Config) {}, []string{"(unset)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := config.Default()
			c.BootstrapEmail = "ops@example.com"
			tt.change(&c)
			out := c.String()
			for _, s := range []string{secret, token} {
				if strings.Contains(out, s) {
					t.Errorf("String() shows the secret %q:\n%s", s, out)
				}
			}
			for _, w := range append(tt.shows, "listen", "127.0.0.1:8080", "ops@example.com") {
				if !strings.Contains(out, w) {
					t.Errorf("String() does not show %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestStringListsEverySetting(t *testing.T) {
	c := config.Default()
	c.DNSNameservers = []string{"127.0.0.1:5354", "127.0.0.2:53"}
	c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	out := c.String()
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	config.Bind(fs, config.AllSettings)
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Name == "config" {
			return
		}
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(f.Name) + ` `).MatchString(out) {
			t.Errorf("String() has no line for %s:\n%s", f.Name, out)
		}
	})
	for _, w := range []string{"127.0.0.1:5354,127.0.0.2:53", "10.0.0.0/8", "48h0m0s"} {
		if !strings.Contains(out, w) {
			t.Errorf("String() does not show %q:\n%s", w, out)
		}
	}
}

func TestLoadHelp(t *testing.T) {
	_, err := load(t, nil, "-h")
	if !errors.Is(err, pflag.ErrHelp) {
		t.Errorf("Load(-h) = %v, want pflag.ErrHelp", err)
	}
}

// TestPrecedence: a flag wins over the environment, which wins over the
// file (--config or SSOGATE_CONFIG), which wins over the default; a
// setting given nowhere else keeps the file's value.
func TestPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "ssogate.yaml")
	if err := os.WriteFile(file, []byte("listen: 127.0.0.1:7001\nlog-level: debug\nverify-concurrency: 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want func(*config.Config)
	}{
		{"file over defaults", nil, []string{"--config", file},
			func(c *config.Config) { c.Listen, c.LogLevel, c.VerifyConcurrency = "127.0.0.1:7001", "debug", 3 }},
		{"SSOGATE_CONFIG names the file", map[string]string{"SSOGATE_CONFIG": file}, nil,
			func(c *config.Config) { c.Listen, c.LogLevel, c.VerifyConcurrency = "127.0.0.1:7001", "debug", 3 }},
		{"environment over file", map[string]string{"SSOGATE_LISTEN": "127.0.0.1:7002"}, []string{"--config", file},
			func(c *config.Config) { c.Listen, c.LogLevel, c.VerifyConcurrency = "127.0.0.1:7002", "debug", 3 }},
		{"flag over environment and file", map[string]string{"SSOGATE_LISTEN": "127.0.0.1:7002"},
			[]string{"--config", file, "--listen", "127.0.0.1:7003", "--log-level=warn"},
			func(c *config.Config) { c.Listen, c.LogLevel, c.VerifyConcurrency = "127.0.0.1:7003", "warn", 3 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := config.Default()
			tt.want(&want)
			if diff := cmp.Diff(want, mustLoad(t, tt.env, tt.args...), cmpConfig); diff != "" {
				t.Errorf("Load mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFileErrorsJoinTheOthers: a bad file, a bad environment value and a
// bad flag are all reported by one Load.
func TestFileErrorsJoinTheOthers(t *testing.T) {
	file := filepath.Join(t.TempDir(), "ssogate.yaml")
	if err := os.WriteFile(file, []byte("lisen: 127.0.0.1:7001\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := load(t, map[string]string{"SSOGATE_VERIFY_INTERVAL": "soon"}, "--config", file, "--log-format", "xml")
	for _, want := range []string{"lisen", "listen", "SSOGATE_VERIFY_INTERVAL", "log-format"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Load error %v does not mention %q", err, want)
		}
	}
}
