package dnsverify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Verifier checks DNS TXT ownership records. It is safe for concurrent use;
// one Verifier should serve a whole sweep so its clients and caches are
// shared.
type Verifier struct {
	cfg  Config
	mode Mode
	udp  *dns.Client
	tcp  *dns.Client
	now  func() time.Time

	zones  *ttlCache[string]   // owner name → zone apex
	nsSets *ttlCache[[]string] // zone → NS host names
	addrs  *ttlCache[[]string] // NS host name → ip:port
}

// New validates cfg (host:port forms, ranges), applies defaults and returns
// a Verifier. It reads /etc/resolv.conf only in authoritative mode without
// configured resolvers.
func New(cfg Config) (*Verifier, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	v := &Verifier{
		cfg:  cfg,
		mode: ModeAuthoritative,
		udp:  &dns.Client{Net: "udp", UDPSize: cfg.EDNSBufferSize, Timeout: cfg.QueryTimeout},
		tcp:  &dns.Client{Net: "tcp", Timeout: cfg.QueryTimeout},
		now:  time.Now,
	}
	if len(cfg.Nameservers) > 0 {
		v.mode = ModeDirect
	}
	v.zones = newCache[string](maxCacheEntries, v.now)
	v.nsSets = newCache[[]string](maxCacheEntries, v.now)
	v.addrs = newCache[[]string](maxCacheEntries, v.now)
	return v, nil
}

// Mode reports whether the verifier asks authoritative servers or the
// configured nameservers.
func (v *Verifier) Mode() Mode { return v.mode }

// Config returns the effective configuration, defaults applied.
func (v *Verifier) Config() Config {
	c := v.cfg
	c.Nameservers = append([]string(nil), c.Nameservers...)
	c.Resolvers = append([]string(nil), c.Resolvers...)
	return c
}

// target is one server to ask: an NS host name (addresses resolved when
// asked) or, in direct mode, a configured ip:port.
type target struct {
	name   string // fully qualified NS name, or ip:port
	direct bool
}

// Check looks for the TXT record expected at domain (a normalised A-label
// without trailing dot) and returns a verdict with per-server details. It
// never panics and always returns a verdict; it returns within CheckTimeout
// or when ctx ends, whichever is first.
func (v *Verifier) Check(ctx context.Context, domain, expected string) (res Result) {
	res = Result{Name: domain, Expected: expected, Mode: v.mode, Servers: []ServerResult{}, CheckedAt: v.now().UTC()}
	defer func() {
		if p := recover(); p != nil {
			res.Verdict = Indeterminate
			res.Reason = fmt.Sprintf("internal error while checking %s: %v", domain, p)
		}
	}()
	fqdn, err := checkInput(domain, expected)
	if err != nil {
		res.Verdict, res.Reason = Indeterminate, err.Error()
		return res
	}
	res.Name = trimDot(fqdn)
	ctx, cancel := context.WithTimeout(ctx, v.cfg.CheckTimeout)
	defer cancel()

	targets, zone, err := v.targets(ctx, fqdn)
	res.Zone = trimDot(zone)
	if err != nil {
		res.Verdict, res.Reason = Indeterminate, err.Error()
		return res
	}
	res.Servers = v.askAll(ctx, targets, fqdn, expected)
	res.Verdict, res.Reason = v.combine(res.Name, expected, res.Servers)
	return res
}

// checkInput is defensive: callers normalise, but a bad name must give an
// indeterminate result rather than a query for garbage.
func checkInput(domain, expected string) (string, error) {
	name := strings.ToLower(strings.TrimSuffix(domain, "."))
	if name == "" || strings.HasPrefix(name, ".") {
		return "", fmt.Errorf("invalid domain %q", domain)
	}
	if _, ok := dns.IsDomainName(name); !ok {
		return "", fmt.Errorf("invalid domain %q", domain)
	}
	if strings.TrimSpace(expected) == "" {
		return "", errors.New("no expected record value given")
	}
	return dns.Fqdn(name), nil
}

// targets lists the servers to ask: the configured ones in direct mode, the
// zone's NS set otherwise.
func (v *Verifier) targets(ctx context.Context, fqdn string) ([]target, string, error) {
	if v.mode == ModeDirect {
		ts := make([]target, 0, len(v.cfg.Nameservers))
		for _, ns := range v.cfg.Nameservers {
			ts = append(ts, target{name: ns, direct: true})
		}
		return ts, "", nil
	}
	zone, err := v.findZone(ctx, fqdn)
	if err != nil {
		return nil, "", err
	}
	ns, err := v.nameservers(ctx, zone)
	if err != nil {
		return nil, zone, err
	}
	ts := make([]target, 0, len(ns))
	for _, n := range ns {
		ts = append(ts, target{name: n})
	}
	return ts, zone, nil
}

// askAll asks every server concurrently, so one dead server costs one
// timeout rather than one per server. A single server is asked inline: the
// common direct-mode sweep spawns no goroutine per check.
func (v *Verifier) askAll(ctx context.Context, targets []target, fqdn, expected string) []ServerResult {
	out := make([]ServerResult, len(targets))
	if len(targets) == 1 {
		out[0] = v.ask(ctx, targets[0], fqdn, expected)
	} else {
		var wg sync.WaitGroup
		for i := range targets {
			wg.Go(func() {
				defer recoverServer(&out[i], targets[i])
				out[i] = v.ask(ctx, targets[i], fqdn, expected)
			})
		}
		wg.Wait()
	}
	for _, sr := range out {
		if sr.Error == reasonReferral {
			// The cached zone cut is stale; walk again next time.
			v.zones.remove(fqdn)
		}
	}
	return out
}

// recoverServer keeps a panic in one server's goroutine from killing the
// process: Check's own recover cannot see other goroutines.
func recoverServer(sr *ServerResult, t target) {
	if p := recover(); p != nil {
		*sr = ServerResult{Server: t.display(), Verdict: Indeterminate, Records: []string{},
			Error: fmt.Sprintf("internal error: %v", p)}
	}
}

func (t target) display() string { return trimDot(t.name) }

// ask queries one server, trying its addresses in turn until one gives a
// definite answer (found or absent).
func (v *Verifier) ask(ctx context.Context, t target, fqdn, expected string) ServerResult {
	sr := ServerResult{Server: t.display(), Verdict: Indeterminate, Records: []string{}}
	addrs := []string{t.name}
	if !t.direct {
		var err error
		if addrs, err = v.addresses(ctx, t.name); err != nil {
			sr.Error = err.Error()
			return sr
		}
	}
	for _, addr := range addrs {
		sr = ServerResult{Server: t.display(), Address: addr, Verdict: Indeterminate, Records: []string{}}
		r, err := v.query(ctx, addr, fqdn, dns.TypeTXT, t.direct)
		if err != nil {
			sr.Transport, sr.Error = r.transport, err.Error()
		} else {
			v.judgeTXT(&sr, r, fqdn, expected, !t.direct)
		}
		if sr.Verdict != Indeterminate || contextDone(ctx) {
			break
		}
	}
	return sr
}
