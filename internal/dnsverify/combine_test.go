package dnsverify

import (
	"testing"
	"time"

	"github.com/miekg/dns"
)

func TestCombine(t *testing.T) {
	f := ServerResult{Server: "ns1", Verdict: Found}
	a := ServerResult{Server: "ns2", Verdict: Absent, Rcode: "NXDOMAIN"}
	u := ServerResult{Server: "ns3", Verdict: Indeterminate, Error: "timeout after 2s"}
	alias := ServerResult{Server: "ns4", Verdict: Absent, CNAME: "target.test"}
	tests := []struct {
		name    string
		servers []ServerResult
		want    Verdict
		reason  string
	}{
		{"no servers", nil, Indeterminate, "no nameserver to ask for example.com"},
		{"all found", []ServerResult{f, f}, Found, "found TXT"},
		{"absent beats found", []ServerResult{f, a}, Absent, "ns2 (NXDOMAIN: the name does not exist) answered without the record while ns1 already serves it"},
		{"absent beats unreachable", []ServerResult{u, a}, Absent, `publish TXT "` + want + `" at example.com`},
		{"alias explained", []ServerResult{alias, a}, Absent, "example.com is an alias (CNAME to target.test) according to ns4"},
		{"one unreachable of three", []ServerResult{f, f, u}, Found, "tolerated: ns3 (timeout after 2s)"},
		{"one unreachable of two", []ServerResult{f, u}, Indeterminate, "at most 0 of 2 nameservers may be unreachable"},
		{"only unreachable", []ServerResult{u}, Indeterminate, "no definite answer: ns3 (timeout after 2s)"},
	}
	v := &Verifier{cfg: Config{MaxUnreachable: -1}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason := v.combine("example.com", want, tt.servers)
			if got != tt.want {
				t.Errorf("verdict = %s, want %s (%s)", got, tt.want, reason)
			}
			assertContains(t, "reason", reason, tt.reason)
		})
	}
}

// TestJudgeTXT covers replies a well-behaved test server does not produce.
func TestJudgeTXT(t *testing.T) {
	q := func() *dns.Msg {
		m := new(dns.Msg)
		m.SetQuestion("example.com.", dns.TypeTXT)
		m.Response, m.Authoritative = true, true
		return m
	}
	referral := q()
	referral.Authoritative = false
	referral.Ns = []dns.RR{&dns.NS{Hdr: dns.RR_Header{Name: "example.com.", Rrtype: dns.TypeNS, Class: dns.ClassINET}, Ns: "ns.child."}}
	truncated := q()
	truncated.Truncated = true
	noQuestion := q()
	noQuestion.Question = nil
	otherType := q()
	otherType.Question[0].Qtype = dns.TypeA
	foreignOwner := q()
	foreignOwner.Answer = []dns.RR{&dns.TXT{Hdr: dns.RR_Header{Name: "other.example.", Rrtype: dns.TypeTXT, Class: dns.ClassINET}, Txt: []string{want}}}
	odd := q()
	odd.Rcode = 13

	v := newVerifier(t, Config{Nameservers: []string{"127.0.0.1:53"}})
	tests := []struct {
		name  string
		msg   *dns.Msg
		want  Verdict
		error string
	}{
		{"referral", referral, Indeterminate, reasonReferral},
		{"truncated over tcp", truncated, Indeterminate, "truncated even over TCP"},
		{"no question", noQuestion, Indeterminate, "different question (no question)"},
		{"other type", otherType, Indeterminate, "different question (example.com A)"},
		{"record owned by another name", foreignOwner, Absent, ""},
		{"unknown rcode", odd, Indeterminate, "RCODE13"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sr := ServerResult{Records: []string{}}
			v.judgeTXT(&sr, reply{msg: tt.msg, addr: "x", transport: "tcp", rtt: time.Millisecond}, "example.com.", want, true)
			if sr.Verdict != tt.want {
				t.Errorf("verdict = %s, want %s (%s)", sr.Verdict, tt.want, sr.Error)
			}
			assertContains(t, "error", sr.Error, tt.error)
		})
	}
}

func TestCache(t *testing.T) {
	now := time.Unix(1000, 0)
	c := newCache[string](4, func() time.Time { return now })
	c.put("short", "v", time.Second)
	c.put("long", "v", 5*time.Hour)
	c.put("zero", "v", 0)
	if _, ok := c.get("zero"); ok {
		t.Error("TTL 0 was cached")
	}
	now = now.Add(2 * time.Second)
	if _, ok := c.get("short"); ok {
		t.Error("expired entry returned")
	}
	now = now.Add(time.Hour)
	if _, ok := c.get("long"); ok {
		t.Error("entry outlived the one-hour cap")
	}
	for _, k := range []string{"a", "b", "c", "d", "e", "f", "g"} {
		c.put(k, k, time.Minute)
	}
	if n := len(c.m); n > 4 {
		t.Errorf("cache holds %d entries, bound is 4", n)
	}
	c.put("g", "again", time.Minute)
	if v, ok := c.get("g"); !ok || v != "again" {
		t.Errorf("get(g) = %q, %v after the latest put", v, ok)
	}
}
