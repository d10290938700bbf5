package dnsverify

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestCheckAnswers covers how each kind of answer is classified, with one
// server asked directly.
func TestCheckAnswers(t *testing.T) {
	srv := startServer(t, "127.0.0.1:0")
	srv.AddZone("example.com")
	srv.SetA("nodata.example.com", "192.0.2.1")
	for _, n := range []string{"servfail", "notimp", "noaa", "wrong"} {
		srv.AddTXT(n+".example.com", want)
	}
	srv.SetRcode("servfail.example.com", dns.RcodeServerFailure)
	srv.SetRcode("notimp.example.com", dns.RcodeNotImplemented)
	srv.NoAA("noaa.example.com", true)
	srv.WrongQuestion("wrong.example.com", true)
	v := directVerifier(t, srv)

	tests := []struct {
		name   string
		domain string
		want   Verdict
		rcode  string
		error  string // substring of the server's Error
		reason string // substring of Result.Reason
	}{
		{"NXDOMAIN", "missing.example.com", Absent, "NXDOMAIN", "", `publish TXT "` + want + `" at missing.example.com`},
		{"NODATA", "nodata.example.com", Absent, "NOERROR", "", "no TXT records"},
		{"SERVFAIL", "servfail.example.com", Indeterminate, "SERVFAIL", "SERVFAIL", srv.Addr()},
		{"NOTIMP", "notimp.example.com", Indeterminate, "NOTIMP", "NOTIMP", "no definite answer"},
		{"REFUSED names the server", "example.org", Indeterminate, "REFUSED", "lame delegation", srv.Addr() + " (REFUSED"},
		{"wrong question", "wrong.example.com", Indeterminate, "NOERROR", "different question", "different question"},
		{"no AA is fine in direct mode", "noaa.example.com", Found, "NOERROR", "", "found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := check(t, v, tt.domain, want)
			assertVerdict(t, r, tt.want)
			if len(r.Servers) != 1 {
				t.Fatalf("servers = %+v, want 1", r.Servers)
			}
			s := r.Servers[0]
			if s.Rcode != tt.rcode {
				t.Errorf("rcode = %q, want %q", s.Rcode, tt.rcode)
			}
			assertContains(t, "server error", s.Error, tt.error)
			assertContains(t, "reason", r.Reason, tt.reason)
		})
	}
}

func TestCheckDirectQueriesAskForRecursion(t *testing.T) {
	srv := startServer(t, "127.0.0.1:0")
	srv.AddZone("example.com")
	srv.AddTXT("example.com", want)
	r := check(t, directVerifier(t, srv), "Example.COM.", want)
	assertVerdict(t, r, Found)
	if r.Name != "example.com" || r.Mode != ModeDirect {
		t.Errorf("name, mode = %q, %q", r.Name, r.Mode)
	}
	for _, q := range srv.Queries() {
		if !q.RD || q.Type != "TXT" || q.Name != "example.com." {
			t.Errorf("unexpected query %+v", q)
		}
	}
}

func TestCheckTimeouts(t *testing.T) {
	srv := startServer(t, "127.0.0.1:0")
	srv.AddZone("example.com")
	srv.AddTXT("example.com", want)
	srv.Blackhole("example.com", true)

	tests := []struct {
		name    string
		query   time.Duration
		budget  time.Duration
		cancel  time.Duration // cancel the caller's context after this; 0 = never
		max     time.Duration
		message string
	}{
		{"each try times out", 100 * time.Millisecond, 5 * time.Second, 0, 2 * time.Second, "timeout after 100ms (udp, 2 tries)"},
		{"CheckTimeout bounds the check", 5 * time.Second, 300 * time.Millisecond, 0, 2 * time.Second, "no reply before the check deadline"},
		{"caller cancels", 5 * time.Second, 10 * time.Second, 150 * time.Millisecond, 2 * time.Second, "check cancelled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig()
			cfg.Nameservers = []string{srv.Addr()}
			cfg.QueryTimeout, cfg.CheckTimeout = tt.query, tt.budget
			v := newVerifier(t, cfg)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancel > 0 {
				time.AfterFunc(tt.cancel, cancel)
			}
			begin := time.Now()
			r := v.Check(ctx, "example.com", want)
			if d := time.Since(begin); d > tt.max {
				t.Errorf("check took %s, want under %s", d, tt.max)
			}
			assertVerdict(t, r, Indeterminate)
			assertContains(t, "server error", r.Servers[0].Error, tt.message)
		})
	}
}

func TestCheckSlowServerStillAnswers(t *testing.T) {
	srv := startServer(t, "127.0.0.1:0")
	srv.AddZone("example.com")
	srv.AddTXT("example.com", want)
	srv.Delay("example.com", 100*time.Millisecond)
	r := check(t, directVerifier(t, srv), "example.com", want)
	assertVerdict(t, r, Found)
}

// TestCheckTruncated: 40 filler records push the RRset past 512 bytes; the
// UDP reply is truncated and only the TCP retry sees our record.
func TestCheckTruncated(t *testing.T) {
	srv := startServer(t, "127.0.0.1:0")
	srv.AddZone("example.com")
	for i := range 40 {
		srv.AddTXT("example.com", fmt.Sprintf("filler-%02d-%s", i, strings.Repeat("z", 40)))
	}
	srv.AddTXT("example.com", "cloudflare_dashboard_sso=", token)
	srv.TruncateUDPAbove(512)

	r := check(t, directVerifier(t, srv), "example.com", want)
	assertVerdict(t, r, Found)
	if r.Servers[0].Transport != "tcp" {
		t.Errorf("transport = %q, want tcp", r.Servers[0].Transport)
	}
	transports := map[string]int{}
	for _, q := range srv.Queries() {
		transports[q.Transport]++
	}
	if transports["udp"] != 1 || transports["tcp"] != 1 {
		t.Errorf("queries by transport = %v, want one udp then one tcp", transports)
	}
}

func TestCheckTCPOnly(t *testing.T) {
	srv := startServer(t, "127.0.0.1:0")
	srv.AddZone("example.com")
	srv.AddTXT("example.com", want)
	cfg := testConfig()
	cfg.Nameservers, cfg.TCPOnly = []string{srv.Addr()}, true
	r := check(t, newVerifier(t, cfg), "example.com", want)
	assertVerdict(t, r, Found)
	for _, q := range srv.Queries() {
		if q.Transport != "tcp" {
			t.Errorf("query over %s with TCPOnly", q.Transport)
		}
	}
}

// TestCheckDirectTwoServers: a server that has not caught up makes the check
// absent (not outvoted), and found once it has.
func TestCheckDirectTwoServers(t *testing.T) {
	a := startServer(t, "127.0.0.1:0")
	b := startServer(t, "127.0.0.1:0")
	a.AddZone("example.com")
	b.AddZone("example.com")
	a.AddTXT("example.com", want)
	b.AddTXT("example.com", "v=spf1 -all")
	v := directVerifier(t, a, b)

	r := check(t, v, "example.com", want)
	assertVerdict(t, r, Absent)
	assertContains(t, "reason", r.Reason, b.Addr()+" (1 other TXT record)", "while "+a.Addr()+" already serves it")

	b.AddTXT("example.com", want)
	r = check(t, v, "example.com", want)
	assertVerdict(t, r, Found)
	assertContains(t, "reason", r.Reason, a.Addr(), b.Addr())
}

func TestCheckBadInput(t *testing.T) {
	srv := startServer(t, "127.0.0.1:0")
	v := directVerifier(t, srv)
	for _, tt := range []struct{ domain, expected, reason string }{
		{"", want, "invalid domain"},
		{"a..b", want, "invalid domain"},
		{"example.com", " ", "no expected record value"},
	} {
		r := check(t, v, tt.domain, tt.expected)
		assertVerdict(t, r, Indeterminate)
		assertContains(t, "reason", r.Reason, tt.reason)
		if r.Servers == nil {
			t.Error("Servers is nil, want an empty list")
		}
	}
	if n := srv.QueryCount(); n != 0 {
		t.Errorf("bad input sent %d queries", n)
	}
}
