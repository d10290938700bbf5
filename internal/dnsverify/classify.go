package dnsverify

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/miekg/dns"
)

// Bounds on what a ServerResult shows; matching still sees up to
// MaxTXTRecords full values.
const (
	maxShownRecords = 32
	maxShownBytes   = 300
)

// Reasons shared with tests and with the referral handling.
const (
	reasonNoAA     = "answer without the AA bit (a cache or forwarder, not an authoritative server)"
	reasonReferral = "referral instead of an answer: the zone is delegated further down"
)

// judgeTXT classifies one server's reply to our TXT question into sr. The
// order matters: a reply that is not for our question, or not authoritative,
// says nothing about the record, whatever its rcode.
func (v *Verifier) judgeTXT(sr *ServerResult, r reply, fqdn, expected string, requireAA bool) {
	m := r.msg
	sr.Address, sr.Transport = r.addr, r.transport
	sr.RTTMillis = r.rtt.Milliseconds()
	sr.Rcode = rcodeName(m.Rcode)
	sr.Authoritative = m.Authoritative
	if problem := replyProblem(m, fqdn, dns.TypeTXT, requireAA); problem != "" {
		sr.Verdict, sr.Error = Indeterminate, problem
		return
	}
	txts, cname, overflow := v.scanAnswer(m.Answer, fqdn)
	sr.Records = shownRecords(txts)
	switch {
	case cname != "":
		// The TXT answer, if any, belongs to the alias target, not to us.
		sr.Verdict, sr.CNAME = Absent, strings.TrimSuffix(cname, ".")
	case Match(txts, expected):
		sr.Verdict = Found
	case overflow:
		sr.Verdict = Indeterminate
		sr.Error = fmt.Sprintf("more than %d TXT records at the name; only the first %d were examined",
			v.cfg.MaxTXTRecords, v.cfg.MaxTXTRecords)
	default:
		sr.Verdict = Absent // NOERROR without a match, NODATA or NXDOMAIN
	}
}

// replyProblem returns why a reply cannot count as a definite answer, or "".
func replyProblem(m *dns.Msg, fqdn string, qtype uint16, requireAA bool) string {
	if !sameQuestion(m, fqdn, qtype) {
		return "reply is for a different question (" + questionString(m) + "), ignored"
	}
	if p := rcodeProblem(m.Rcode); p != "" {
		return p
	}
	if requireAA && !m.Authoritative {
		if isReferral(m) {
			return reasonReferral
		}
		return reasonNoAA
	}
	if m.Truncated {
		return "reply truncated even over TCP"
	}
	return ""
}

// sameQuestion guards against misrouted or spoofed replies: miekg matches
// replies by message ID only.
func sameQuestion(m *dns.Msg, fqdn string, qtype uint16) bool {
	if len(m.Question) != 1 {
		return false
	}
	q := m.Question[0]
	return q.Qtype == qtype && q.Qclass == dns.ClassINET && strings.EqualFold(q.Name, fqdn)
}

func questionString(m *dns.Msg) string {
	if len(m.Question) == 0 {
		return "no question"
	}
	q := m.Question[0]
	return strings.TrimSuffix(q.Name, ".") + " " + dns.TypeToString[q.Qtype]
}

// rcodeProblem explains every rcode that is not a definite answer.
func rcodeProblem(rcode int) string {
	switch rcode {
	case dns.RcodeSuccess, dns.RcodeNameError:
		return ""
	case dns.RcodeServerFailure:
		return "SERVFAIL (the server could not answer; broken zone or DNSSEC?)"
	case dns.RcodeRefused:
		return "REFUSED (lame delegation or split-horizon DNS?)"
	default:
		return rcodeName(rcode) + " (not an answer this check understands)"
	}
}

func rcodeName(rcode int) string {
	if s, ok := dns.RcodeToString[rcode]; ok {
		return s
	}
	return fmt.Sprintf("RCODE%d", rcode)
}

// isReferral spots "ask someone else": no answer, NS records in authority.
func isReferral(m *dns.Msg) bool {
	if len(m.Answer) > 0 {
		return false
	}
	for _, rr := range m.Ns {
		if rr.Header().Rrtype == dns.TypeNS {
			return true
		}
	}
	return false
}

// scanAnswer collects the joined TXT values owned by fqdn (records for other
// owners, e.g. at a CNAME target, are not ours), at most MaxTXTRecords of
// them, and notes a CNAME owned by fqdn.
func (v *Verifier) scanAnswer(answer []dns.RR, fqdn string) (txts []string, cname string, overflow bool) {
	for _, rr := range answer {
		if !strings.EqualFold(rr.Header().Name, fqdn) {
			continue
		}
		switch rr := rr.(type) {
		case *dns.CNAME:
			cname = rr.Target
		case *dns.TXT:
			if len(txts) == v.cfg.MaxTXTRecords {
				overflow = true
				continue
			}
			txts = append(txts, JoinTXT(rr))
		}
	}
	return txts, cname, overflow
}

// shownRecords caps what a result carries, so a zone with huge TXT sets
// cannot bloat logs, JSON or memory in a sweep.
func shownRecords(txts []string) []string {
	n := min(len(txts), maxShownRecords)
	out := make([]string, 0, n)
	for _, t := range txts[:n] {
		out = append(out, capString(t, maxShownBytes))
	}
	return out
}

// capString cuts s to about limit bytes without splitting a UTF-8 sequence.
func capString(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
