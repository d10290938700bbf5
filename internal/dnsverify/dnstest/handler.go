package dnstest

import (
	"net"

	"github.com/miekg/dns"
)

// maxCNAMEHops bounds CNAME chasing inside the server's own zones, so a
// CNAME loop in test data cannot hang a handler.
const maxCNAMEHops = 8

// replyBufferSize is the EDNS buffer the server advertises in its replies.
const replyBufferSize = 1232

// ServeDNS implements dns.Handler.
func (s *Server) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	if len(r.Question) != 1 {
		m := new(dns.Msg)
		m.SetRcode(r, dns.RcodeFormatError)
		_ = w.WriteMsg(m)
		return
	}
	q := r.Question[0]
	name := canonical(q.Name)
	_, overUDP := w.RemoteAddr().(*net.UDPAddr)
	s.record(Query{Name: name, Type: dns.TypeToString[q.Qtype], Transport: transport(overUDP), RD: r.RecursionDesired})

	s.mu.RLock()
	f := s.faults[name]
	truncAbove := s.truncAbove
	s.mu.RUnlock()

	if f.delay > 0 && !s.sleep(f.delay) {
		return
	}
	if f.blackhole {
		return // the client must time out
	}
	m := s.answer(r, name, q.Qtype)
	applyFaults(m, f)
	if opt := r.IsEdns0(); opt != nil {
		m.SetEdns0(replyBufferSize, false)
	}
	if overUDP {
		m.Truncate(udpLimit(r, truncAbove))
	}
	_ = w.WriteMsg(m)
}

func transport(overUDP bool) string {
	if overUDP {
		return "udp"
	}
	return "tcp"
}

// udpLimit is the size a UDP reply must fit: the client's EDNS buffer (512
// without EDNS), lowered by TruncateUDPAbove.
func udpLimit(r *dns.Msg, truncAbove int) int {
	limit := dns.MinMsgSize
	if opt := r.IsEdns0(); opt != nil {
		limit = int(opt.UDPSize())
	}
	if truncAbove > 0 && truncAbove < limit {
		limit = truncAbove
	}
	return limit
}

// answer builds the reply from zone data: REFUSED outside every zone, else
// an AA=1 answer, NODATA or NXDOMAIN with the SOA in authority.
func (s *Server) answer(r *dns.Msg, name string, qtype uint16) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(r)
	s.mu.RLock()
	defer s.mu.RUnlock()
	zone := s.zoneOf(name)
	if zone == "" {
		m.Rcode = dns.RcodeRefused
		return m
	}
	m.Authoritative = true
	s.lookup(m, zone, name, qtype, 0)
	return m
}

// lookup appends what the server holds for (name, qtype) to m; the caller
// holds s.mu for reading.
func (s *Server) lookup(m *dns.Msg, zone, name string, qtype uint16, hops int) {
	nd := s.nodes[name]
	if nd != nil {
		if rrs := nd.rrsets[qtype]; len(rrs) > 0 {
			m.Answer = append(m.Answer, rrs...)
			return
		}
		if c := nd.rrsets[dns.TypeCNAME]; len(c) > 0 {
			m.Answer = append(m.Answer, c...)
			s.chase(m, c[0].(*dns.CNAME).Target, qtype, hops)
			return
		}
	}
	if nd == nil && s.below[name] == 0 {
		m.Rcode = dns.RcodeNameError
	}
	if soa := s.rrsetLocked(zone, dns.TypeSOA); len(soa) > 0 {
		m.Ns = append(m.Ns, soa...)
	}
}

// chase follows a CNAME while its target stays in one of our zones, like an
// authoritative server that owns both ends of the alias.
func (s *Server) chase(m *dns.Msg, target string, qtype uint16, hops int) {
	if hops >= maxCNAMEHops {
		return
	}
	if z := s.zoneOf(target); z != "" {
		s.lookup(m, z, target, qtype, hops+1)
	}
}

func applyFaults(m *dns.Msg, f faults) {
	if f.rcode != dns.RcodeSuccess {
		m.Rcode = f.rcode
		m.Answer, m.Ns = nil, nil
		m.Authoritative = f.rcode == dns.RcodeNameError
	}
	if f.noAA {
		m.Authoritative = false
	}
	if f.wrongQ && len(m.Question) == 1 {
		m.Question[0].Name = "wrong-question.invalid."
	}
}
