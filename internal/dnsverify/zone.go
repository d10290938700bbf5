package dnsverify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// findZone walks up from fqdn with SOA queries to the resolvers until an SOA
// owned by the queried name appears in the answer. It climbs on NXDOMAIN,
// NODATA and CNAME answers, and stops on anything else: skipping past a
// SERVFAIL could settle on a parent zone and ask the wrong servers.
func (v *Verifier) findZone(ctx context.Context, fqdn string) (string, error) {
	if zone, ok := v.zones.get(fqdn); ok {
		return zone, nil
	}
	for off, end := 0, false; !end; off, end = dns.NextLabel(fqdn, off) {
		name := fqdn[off:]
		m, err := v.resolve(ctx, name, dns.TypeSOA)
		if err != nil {
			return "", fmt.Errorf("could not find the zone of %s: SOA lookup for %s: %w; not guessing a parent zone",
				trimDot(fqdn), trimDot(name), err)
		}
		if m.Rcode == dns.RcodeNameError || hasType(m.Answer, name, dns.TypeCNAME) {
			continue
		}
		for _, rr := range m.Answer {
			if soa, ok := rr.(*dns.SOA); ok && strings.EqualFold(soa.Hdr.Name, name) {
				zone := strings.ToLower(name)
				v.zones.put(fqdn, zone, ttlOf(soa))
				return zone, nil
			}
		}
	}
	return "", fmt.Errorf("could not find the zone of %s: no SOA record up to the top-level domain", trimDot(fqdn))
}

// nameservers returns the zone's NS host names, lower-cased, deduplicated and
// sorted so results are stable.
func (v *Verifier) nameservers(ctx context.Context, zone string) ([]string, error) {
	if ns, ok := v.nsSets.get(zone); ok {
		return ns, nil
	}
	m, err := v.resolve(ctx, zone, dns.TypeNS)
	if err != nil {
		return nil, fmt.Errorf("NS lookup for zone %s: %w", trimDot(zone), err)
	}
	var ns []string
	ttl := maxCacheTTL
	for _, rr := range m.Answer {
		if n, ok := rr.(*dns.NS); ok && strings.EqualFold(n.Hdr.Name, zone) {
			ns = append(ns, strings.ToLower(dns.Fqdn(n.Ns)))
			ttl = min(ttl, ttlOf(n))
		}
	}
	slices.Sort(ns)
	ns = slices.Compact(ns)
	if len(ns) == 0 {
		return nil, fmt.Errorf("zone %s has no NS records (answer: %s)", trimDot(zone), rcodeName(m.Rcode))
	}
	v.nsSets.put(zone, ns, ttl)
	return ns, nil
}

// addresses resolves an NS host name to ip:port pairs through our own
// resolvers (never the OS resolver), IPv4 first. AAAA is not needed when A
// already answered, so its failure is then ignored.
func (v *Verifier) addresses(ctx context.Context, host string) ([]string, error) {
	if addrs, ok := v.addrs.get(host); ok {
		return addrs, nil
	}
	var addrs []string
	var lastErr error
	ttl := maxCacheTTL
	for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA} {
		m, err := v.resolve(ctx, host, qtype)
		if err != nil {
			lastErr = err
			continue
		}
		for _, rr := range m.Answer {
			if ip := addressOf(rr); ip != "" {
				addrs = append(addrs, net.JoinHostPort(ip, v.cfg.AuthoritativePort))
				ttl = min(ttl, ttlOf(rr))
			}
		}
	}
	if len(addrs) == 0 {
		if lastErr != nil {
			return nil, fmt.Errorf("address lookup for %s: %w", trimDot(host), lastErr)
		}
		return nil, fmt.Errorf("no A/AAAA address for %s", trimDot(host))
	}
	v.addrs.put(host, addrs, ttl)
	return addrs, nil
}

// addressOf returns the IP of an A or AAAA record; the answer may contain a
// CNAME chain, whose records are part of the answer to our question.
func addressOf(rr dns.RR) string {
	switch rr := rr.(type) {
	case *dns.A:
		return rr.A.String()
	case *dns.AAAA:
		return rr.AAAA.String()
	}
	return ""
}

// resolve asks the recursive resolvers in order until one gives NOERROR or
// NXDOMAIN for our question; trying the next resolver is failover, not a
// change of question.
func (v *Verifier) resolve(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
	last := error(errNoResolver)
	for _, addr := range v.cfg.Resolvers {
		r, err := v.query(ctx, addr, name, qtype, true)
		switch {
		case err != nil:
			last = fmt.Errorf("resolver %s: %w", addr, err)
		case !sameQuestion(r.msg, name, qtype):
			last = fmt.Errorf("resolver %s: reply is for a different question (%s)", addr, questionString(r.msg))
		case rcodeProblem(r.msg.Rcode) != "":
			last = fmt.Errorf("resolver %s: %s", addr, rcodeProblem(r.msg.Rcode))
		default:
			return r.msg, nil
		}
		if contextDone(ctx) {
			break
		}
	}
	return nil, last
}

var errNoResolver = errors.New("no resolver configured")

func hasType(rrs []dns.RR, owner string, rrtype uint16) bool {
	for _, rr := range rrs {
		if rr.Header().Rrtype == rrtype && strings.EqualFold(rr.Header().Name, owner) {
			return true
		}
	}
	return false
}

func ttlOf(rr dns.RR) time.Duration {
	return time.Duration(rr.Header().Ttl) * time.Second
}

func trimDot(name string) string {
	if name == "." {
		return name
	}
	return strings.TrimSuffix(name, ".")
}
