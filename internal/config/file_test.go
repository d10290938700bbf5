package config

// An internal test, unlike config_test.go: the example file's test walks
// options() so that a new option cannot be left out of the example.

import (
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// writeFile writes content to ssogate.yaml in a fresh directory.
func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ssogate.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// applyString applies content onto the defaults; the errors come back one
// per line with the temporary directory cut off the path.
func applyString(t *testing.T, content string) (Config, []string) {
	t.Helper()
	path := writeFile(t, content)
	cfg := Default()
	err := ApplyFile(&cfg, path)
	if err == nil {
		return cfg, nil
	}
	return cfg, strings.Split(strings.ReplaceAll(err.Error(), path, "ssogate.yaml"), "\n")
}

func TestApplyFile(t *testing.T) {
	tests := []struct {
		name, file string
		edit       func(*Config) // what the file changes in the defaults
	}{
		{"empty file", "", func(*Config) {}},
		{"only comments", "# listen: 0.0.0.0:80\n\n", func(*Config) {}},
		{"an empty document", "---\n", func(*Config) {}},
		{"string", "listen: 0.0.0.0:8080\ndata-dir: /var/lib/ssogate\n", func(c *Config) {
			c.Listen, c.DataDir = "0.0.0.0:8080", "/var/lib/ssogate"
		}},
		{"a number for a string", "access-port: 443\n", func(c *Config) { c.AccessPort = "443" }},
		{"strings as a sequence", "dns-nameservers:\n  - 192.0.2.53:53\n  - 192.0.2.54:53\n", func(c *Config) {
			c.DNSNameservers = []string{"192.0.2.53:53", "192.0.2.54:53"}
		}},
		{"strings as a flow sequence", "denied-domains: [a.example, b.example]\n", func(c *Config) {
			c.DeniedDomains = []string{"a.example", "b.example"}
		}},
		{"strings as one scalar", "denied-tlds: edu\n", func(c *Config) { c.DeniedTLDs = []string{"edu"} }},
		{"an empty sequence", "denied-tlds: []\n", func(*Config) {}},
		{"trusted-proxies as a sequence", "trusted-proxies:\n  - 10.0.0.0/8\n  - 192.0.2.7\n  - \"::1/128\"\n", func(c *Config) {
			c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"),
				netip.MustParsePrefix("192.0.2.7/32"), netip.MustParsePrefix("::1/128")}
		}},
		{"durations", "verification-deadline: 72h\nverify-interval: 1m30s\nverify-cooldown: 0\n", func(c *Config) {
			c.VerificationDeadline, c.VerifyInterval, c.VerifyCooldown = 72*time.Hour, 90*time.Second, 0
		}},
		{"int", "verify-concurrency: 8\n", func(c *Config) { c.VerifyConcurrency = 8 }},
		{"bool", "access-log: false\n", func(c *Config) { c.AccessLog = false }},
		{"an alias", "listen: &l 127.0.0.1:9000\nmetrics-listen: 127.0.0.1:9001\ndashboard-url: http://localhost:9000\n", func(c *Config) {
			c.Listen, c.MetricsListen, c.DashboardURL = "127.0.0.1:9000", "127.0.0.1:9001", "http://localhost:9000"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := applyString(t, tt.file)
			if errs != nil {
				t.Fatalf("ApplyFile:\n%s", strings.Join(errs, "\n"))
			}
			want := Default()
			tt.edit(&want)
			if diff := cmp.Diff(want, got, cmpopts.EquateComparable(netip.Prefix{})); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

func TestApplyFileRefuses(t *testing.T) {
	tests := []struct {
		name, file string
		want       []string
	}{
		{"unknown key, a misspelling", "listen: 127.0.0.1:8080\nlistn: 0.0.0.0:80\n",
			[]string{`ssogate.yaml:2: unknown key "listn"; did you mean "listen"?`}},
		{"unknown key, another spelling", "data_dir: /srv\nSSOGATE_LOG_LEVEL: debug\n--access-log: false\n", []string{
			`ssogate.yaml:1: unknown key "data_dir"; did you mean "data-dir"? (keys are the flag names)`,
			`ssogate.yaml:2: unknown key "SSOGATE_LOG_LEVEL"; did you mean "log-level"? (keys are the flag names)`,
			`ssogate.yaml:3: unknown key "--access-log"; did you mean "access-log"? (keys are the flag names)`}},
		{"unknown key, nothing close", "frobnicate: 1\n",
			[]string{`ssogate.yaml:1: unknown key "frobnicate" (keys are the flag names of ssogate serve, such as listen or data-dir)`}},
		{"a config key in the file", "config: other.yaml\n",
			[]string{`ssogate.yaml:1: unknown key "config" (keys are the flag names of ssogate serve, such as listen or data-dir)`}},
		{"type errors with their lines", "listen:\n  - a\nverify-concurrency: \"32\"\naccess-log: yes\n" +
			"log-level: true\ntrusted-proxies: {a: b}\ndenied-tlds: [edu, [x]]\nverify-interval: 1.5\n", []string{
			`ssogate.yaml:2: listen: wants a string, got a list`,
			`ssogate.yaml:3: verify-concurrency: wants a whole number, got the string "32"`,
			`ssogate.yaml:4: access-log: wants true or false, got the string "yes"`,
			`ssogate.yaml:5: log-level: wants a string, got the boolean true`,
			`ssogate.yaml:6: trusted-proxies: wants a list of CIDRs such as [10.0.0.0/8], got a mapping`,
			`ssogate.yaml:7: denied-tlds: wants a list of strings, got a list`,
			`ssogate.yaml:8: verify-interval: wants a duration such as 48h or 90s, got the number 1.5`}},
		{"values the option refuses", "verification-deadline: 5\ntrusted-proxies:\n  - 10.0.0.0/8\n  - nope\n", []string{
			`ssogate.yaml:1: verification-deadline: "5" is not a duration such as 48h or 90s`,
			`ssogate.yaml:4: trusted-proxies: "nope" is not a CIDR such as 10.0.0.0/8`}},
		{"no value", "tls-cert:\nverify-cooldown: ~\n", []string{
			`ssogate.yaml:1: tls-cert: no value; give a string, or remove the key to keep the default`,
			`ssogate.yaml:2: verify-cooldown: no value; give a duration such as 48h or 90s, or remove the key to keep the default`}},
		{"a comma inside a list entry", "trusted-proxies:\n  - 10.0.0.0/8\n  - 127.0.0.1/32,::1/128\ndenied-tlds: edu,gov\n", []string{
			`ssogate.yaml:3: trusted-proxies: "127.0.0.1/32,::1/128" has a comma; write one item per list entry, such as [a, b] or lines of "- a"`,
			`ssogate.yaml:4: denied-tlds: "edu,gov" has a comma; write one item per list entry, such as [a, b] or lines of "- a"`}},
		{"a duplicate key", "listen: 127.0.0.1:8080\ndata-dir: /srv\nlisten: 0.0.0.0:8080\n",
			[]string{`ssogate.yaml:3: listen: given twice (first on line 1)`}},
		{"secrets", "secret-key: c2VjcmV0\nbootstrap-password: hunter2\nbootstrap-token: x\nSSOGATE_SECRET_KEY: y\n", []string{
			`ssogate.yaml:1: secret-key: a secret, not accepted in a config file (files get committed and copied into images); set SSOGATE_SECRET_KEY in the environment, or point secret-key-file at a file readable only by ssogate`,
			`ssogate.yaml:2: bootstrap-password: a secret, not accepted in a config file (files get committed and copied into images); set SSOGATE_BOOTSTRAP_PASSWORD in the environment`,
			`ssogate.yaml:3: bootstrap-token: a secret, not accepted in a config file (files get committed and copied into images); set SSOGATE_BOOTSTRAP_TOKEN in the environment`,
			`ssogate.yaml:4: SSOGATE_SECRET_KEY: a secret, not accepted in a config file (files get committed and copied into images); set SSOGATE_SECRET_KEY in the environment, or point secret-key-file at a file readable only by ssogate`}},
		{"bootstrap settings", "bootstrap-email: a@example.com\nbootstrap-account-name: Acme\n", []string{
			`ssogate.yaml:1: bootstrap-email: a first-start bootstrap setting, read from the environment only; set SSOGATE_BOOTSTRAP_EMAIL`,
			`ssogate.yaml:2: bootstrap-account-name: a first-start bootstrap setting, read from the environment only; set SSOGATE_BOOTSTRAP_ACCOUNT_NAME`}},
		{"several errors at once", "# production\nlistn: 0.0.0.0:80\nverify-concurrency: many\nsecret-key: x\nlog-format: json\nlog-format: text\n", []string{
			`ssogate.yaml:2: unknown key "listn"; did you mean "listen"?`,
			`ssogate.yaml:3: verify-concurrency: wants a whole number, got the string "many"`,
			`ssogate.yaml:4: secret-key: a secret, not accepted in a config file (files get committed and copied into images); set SSOGATE_SECRET_KEY in the environment, or point secret-key-file at a file readable only by ssogate`,
			`ssogate.yaml:6: log-format: given twice (first on line 5)`}},
		{"a YAML syntax error", "listen: 127.0.0.1:8080\ndata-dir: a: b\n",
			[]string{`ssogate.yaml:2: mapping values are not allowed in this context`}},
		{"not a mapping", "- listen\n",
			[]string{`ssogate.yaml:1: the file must be a mapping of option: value (such as listen: 127.0.0.1:8080), not a list`}},
		{"a second document", "listen: 127.0.0.1:8080\n---\nlisten: 0.0.0.0:80\n",
			[]string{`ssogate.yaml:2: a second YAML document (---); the configuration is one document`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs := applyString(t, tt.file)
			if diff := cmp.Diff(tt.want, errs); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

// Keys that were fine are applied beside the ones that were not, as Load
// does for flags and the environment.
func TestApplyFileAppliesTheGoodKeys(t *testing.T) {
	got, errs := applyString(t, "listen: 0.0.0.0:9999\nbogus: 1\n")
	if len(errs) != 1 || got.Listen != "0.0.0.0:9999" {
		t.Errorf("Listen = %q, errors %q; want 0.0.0.0:9999 and one error", got.Listen, errs)
	}
}

func TestApplyFileMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.yaml")
	cfg := Default()
	err := ApplyFile(&cfg, path)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Errorf("ApplyFile(missing) = %v; want a not-exist error naming %s", err, path)
	}
}

const examplePath = "../../deploy/ssogate.example.yaml"

// optionLineRE is a key line of the example, set or commented out.
var optionLineRE = regexp.MustCompile(`^(# )?([a-z][a-z0-9-]*):(\s|$)`)

// The example documents every option (set, or commented out showing the
// default), names its environment twin, and loads.
func TestExampleFile(t *testing.T) {
	raw, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]option{}
	for _, o := range options() {
		known[o.flag] = o
	}

	got := Default()
	if err := ApplyFile(&got, examplePath); err != nil {
		t.Fatalf("ApplyFile(%s):\n%v", examplePath, err)
	}
	if err := got.Validate(); err != nil {
		t.Errorf("the example's configuration does not validate:\n%v", err)
	}
	want := Default()
	want.DataDir, want.AccessDomain, want.AccessScheme, want.AccessPort = "/var/lib/ssogate", "access.example.com", "https", "443"
	want.DashboardURL, want.LogFormat, want.MetricsListen = "https://dash.example.com", "json", "127.0.0.1:9090"
	want.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}
	if diff := cmp.Diff(want, got, cmpopts.EquateComparable(netip.Prefix{})); diff != "" {
		t.Errorf("the example's configuration (-want +got):\n%s", diff)
	}

	// Every option once, set or commented; then every commented line
	// uncommented must load too, and show the default where there is one.
	seen := map[string]int{}
	commented := map[string]bool{}
	lines := strings.Split(string(raw), "\n")
	for i, line := range lines {
		m := optionLineRE.FindStringSubmatch(line)
		if m == nil || (m[1] != "" && known[m[2]].flag == "") {
			continue
		}
		seen[m[2]]++
		if m[1] != "" {
			commented[m[2]] = true
			lines[i] = strings.TrimPrefix(line, "# ")
		}
	}
	for _, o := range options() {
		if seen[o.flag] != 1 {
			t.Errorf("%s appears %d times as a key in %s; want once, set or commented out", o.flag, seen[o.flag], examplePath)
		}
		if !strings.Contains(string(raw), o.env) {
			t.Errorf("%s does not name %s, the environment twin of %s", examplePath, o.env, o.flag)
		}
	}
	all := Default()
	if err := ApplyFile(&all, writeFile(t, strings.Join(lines, "\n"))); err != nil {
		t.Fatalf("the example with every commented option uncommented:\n%v", err)
	}
	if err := all.Validate(); err != nil {
		t.Errorf("the example with every commented option uncommented does not validate:\n%v", err)
	}
	def := Default()
	for name := range commented {
		o := known[name]
		if d := o.get(&def); d != "" && o.get(&all) != d {
			t.Errorf("%s: commented out as %q, but the default is %q", name, o.get(&all), d)
		}
	}
}
