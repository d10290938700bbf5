package dnsverify

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/miekg/dns"
)

// Mode says where TXT queries go.
type Mode string

const (
	// ModeAuthoritative finds the zone's NS servers and asks each of them
	// with RD=0, requiring AA=1. It is the default.
	ModeAuthoritative Mode = "authoritative"
	// ModeDirect asks the configured Nameservers with RD=1 and does not
	// require AA (split-horizon networks, blocked port 53, tests).
	ModeDirect Mode = "direct"
)

// Defaults applied by New to zero fields.
const (
	DefaultQueryTimeout   = 2 * time.Second
	DefaultRetries        = 1
	DefaultCheckTimeout   = 15 * time.Second
	DefaultEDNSBufferSize = 1232
	DefaultMaxTXTRecords  = 100
	DefaultPort           = "53"
	// FallbackResolver is used when no resolver is configured and
	// /etc/resolv.conf cannot be read.
	FallbackResolver = "1.1.1.1:53"
	resolvConf       = "/etc/resolv.conf"
)

// Config tunes a Verifier. The zero value works except for MaxUnreachable,
// whose zero means "tolerate no unreachable server"; DefaultConfig returns
// the recommended -1.
//
// Hosts in Nameservers and Resolvers must be IP literals, so that no query
// goes through the operating system's resolver; a bare IP gets port 53.
type Config struct {
	// Nameservers, when non-empty, sends every TXT query straight to these host:port servers
	// instead of discovering the zone's authoritative servers (split-horizon networks, tests).
	// In this "direct" mode queries carry RD=1 and AA is not required; every listed server is asked,
	// and the verdict combines them with the same rules as authoritative servers.
	Nameservers []string
	// Resolvers are recursive resolvers (host:port) used for the SOA walk, NS and A/AAAA lookups
	// in authoritative mode. Empty = read /etc/resolv.conf (miekg dns.ClientConfigFromFile), else 1.1.1.1:53.
	Resolvers []string

	AuthoritativePort string        // default "53"; tests set the loopback port
	QueryTimeout      time.Duration // per query per address, default 2s
	Retries           int           // per address on timeouts and network errors; 0 = default 1 extra try, negative = none
	CheckTimeout      time.Duration // whole check budget, default 15s
	EDNSBufferSize    uint16        // default 1232 (values below 512 act as 512)
	MaxTXTRecords     int           // default 100 (bound on parsing)
	TCPOnly           bool          // never try UDP (networks that drop large UDP replies)
	MaxUnreachable    int           // -1 = default rule: 1 when >=3 servers, else 0
}

// DefaultConfig returns the recommended settings: authoritative mode and the
// default unreachable-server rule.
func DefaultConfig() Config {
	return Config{MaxUnreachable: -1}
}

// withDefaults validates cfg and fills zero fields, reporting every problem
// at once.
func (cfg Config) withDefaults() (Config, error) {
	var errs []error
	var err error
	if cfg.Nameservers, err = normalizeServers("nameserver", cfg.Nameservers); err != nil {
		errs = append(errs, err)
	}
	if cfg.Resolvers, err = normalizeServers("resolver", cfg.Resolvers); err != nil {
		errs = append(errs, err)
	}
	if cfg.AuthoritativePort == "" {
		cfg.AuthoritativePort = DefaultPort
	} else if !validPort(cfg.AuthoritativePort) {
		errs = append(errs, fmt.Errorf("authoritative port %q: want a number from 1 to 65535", cfg.AuthoritativePort))
	}
	errs = append(errs, cfg.durationDefaults()...)
	errs = append(errs, cfg.countDefaults()...)
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("dnsverify: invalid config: %w", err)
	}
	if len(cfg.Nameservers) == 0 && len(cfg.Resolvers) == 0 {
		cfg.Resolvers = systemResolvers()
	}
	return cfg, nil
}

func (cfg *Config) durationDefaults() []error {
	var errs []error
	if cfg.QueryTimeout < 0 {
		errs = append(errs, fmt.Errorf("query timeout %s is negative", cfg.QueryTimeout))
	} else if cfg.QueryTimeout == 0 {
		cfg.QueryTimeout = DefaultQueryTimeout
	}
	if cfg.CheckTimeout < 0 {
		errs = append(errs, fmt.Errorf("check timeout %s is negative", cfg.CheckTimeout))
	} else if cfg.CheckTimeout == 0 {
		cfg.CheckTimeout = DefaultCheckTimeout
	}
	return errs
}

func (cfg *Config) countDefaults() []error {
	var errs []error
	switch {
	case cfg.Retries == 0:
		cfg.Retries = DefaultRetries
	case cfg.Retries < 0:
		cfg.Retries = 0
	}
	switch {
	case cfg.EDNSBufferSize == 0:
		cfg.EDNSBufferSize = DefaultEDNSBufferSize
	case cfg.EDNSBufferSize < dns.MinMsgSize:
		cfg.EDNSBufferSize = dns.MinMsgSize
	}
	if cfg.MaxTXTRecords < 0 {
		errs = append(errs, fmt.Errorf("max TXT records %d is negative", cfg.MaxTXTRecords))
	} else if cfg.MaxTXTRecords == 0 {
		cfg.MaxTXTRecords = DefaultMaxTXTRecords
	}
	if cfg.MaxUnreachable < -1 {
		errs = append(errs, fmt.Errorf("max unreachable %d: want -1 (default rule) or a count", cfg.MaxUnreachable))
	}
	return errs
}

// normalizeServers checks host:port forms and copies the slice so the caller
// may reuse theirs.
func normalizeServers(what string, in []string) ([]string, error) {
	var errs []error
	out := make([]string, 0, len(in))
	for _, s := range in {
		hp, err := normalizeServer(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %q: %w", what, s, err))
			continue
		}
		out = append(out, hp)
	}
	return out, errors.Join(errs...)
}

func normalizeServer(s string) (string, error) {
	if addr, err := netip.ParseAddr(s); err == nil {
		return net.JoinHostPort(addr.String(), DefaultPort), nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", errors.New("want ip:port, e.g. 127.0.0.1:53 or [::1]:53")
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return "", errors.New("host must be an IP address, so no lookup goes through the system resolver")
	}
	if !validPort(port) {
		return "", errors.New("port must be a number from 1 to 65535")
	}
	return net.JoinHostPort(addr.String(), port), nil
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535
}

// systemResolvers reads /etc/resolv.conf, falling back to a public resolver
// so a container without one still works.
func systemResolvers() []string {
	cc, err := dns.ClientConfigFromFile(resolvConf)
	if err != nil || len(cc.Servers) == 0 {
		return []string{FallbackResolver}
	}
	port := cc.Port
	if port == "" {
		port = DefaultPort
	}
	out := make([]string, 0, len(cc.Servers))
	for _, s := range cc.Servers {
		out = append(out, net.JoinHostPort(s, port))
	}
	return out
}
