package dnstest

import (
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// ttl is the TTL of every record served; the verifier caches zone data for
// min(TTL, 1h), so a short TTL keeps tests honest about caching.
const ttl = 300

// maxChunk is the longest character-string a TXT record can carry on the wire.
const maxChunk = 255

// node holds the RRsets at one owner name.
type node struct {
	rrsets map[uint16][]dns.RR
}

// faults are the per-name misbehaviours; the zero value is a healthy name.
type faults struct {
	rcode     int // 0 = answer normally
	blackhole bool
	noAA      bool
	wrongQ    bool
	delay     time.Duration
}

// canonical lower-cases name and adds the trailing dot, so callers may pass
// "Example.COM" or "example.com.".
func canonical(name string) string {
	return strings.ToLower(dns.Fqdn(name))
}

func header(name string, rrtype uint16) dns.RR_Header {
	return dns.RR_Header{Name: name, Rrtype: rrtype, Class: dns.ClassINET, Ttl: ttl}
}

// AddZone makes the server authoritative for zone, with an SOA and the given
// NS names at the apex. Without NS names it uses "ns1.<zone>".
func (s *Server) AddZone(zone string, nsNames ...string) {
	z := canonical(zone)
	if len(nsNames) == 0 {
		nsNames = []string{"ns1." + z}
	}
	ns := make([]dns.RR, 0, len(nsNames))
	for _, n := range nsNames {
		ns = append(ns, &dns.NS{Hdr: header(z, dns.TypeNS), Ns: canonical(n)})
	}
	soa := &dns.SOA{
		Hdr: header(z, dns.TypeSOA), Ns: canonical(nsNames[0]), Mbox: "hostmaster." + z,
		Serial: 1, Refresh: 3600, Retry: 600, Expire: 86400, Minttl: 60,
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.zones[z] = true
	s.setLocked(z, dns.TypeSOA, []dns.RR{soa})
	s.setLocked(z, dns.TypeNS, ns)
}

// SetTXT replaces the TXT RRset at name. Each record is a list of raw
// character-strings (bytes as they should appear on the wire; a backslash is
// a backslash). A string longer than 255 bytes is split the way a zone-file
// parser splits it. No records removes the RRset.
func (s *Server) SetTXT(name string, records ...[]string) {
	n := canonical(name)
	rrs := make([]dns.RR, 0, len(records))
	for _, chunks := range records {
		rrs = append(rrs, &dns.TXT{Hdr: header(n, dns.TypeTXT), Txt: wireChunks(chunks)})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setLocked(n, dns.TypeTXT, rrs)
}

// AddTXT appends one TXT record made of the given character-strings.
func (s *Server) AddTXT(name string, chunks ...string) {
	n := canonical(name)
	rr := &dns.TXT{Hdr: header(n, dns.TypeTXT), Txt: wireChunks(chunks)}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.rrsetLocked(n, dns.TypeTXT)
	s.setLocked(n, dns.TypeTXT, append(append([]dns.RR(nil), old...), rr))
}

// wireChunks splits long strings at 255 bytes and escapes backslashes,
// because miekg interprets presentation escapes when it packs a TXT record.
func wireChunks(chunks []string) []string {
	out := make([]string, 0, len(chunks))
	for _, c := range chunks {
		for len(c) > maxChunk {
			out = append(out, escapeChunk(c[:maxChunk]))
			c = c[maxChunk:]
		}
		out = append(out, escapeChunk(c))
	}
	return out
}

func escapeChunk(c string) string {
	return strings.ReplaceAll(c, `\`, `\\`)
}

// SetA replaces the A and AAAA RRsets at name with the given addresses.
// Strings that are not IP addresses are ignored.
func (s *Server) SetA(name string, ips ...string) {
	n := canonical(name)
	var a, aaaa []dns.RR
	for _, ip := range ips {
		addr, err := netip.ParseAddr(ip)
		switch {
		case err != nil:
			continue
		case addr.Is4():
			a = append(a, &dns.A{Hdr: header(n, dns.TypeA), A: addr.AsSlice()})
		default:
			aaaa = append(aaaa, &dns.AAAA{Hdr: header(n, dns.TypeAAAA), AAAA: addr.AsSlice()})
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setLocked(n, dns.TypeA, a)
	s.setLocked(n, dns.TypeAAAA, aaaa)
}

// SetCNAME makes name an alias for target. Like a careless zone editor it
// does not remove other records at name; call Remove first for a clean alias.
func (s *Server) SetCNAME(name, target string) {
	n := canonical(name)
	rr := &dns.CNAME{Hdr: header(n, dns.TypeCNAME), Target: canonical(target)}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setLocked(n, dns.TypeCNAME, []dns.RR{rr})
}

// Remove deletes every record at name. Removing a zone apex also drops the
// zone, so names in it become REFUSED.
func (s *Server) Remove(name string) {
	n := canonical(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.nodes[n]; ok {
		delete(s.nodes, n)
		s.countAncestors(n, -1)
	}
	delete(s.zones, n)
}

// rrsetLocked returns the RRset at name; the caller holds s.mu.
func (s *Server) rrsetLocked(name string, rrtype uint16) []dns.RR {
	if nd := s.nodes[name]; nd != nil {
		return nd.rrsets[rrtype]
	}
	return nil
}

// setLocked replaces one RRset and keeps the empty-non-terminal counts in
// step with nodes appearing and disappearing; the caller holds s.mu.
func (s *Server) setLocked(name string, rrtype uint16, rrs []dns.RR) {
	nd := s.nodes[name]
	if len(rrs) == 0 {
		if nd == nil {
			return
		}
		delete(nd.rrsets, rrtype)
		if len(nd.rrsets) == 0 {
			delete(s.nodes, name)
			s.countAncestors(name, -1)
		}
		return
	}
	if nd == nil {
		nd = &node{rrsets: make(map[uint16][]dns.RR)}
		s.nodes[name] = nd
		s.countAncestors(name, +1)
	}
	nd.rrsets[rrtype] = rrs
}

// countAncestors adjusts below[] for every proper ancestor of name, so that
// "does anything exist under this name" is one map lookup at query time.
func (s *Server) countAncestors(name string, delta int) {
	for off, end := dns.NextLabel(name, 0); !end; off, end = dns.NextLabel(name, off) {
		parent := name[off:]
		s.below[parent] += delta
		if s.below[parent] <= 0 {
			delete(s.below, parent)
		}
	}
}

// zoneOf returns the closest enclosing zone of name, or "" when the server is
// not authoritative for it. It walks the labels: O(labels), not O(zones).
func (s *Server) zoneOf(name string) string {
	for off, end := 0, false; !end; off, end = dns.NextLabel(name, off) {
		if s.zones[name[off:]] {
			return name[off:]
		}
	}
	return ""
}

// SetRcode makes every query for name answer with rcode and no records.
// dns.RcodeSuccess clears the override.
func (s *Server) SetRcode(name string, rcode int) {
	s.setFault(name, func(f *faults) { f.rcode = rcode })
}

// Blackhole makes the server never reply to queries for name.
func (s *Server) Blackhole(name string, on bool) {
	s.setFault(name, func(f *faults) { f.blackhole = on })
}

// NoAA clears the AA bit in replies for name, as a cache or forwarder would.
func (s *Server) NoAA(name string, on bool) {
	s.setFault(name, func(f *faults) { f.noAA = on })
}

// WrongQuestion makes replies for name carry a different question section.
func (s *Server) WrongQuestion(name string, on bool) {
	s.setFault(name, func(f *faults) { f.wrongQ = on })
}

// Delay holds every reply for name back by d (0 removes the delay).
func (s *Server) Delay(name string, d time.Duration) {
	s.setFault(name, func(f *faults) { f.delay = d })
}

// TruncateUDPAbove sets TC=1 on UDP replies larger than n bytes (values below
// 512 act as 512, the DNS minimum). 0 truncates only to the client's buffer.
func (s *Server) TruncateUDPAbove(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.truncAbove = n
}

func (s *Server) setFault(name string, change func(*faults)) {
	n := canonical(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faults[n]
	change(&f)
	if f == (faults{}) {
		delete(s.faults, n)
		return
	}
	s.faults[n] = f
}
