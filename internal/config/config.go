package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/ssogate/ssogate/internal/store"
)

// Config is the server's configuration.
type Config struct {
	Listen      string
	DataDir     string
	DatabaseURL string
	// TLSCert and TLSKey, both set, make ssogate terminate TLS itself
	// (otherwise a front proxy does, and trusted-proxies tells us which).
	TLSCert string
	TLSKey  string

	// DNSNameservers, when set, receive every verification query directly
	// (split-horizon networks, tests); otherwise the zone's authoritative
	// servers are found through DNSResolvers (default /etc/resolv.conf).
	DNSNameservers       []string
	DNSResolvers         []string
	VerificationDeadline time.Duration
	VerifyConcurrency    int
	VerifyInterval       time.Duration
	VerifyCooldown       time.Duration

	DeniedDomains  []string
	DeniedTLDs     []string
	TrustedProxies []netip.Prefix

	LogLevel  string
	LogFormat string
	// AccessLog writes one line per HTTP request (issue 12's request log).
	AccessLog bool
	// MetricsListen, when set, serves /metrics (Prometheus) on its own
	// address; never on the public listener, so scrapes need no token and
	// the figures are not published to the internet by default.
	MetricsListen string
	// Pprof adds Go's /debug/pprof/ profiles to the MetricsListen listener,
	// for finding where a busy instance spends its time. Off by default:
	// a profile shows the heap's contents' shapes and costs CPU while it runs.
	Pprof bool

	// Access: team domains are <team>.<AccessDomain>; AccessScheme and
	// AccessPort build their URLs (AccessPort "" = the listen port; 80 and
	// 443 are left out of URLs).
	AccessDomain string
	AccessScheme string
	AccessPort   string
	// DashboardURL is the dashboard's external base URL, where the SSO App
	// sends its assertions ("" = http://localhost:<listen port>).
	DashboardURL string

	// SecretKeyFile holds the key that seals secrets at rest (IdP client
	// secrets, signing keys); created in the data directory when missing.
	// SecretKey (environment only, base64) wins over the file; several
	// instances on one PostgreSQL must share it.
	SecretKeyFile string
	SecretKey     string

	// Bootstrap settings are read from the environment only: they are
	// secrets or one-time values that do not belong in a process list.
	BootstrapEmail       string
	BootstrapPassword    string
	BootstrapToken       string
	BootstrapAccountName string
}

// Default returns the defaults: everything local, nothing else needed.
func Default() Config {
	return Config{
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
}

// option maps one setting onto its flag and environment variable.
type option struct {
	flag, env, usage string
	kind             string // the value's type, for help: string, strings, duration, int, cidrs, bool
	get              func(*Config) string
	set              func(*Config, string) error
}

func options() []option {
	return []option{
		str("listen", "address to listen on (host:port)", func(c *Config) *string { return &c.Listen }),
		str("data-dir", "directory of the embedded SQLite database", func(c *Config) *string { return &c.DataDir }),
		str("tls-cert", "PEM certificate (chain) to serve HTTPS with; needs --tls-key", func(c *Config) *string { return &c.TLSCert }),
		str("tls-key", "PEM private key of --tls-cert", func(c *Config) *string { return &c.TLSKey }),
		str("database-url", "postgres:// URL; selects PostgreSQL instead of SQLite", func(c *Config) *string { return &c.DatabaseURL }),
		list("dns-nameservers", "host:port,... to send every verification query to (skips authoritative discovery)", func(c *Config) *[]string { return &c.DNSNameservers }),
		list("dns-resolvers", "recursive resolvers host:port,... used to find authoritative servers (default: /etc/resolv.conf)", func(c *Config) *[]string { return &c.DNSResolvers }),
		dur("verification-deadline", "how long a domain claim may stay unverified", func(c *Config) *time.Duration { return &c.VerificationDeadline }),
		num("verify-concurrency", "DNS checks run at once by the background worker", func(c *Config) *int { return &c.VerifyConcurrency }),
		dur("verify-interval", "how often the worker looks for due checks", func(c *Config) *time.Duration { return &c.VerifyInterval }),
		dur("verify-cooldown", "begin_verification re-queries DNS at most this often per connector", func(c *Config) *time.Duration { return &c.VerifyCooldown }),
		list("denied-domains", "extra email domains that may not be claimed", func(c *Config) *[]string { return &c.DeniedDomains }),
		list("denied-tlds", "top-level domains that may not be claimed (e.g. edu)", func(c *Config) *[]string { return &c.DeniedTLDs }),
		prefixes("trusted-proxies", "CIDRs of proxies whose X-Forwarded-For is believed", func(c *Config) *[]netip.Prefix { return &c.TrustedProxies }),
		str("access-domain", "parent domain of the Access team domains (<team>.<access-domain>)", func(c *Config) *string { return &c.AccessDomain }),
		str("access-scheme", "scheme of team-domain URLs: http or https", func(c *Config) *string { return &c.AccessScheme }),
		str("access-port", "port in team-domain URLs (default: the listen port; 80/443 are omitted)", func(c *Config) *string { return &c.AccessPort }),
		str("dashboard-url", "external base URL of the dashboard (default: http://localhost:<listen port>)", func(c *Config) *string { return &c.DashboardURL }),
		str("secret-key-file", "file with the key sealing secrets at rest (default: secret.key in the data directory)", func(c *Config) *string { return &c.SecretKeyFile }),
		str("log-level", "debug, info, warn or error", func(c *Config) *string { return &c.LogLevel }),
		str("log-format", "text or json", func(c *Config) *string { return &c.LogFormat }),
		boolean("access-log", "log one line per HTTP request", func(c *Config) *bool { return &c.AccessLog }),
		str("metrics-listen", "address to serve Prometheus /metrics on, e.g. 127.0.0.1:9090 (default: off)", func(c *Config) *string { return &c.MetricsListen }),
		boolean("pprof", "also serve Go's /debug/pprof/ profiles on --metrics-listen", func(c *Config) *bool { return &c.Pprof }),
	}
}

// envOnly are the bootstrap settings, read from the environment only.
var envOnly = map[string]func(*Config) *string{
	"SSOGATE_BOOTSTRAP_EMAIL":        func(c *Config) *string { return &c.BootstrapEmail },
	"SSOGATE_BOOTSTRAP_PASSWORD":     func(c *Config) *string { return &c.BootstrapPassword },
	"SSOGATE_BOOTSTRAP_TOKEN":        func(c *Config) *string { return &c.BootstrapToken },
	"SSOGATE_BOOTSTRAP_ACCOUNT_NAME": func(c *Config) *string { return &c.BootstrapAccountName },
	"SSOGATE_SECRET_KEY":             func(c *Config) *string { return &c.SecretKey },
}

func envName(flagName string) string {
	return "SSOGATE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Scope is the set of settings a command takes as flags: the server takes
// them all, commands that only open the database take the storage ones
// (their help would otherwise list twenty flags they ignore).
type Scope int

const (
	AllSettings     Scope = iota // serve, config check
	StorageSettings              // migrate, admin: where the data and its key are, and logging
)

var storageFlags = map[string]bool{"data-dir": true, "database-url": true, "secret-key-file": true,
	"log-level": true, "log-format": true}

// EnvConfigFile names the configuration file when --config is not given.
const EnvConfigFile = "SSOGATE_CONFIG"

// Flags are the settings bound to one command's flag set. Values are kept
// as typed and applied in Load, after the file and the environment, so
// flags win and every malformed value is reported with the others.
type Flags struct {
	fs      *pflag.FlagSet
	file    string
	applied []option
	raw     map[string]string
}

// Bind registers the settings of scope, and --config, on fs.
func Bind(fs *pflag.FlagSet, scope Scope) *Flags {
	f := &Flags{fs: fs, raw: map[string]string{}}
	def := Default()
	fs.StringVar(&f.file, "config", "", "YAML configuration file (env "+EnvConfigFile+"); flags and environment win over it")
	for _, o := range options() {
		if scope == StorageSettings && !storageFlags[o.flag] {
			continue
		}
		f.applied = append(f.applied, o)
		fl := fs.VarPF(&rawValue{name: o.flag, kind: o.kind, raw: f.raw}, o.flag, "",
			o.usage+" (env "+o.env+")")
		fl.DefValue = o.get(&def)
		if o.kind == "bool" {
			fl.NoOptDefVal = "true" // --access-log alone means true, as with any boolean flag
		}
	}
	return f
}

// rawValue records a flag's text for Load. Type is what help prints
// after the flag's name ("--listen string").
type rawValue struct {
	name, kind string
	raw        map[string]string
}

func (v *rawValue) String() string     { return v.raw[v.name] }
func (v *rawValue) Set(s string) error { v.raw[v.name] = s; return nil }
func (v *rawValue) Type() string {
	if v.kind == "bool" {
		return "bool"
	}
	return v.kind
}

// Load builds the configuration: defaults, then the file (--config or
// SSOGATE_CONFIG), then the environment, then the flags given. Every
// problem is reported together.
func (f *Flags) Load(getenv func(string) string) (Config, error) {
	cfg := Default()
	var errs []error
	path := f.file
	if path == "" {
		path = strings.TrimSpace(getenv(EnvConfigFile))
	}
	if path != "" {
		if err := ApplyFile(&cfg, path); err != nil {
			errs = append(errs, err)
		}
	}
	for _, o := range options() {
		if v := getenv(o.env); v != "" {
			if err := o.set(&cfg, v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", o.env, err))
			}
		}
	}
	for env, field := range envOnly {
		if v := getenv(env); v != "" {
			*field(&cfg) = v
		}
	}
	for _, o := range f.applied {
		if v, ok := f.raw[o.flag]; ok {
			if err := o.set(&cfg, v); err != nil {
				errs = append(errs, fmt.Errorf("--%s: %w", o.flag, err))
			}
		}
	}
	if err := errors.Join(append(errs, cfg.Validate())...); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// Load parses args on fs with every setting bound and loads the
// configuration; for tests and callers without a command tree.
func Load(fs *pflag.FlagSet, args []string, getenv func(string) string) (Config, error) {
	f := Bind(fs, AllSettings)
	if err := fs.Parse(args); err != nil {
		return Default(), err
	}
	return f.Load(getenv)
}

// Validate checks the whole configuration and reports every problem.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		bad("listen: %q is not host:port", c.Listen)
	}
	if c.DatabaseURL == "" && c.DataDir == "" {
		bad("data-dir: empty; give a directory or a database-url")
	}
	if c.DatabaseURL != "" {
		if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			bad("database-url: must be a postgres:// or postgresql:// URL")
		}
	}
	for _, ns := range append(append([]string{}, c.DNSNameservers...), c.DNSResolvers...) {
		if _, _, err := net.SplitHostPort(ns); err != nil {
			bad("dns nameserver %q: not host:port (for example 127.0.0.1:53)", ns)
		}
	}
	if c.VerificationDeadline < time.Minute {
		bad("verification-deadline: %s is shorter than a minute", c.VerificationDeadline)
	}
	if c.VerifyConcurrency < 1 || c.VerifyConcurrency > 1024 {
		bad("verify-concurrency: %d is outside 1..1024", c.VerifyConcurrency)
	}
	if c.VerifyInterval < 100*time.Millisecond {
		bad("verify-interval: %s is shorter than 100ms", c.VerifyInterval)
	}
	if c.VerifyCooldown < 0 {
		bad("verify-cooldown: %s is negative", c.VerifyCooldown)
	}
	if !oneOf(c.AccessScheme, "http", "https") {
		bad("access-scheme: %q is not http or https", c.AccessScheme)
	}
	if !accessDomainRE.MatchString(c.AccessDomain) {
		bad("access-domain: %q is not a domain name such as access.localhost or access.example.com", c.AccessDomain)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		bad("tls-cert and tls-key: give both, or neither (a front proxy terminates TLS)")
	}
	if c.DashboardURL != "" {
		if u, err := url.Parse(c.DashboardURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("dashboard-url: %q is not an http(s) URL such as https://dash.example.com", c.DashboardURL)
		}
	}
	if c.AccessPort != "" {
		if n, err := strconv.Atoi(c.AccessPort); err != nil || n < 1 || n > 65535 {
			bad("access-port: %q is not a port number", c.AccessPort)
		}
	}
	if !oneOf(c.LogLevel, "debug", "info", "warn", "error") {
		bad("log-level: %q is not debug, info, warn or error", c.LogLevel)
	}
	if c.MetricsListen != "" {
		if _, _, err := net.SplitHostPort(c.MetricsListen); err != nil {
			bad("metrics-listen: %q is not host:port (for example 127.0.0.1:9090)", c.MetricsListen)
		} else if c.MetricsListen == c.Listen {
			bad("metrics-listen: must differ from listen; metrics are never served on the public listener")
		}
	}
	if c.Pprof && c.MetricsListen == "" {
		bad("pprof: needs metrics-listen; profiles are served only on that private listener, never the public one")
	}
	if !oneOf(c.LogFormat, "text", "json") {
		bad("log-format: %q is not text or json", c.LogFormat)
	}
	if c.BootstrapToken != "" && !wellFormedToken(c.BootstrapToken) {
		bad("SSOGATE_BOOTSTRAP_TOKEN: must be 40 characters of A-Z a-z 0-9 _ - (generate one with: head -c 30 /dev/urandom | base64 | tr '+/' '-_')")
	}
	return errors.Join(errs...)
}

var accessDomainRE = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

func wellFormedToken(v string) bool {
	if len(v) != 40 {
		return false
	}
	return strings.Trim(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == ""
}

func oneOf(v string, allowed ...string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}

// String prints the configuration with secrets redacted.
func (c Config) String() string {
	var lines []string
	for _, o := range options() {
		v := o.get(&c)
		if o.flag == "database-url" && v != "" {
			v = store.Redact(v)
		}
		lines = append(lines, fmt.Sprintf("%-22s %s", o.flag, v))
	}
	sort.Strings(lines)
	secret := func(s string) string {
		if s == "" {
			return "(unset)"
		}
		return "(set, redacted)"
	}
	lines = append(lines, fmt.Sprintf("%-22s %s", "bootstrap-email", c.BootstrapEmail),
		fmt.Sprintf("%-22s %s", "bootstrap-password", secret(c.BootstrapPassword)),
		fmt.Sprintf("%-22s %s", "bootstrap-token", secret(c.BootstrapToken)),
		fmt.Sprintf("%-22s %s", "secret-key", secret(c.SecretKey)))
	return strings.Join(lines, "\n") + "\n"
}
