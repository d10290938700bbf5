package dnsverify

import (
	"fmt"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"
	"github.com/ssogate/ssogate/internal/dnsverify/dnstest"
)

// authEnv is a small DNS world on loopback: a "recursive" resolver on
// 127.0.0.1 that knows the zone's SOA, NS and NS addresses, and authoritative
// servers ns1, ns2, … on 127.0.0.2, 127.0.0.3, … sharing one port, which the
// verifier reaches through AuthoritativePort.
type authEnv struct {
	resolver *dnstest.Server
	ns       []*dnstest.Server
	nsNames  []string
	port     string
}

func newAuthEnv(t *testing.T, count int) *authEnv {
	t.Helper()
	e := &authEnv{resolver: startServer(t, "127.0.0.1:0")}
	e.ns, e.port = startSamePort(t, count)
	for i := range count {
		e.nsNames = append(e.nsNames, fmt.Sprintf("ns%d.example.com", i+1))
	}
	e.resolver.AddZone("example.com", e.nsNames...)
	for i, s := range e.ns {
		e.resolver.SetA(e.nsNames[i], e.ip(i))
		s.AddZone("example.com", e.nsNames...)
	}
	return e
}

func (e *authEnv) ip(i int) string { return fmt.Sprintf("127.0.0.%d", i+2) }

// startSamePort binds count servers on 127.0.0.2, 127.0.0.3, … with one
// port, retrying when another process holds the port on a later address.
func startSamePort(t *testing.T, count int) ([]*dnstest.Server, string) {
	t.Helper()
	for range 10 {
		first, err := dnstest.Start("127.0.0.2:0")
		if err != nil {
			t.Fatalf("cannot bind 127.0.0.2 (Linux binds all of 127/8): %v", err)
		}
		_, port, _ := net.SplitHostPort(first.Addr())
		servers := []*dnstest.Server{first}
		for i := 1; i < count; i++ {
			s, err := dnstest.Start(fmt.Sprintf("127.0.0.%d:%s", i+2, port))
			if err != nil {
				break
			}
			servers = append(servers, s)
		}
		if len(servers) == count {
			for _, s := range servers {
				t.Cleanup(func() { _ = s.Close() })
			}
			return servers, port
		}
		for _, s := range servers {
			_ = s.Close()
		}
	}
	t.Fatalf("no port free on 127.0.0.2-%d for both udp and tcp", count+1)
	return nil, ""
}

func (e *authEnv) verifier(t *testing.T, adjust func(*Config)) *Verifier {
	t.Helper()
	cfg := testConfig()
	cfg.Resolvers, cfg.AuthoritativePort = []string{e.resolver.Addr()}, e.port
	if adjust != nil {
		adjust(&cfg)
	}
	return newVerifier(t, cfg)
}

// publish adds a TXT record on every authoritative server.
func (e *authEnv) publish(name string, chunks ...string) {
	for _, s := range e.ns {
		s.AddTXT(name, chunks...)
	}
}

func resolverLog(s *dnstest.Server) []string {
	var out []string
	for _, q := range s.Queries() {
		out = append(out, q.Type+" "+q.Name)
	}
	return out
}

// TestAuthoritativeWalkAndQueries: the SOA walk climbs through NXDOMAIN (the
// resolver stands in for one holding a stale negative answer), and every NS
// is asked directly, without recursion.
func TestAuthoritativeWalkAndQueries(t *testing.T) {
	e := newAuthEnv(t, 3)
	e.publish("a.b.example.com", want)
	v := e.verifier(t, nil)

	r := check(t, v, "a.b.example.com", want)
	assertVerdict(t, r, Found)
	if r.Zone != "example.com" || r.Mode != ModeAuthoritative {
		t.Errorf("zone, mode = %q, %q", r.Zone, r.Mode)
	}
	for i, s := range r.Servers {
		wantAddr := net.JoinHostPort(e.ip(i), e.port)
		if s.Server != e.nsNames[i] || s.Address != wantAddr || !s.Authoritative || s.Verdict != Found {
			t.Errorf("server %d = %+v, want %s at %s, authoritative, found", i, s, e.nsNames[i], wantAddr)
		}
	}
	walk := []string{"SOA a.b.example.com.", "SOA b.example.com.", "SOA example.com.", "NS example.com."}
	got := resolverLog(e.resolver)
	if diff := cmp.Diff(walk, got[:min(len(got), len(walk))]); diff != "" {
		t.Errorf("resolver queries (-want +got):\n%s", diff)
	}
	for i, s := range e.ns {
		wantQ := []dnstest.Query{{Name: "a.b.example.com.", Type: "TXT", Transport: "udp", RD: false}}
		if diff := cmp.Diff(wantQ, s.Queries()); diff != "" {
			t.Errorf("%s queries (-want +got):\n%s", e.nsNames[i], diff)
		}
	}

	// Zone, NS set and addresses are cached; the TXT answer never is.
	before := e.resolver.QueryCount()
	assertVerdict(t, check(t, v, "a.b.example.com", want), Found)
	if n := e.resolver.QueryCount(); n != before {
		t.Errorf("second check sent %d resolver queries, want 0 (cached)", n-before)
	}
	if n := e.ns[0].QueryCount(); n != 2 {
		t.Errorf("ns1 got %d TXT queries over two checks, want 2", n)
	}
}

func TestAuthoritativeServers(t *testing.T) {
	tests := []struct {
		name    string
		servers int
		setup   func(e *authEnv)
		want    Verdict
		per     []Verdict // per server, in NS name order
		reason  []string
	}{
		{"three NS, one blackholed", 3, func(e *authEnv) { e.ns[1].Blackhole("example.com", true) },
			Found, []Verdict{Found, Indeterminate, Found}, []string{"tolerated: ns2.example.com (timeout after"}},
		{"two NS, one blackholed", 2, func(e *authEnv) { e.ns[1].Blackhole("example.com", true) },
			Indeterminate, []Verdict{Found, Indeterminate}, []string{"found on ns1.example.com, but ns2.example.com (timeout"}},
		{"REFUSED names the server", 2, func(e *authEnv) { e.ns[1].SetRcode("example.com", dns.RcodeRefused) },
			Indeterminate, []Verdict{Found, Indeterminate}, []string{"ns2.example.com (REFUSED (lame delegation or split-horizon DNS?))"}},
		{"answer without AA", 2, func(e *authEnv) { e.ns[0].NoAA("example.com", true) },
			Indeterminate, []Verdict{Indeterminate, Found}, []string{"ns1.example.com (" + reasonNoAA}},
		{"wrong question", 2, func(e *authEnv) { e.ns[0].WrongQuestion("example.com", true) },
			Indeterminate, []Verdict{Indeterminate, Found}, []string{"different question"}},
		{"NS name without address, three NS", 3, func(e *authEnv) { e.resolver.SetA("ns3.example.com") },
			Found, []Verdict{Found, Found, Indeterminate}, []string{"ns3.example.com (no A/AAAA address for ns3.example.com)"}},
		{"NS name without address, two NS", 2, func(e *authEnv) { e.resolver.SetA("ns2.example.com") },
			Indeterminate, []Verdict{Found, Indeterminate}, []string{"no A/AAAA address for ns2.example.com"}},
		{"one NS lags", 2, func(e *authEnv) { e.ns[1].Remove("example.com"); e.ns[1].AddZone("example.com") },
			Absent, []Verdict{Found, Absent}, []string{"ns2.example.com (no TXT records) answered without the record while ns1.example.com already serves it"}},
		{"SERVFAIL from an NS", 2, func(e *authEnv) { e.ns[0].SetRcode("example.com", dns.RcodeServerFailure) },
			Indeterminate, []Verdict{Indeterminate, Found}, []string{"SERVFAIL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newAuthEnv(t, tt.servers)
			e.publish("example.com", want)
			tt.setup(e)
			r := check(t, e.verifier(t, nil), "example.com", want)
			assertVerdict(t, r, tt.want)
			var per []Verdict
			for _, s := range r.Servers {
				per = append(per, s.Verdict)
			}
			if diff := cmp.Diff(tt.per, per); diff != "" {
				t.Errorf("per-server verdicts (-want +got):\n%s", diff)
			}
			assertContains(t, "reason", r.Reason, tt.reason...)
		})
	}
}

func TestAuthoritativeAnswers(t *testing.T) {
	e := newAuthEnv(t, 2)
	e.publish("example.com", "v=spf1 -all")
	e.resolver.SetA("nodata.example.com", "192.0.2.1")
	for _, s := range e.ns {
		s.SetA("nodata.example.com", "192.0.2.1")
	}
	v := e.verifier(t, nil)
	for _, tt := range []struct {
		domain, rcode, reason string
	}{
		{"example.com", "NOERROR", `(1 other TXT record), ns2.example.com (1 other TXT record) answered without the record; publish TXT "` + want + `" at example.com`},
		{"missing.example.com", "NXDOMAIN", "ns1.example.com (NXDOMAIN: the name does not exist)"},
		{"nodata.example.com", "NOERROR", "ns1.example.com (no TXT records)"},
	} {
		t.Run(tt.domain, func(t *testing.T) {
			r := check(t, v, tt.domain, want)
			assertVerdict(t, r, Absent)
			if got := r.Servers[0].Rcode; got != tt.rcode {
				t.Errorf("rcode = %s, want %s", got, tt.rcode)
			}
			assertContains(t, "reason", r.Reason, tt.reason)
		})
	}
}

// TestAuthoritativeWalkStops: an error in the SOA walk must not make the
// verifier settle on a parent zone.
func TestAuthoritativeWalkStops(t *testing.T) {
	for _, tt := range []struct {
		name   string
		fault  func(s *dnstest.Server)
		reason string
	}{
		{"SERVFAIL", func(s *dnstest.Server) { s.SetRcode("b.example.com", dns.RcodeServerFailure) }, "SERVFAIL"},
		{"REFUSED", func(s *dnstest.Server) { s.SetRcode("b.example.com", dns.RcodeRefused) }, "REFUSED"},
		{"timeout", func(s *dnstest.Server) { s.Blackhole("b.example.com", true) }, "timeout after"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newAuthEnv(t, 2)
			e.publish("a.b.example.com", want)
			tt.fault(e.resolver)
			r := check(t, e.verifier(t, nil), "a.b.example.com", want)
			assertVerdict(t, r, Indeterminate)
			assertContains(t, "reason", r.Reason, "SOA lookup for b.example.com", tt.reason, "not guessing a parent zone")
			if slices.Contains(resolverLog(e.resolver), "SOA example.com.") {
				t.Errorf("walk went on to the parent zone: %v", resolverLog(e.resolver))
			}
			for i, s := range e.ns {
				if n := s.QueryCount(); n != 0 {
					t.Errorf("%s got %d queries", e.nsNames[i], n)
				}
			}
		})
	}
}

// TestAuthoritativeApexCNAME: an alias cannot carry the record, whatever
// its target publishes.
func TestAuthoritativeApexCNAME(t *testing.T) {
	e := newAuthEnv(t, 2)
	e.resolver.SetCNAME("shop.example.com", "shops.saas.test")
	for _, s := range e.ns {
		s.SetCNAME("shop.example.com", "shops.saas.test")
	}
	r := check(t, e.verifier(t, nil), "shop.example.com", want)
	assertVerdict(t, r, Absent)
	if r.Zone != "example.com" {
		t.Errorf("zone = %q, want the walk to climb past the CNAME to example.com", r.Zone)
	}
	for _, s := range r.Servers {
		if s.CNAME != "shops.saas.test" {
			t.Errorf("%s: cname = %q", s.Server, s.CNAME)
		}
	}
	assertContains(t, "reason", r.Reason, "shop.example.com is an alias (CNAME to shops.saas.test)", "cannot carry a TXT record")
}

func TestAuthoritativeBudget(t *testing.T) {
	e := newAuthEnv(t, 3)
	for _, s := range e.ns {
		s.Blackhole("example.com", true)
	}
	v := e.verifier(t, func(c *Config) { c.QueryTimeout, c.CheckTimeout = 2*time.Second, 400*time.Millisecond })
	begin := time.Now()
	r := check(t, v, "example.com", want)
	if d := time.Since(begin); d > 2*time.Second {
		t.Errorf("check took %s with a 400ms budget", d)
	}
	assertVerdict(t, r, Indeterminate)
	assertContains(t, "reason", r.Reason, "no reply before the check deadline")
}

func TestAuthoritativeTCPOnlyAndTruncation(t *testing.T) {
	e := newAuthEnv(t, 2)
	for i := range 40 {
		e.publish("example.com", fmt.Sprintf("filler-%02d-%040d", i, i))
	}
	e.publish("example.com", want)
	for _, s := range e.ns {
		s.TruncateUDPAbove(512)
	}
	for _, tcpOnly := range []bool{false, true} {
		t.Run(fmt.Sprintf("TCPOnly=%v", tcpOnly), func(t *testing.T) {
			r := check(t, e.verifier(t, func(c *Config) { c.TCPOnly = tcpOnly }), "example.com", want)
			assertVerdict(t, r, Found)
			for _, s := range r.Servers {
				if s.Transport != "tcp" {
					t.Errorf("%s answered over %s", s.Server, s.Transport)
				}
			}
		})
	}
}
