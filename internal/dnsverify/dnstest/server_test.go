package dnstest

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"
)

func start(t *testing.T, addr string) *Server {
	t.Helper()
	s, err := Start(addr)
	if err != nil {
		t.Fatalf("Start(%q): %v", addr, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func ask(t *testing.T, s *Server, network, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	c := &dns.Client{Net: network, Timeout: 2 * time.Second}
	r, _, err := c.Exchange(m, s.Addr())
	if err != nil {
		t.Fatalf("%s %s over %s: %v", name, dns.TypeToString[qtype], network, err)
	}
	return r
}

func TestAnswers(t *testing.T) {
	s := start(t, "127.0.0.1:0")
	s.AddZone("Example.COM.", "ns1.example.com")
	s.AddTXT("a.b.example.com", "hello", "world")
	s.SetA("ns1.example.com", "127.0.0.2", "::1", "not-an-ip")
	s.SetCNAME("alias.example.com", "a.b.example.com")

	tests := []struct {
		name    string
		qname   string
		qtype   uint16
		rcode   int
		aa      bool
		answers int
		soaInNs bool
	}{
		{"txt", "A.B.example.com.", dns.TypeTXT, dns.RcodeSuccess, true, 1, false},
		{"nodata", "a.b.example.com.", dns.TypeMX, dns.RcodeSuccess, true, 0, true},
		{"empty non-terminal", "b.example.com.", dns.TypeTXT, dns.RcodeSuccess, true, 0, true},
		{"nxdomain", "c.example.com.", dns.TypeTXT, dns.RcodeNameError, true, 0, true},
		{"a", "ns1.example.com.", dns.TypeA, dns.RcodeSuccess, true, 1, false},
		{"aaaa", "ns1.example.com.", dns.TypeAAAA, dns.RcodeSuccess, true, 1, false},
		{"cname chased in zone", "alias.example.com.", dns.TypeTXT, dns.RcodeSuccess, true, 2, false},
		{"soa", "example.com.", dns.TypeSOA, dns.RcodeSuccess, true, 1, false},
		{"outside every zone", "example.org.", dns.TypeTXT, dns.RcodeRefused, false, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ask(t, s, "udp", tt.qname, tt.qtype)
			got := []any{r.Rcode, r.Authoritative, len(r.Answer), len(r.Ns) == 1}
			want := []any{tt.rcode, tt.aa, tt.answers, tt.soaInNs}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("rcode, AA, answers, SOA in authority (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTXTRoundTripAndSplit(t *testing.T) {
	s := start(t, "127.0.0.1:0")
	s.AddZone("example.com")
	raw := "q\"uote \\back\tslash é " + strings.Repeat("x", 300)
	s.SetTXT("example.com", []string{raw})
	r := ask(t, s, "tcp", "example.com.", dns.TypeTXT)
	if len(r.Answer) != 1 {
		t.Fatalf("answers = %d, want 1", len(r.Answer))
	}
	txt := r.Answer[0].(*dns.TXT)
	if len(txt.Txt) != 2 || len(txt.Txt[0]) < 255 {
		t.Errorf("want the long value split into 2 strings, got %d: %q", len(txt.Txt), txt.Txt)
	}
	if !strings.Contains(txt.Txt[0], `\\back`) || !strings.Contains(txt.Txt[0], `\"uote`) {
		t.Errorf("miekg should present escapes, got %q", txt.Txt[0])
	}
}

func TestTruncationAndLog(t *testing.T) {
	s := start(t, "127.0.0.1:0")
	s.AddZone("example.com")
	for i := range 40 {
		s.AddTXT("example.com", strings.Repeat(string(rune('a'+i%26)), 40))
	}
	s.TruncateUDPAbove(512)
	if r := ask(t, s, "udp", "example.com.", dns.TypeTXT); !r.Truncated {
		t.Errorf("udp reply not truncated (%d answers)", len(r.Answer))
	}
	if r := ask(t, s, "tcp", "example.com.", dns.TypeTXT); r.Truncated || len(r.Answer) != 40 {
		t.Errorf("tcp reply: truncated=%v answers=%d, want all 40", r.Truncated, len(r.Answer))
	}
	want := []Query{
		{Name: "example.com.", Type: "TXT", Transport: "udp", RD: true},
		{Name: "example.com.", Type: "TXT", Transport: "tcp", RD: true},
	}
	if diff := cmp.Diff(want, s.Queries()); diff != "" {
		t.Errorf("query log (-want +got):\n%s", diff)
	}
	if s.QueryCount() != 2 {
		t.Errorf("QueryCount = %d, want 2", s.QueryCount())
	}
	s.ResetLog()
	if len(s.Queries()) != 0 || s.QueryCount() != 0 {
		t.Error("ResetLog left entries")
	}
}

func TestFaults(t *testing.T) {
	s := start(t, "127.0.0.1:0")
	s.AddZone("example.com")
	s.AddTXT("example.com", "v")
	s.SetRcode("servfail.example.com", dns.RcodeServerFailure)
	s.NoAA("noaa.example.com", true)
	s.WrongQuestion("wrong.example.com", true)
	s.Blackhole("hole.example.com", true)
	s.Delay("slow.example.com", 50*time.Millisecond)

	if r := ask(t, s, "udp", "servfail.example.com.", dns.TypeTXT); r.Rcode != dns.RcodeServerFailure {
		t.Errorf("rcode = %d, want SERVFAIL", r.Rcode)
	}
	if r := ask(t, s, "udp", "noaa.example.com.", dns.TypeTXT); r.Authoritative {
		t.Error("AA set despite NoAA")
	}
	if r := ask(t, s, "udp", "wrong.example.com.", dns.TypeTXT); r.Question[0].Name == "wrong.example.com." {
		t.Error("question not altered")
	}
	begin := time.Now()
	ask(t, s, "udp", "slow.example.com.", dns.TypeTXT)
	if d := time.Since(begin); d < 50*time.Millisecond {
		t.Errorf("delayed reply came after %s", d)
	}
	c := &dns.Client{Timeout: 200 * time.Millisecond}
	m := new(dns.Msg).SetQuestion("hole.example.com.", dns.TypeTXT)
	if _, _, err := c.Exchange(m, s.Addr()); err == nil {
		t.Error("blackholed name answered")
	}
	s.Blackhole("hole.example.com", false)
	s.Remove("example.com")
	if r := ask(t, s, "udp", "hole.example.com.", dns.TypeTXT); r.Rcode != dns.RcodeRefused {
		t.Errorf("after removing the zone apex: rcode = %d, want REFUSED", r.Rcode)
	}
}

func TestSamePortOtherLoopback(t *testing.T) {
	a := start(t, "127.0.0.2:0")
	_, port, _ := strings.Cut(a.Addr(), ":")
	b, err := Start("127.0.0.3:" + port)
	if err != nil {
		t.Fatalf("127.0.0.3 on the same port: %v (Linux binds all of 127/8)", err)
	}
	defer b.Close()
	if b.Addr() != "127.0.0.3:"+port {
		t.Errorf("Addr = %s", b.Addr())
	}
}

func TestCloseWakesDelayedHandlers(t *testing.T) {
	s, err := Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.AddZone("example.com")
	s.Delay("example.com", time.Minute)
	go func() {
		c := &dns.Client{Timeout: 300 * time.Millisecond}
		_, _, _ = c.Exchange(new(dns.Msg).SetQuestion("example.com.", dns.TypeTXT), s.Addr())
	}()
	time.Sleep(50 * time.Millisecond)
	begin := time.Now()
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if d := time.Since(begin); d > 3*time.Second {
		t.Errorf("Close took %s", d)
	}
}
