package cli_test

import (
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"
)

var devDNSAddrRE = regexp.MustCompile(`DNS server on (127\.0\.0\.1:\d+) \(UDP and TCP\)`)

// queryTXT asks server for the TXT records of name over network (udp, tcp).
func queryTXT(t *testing.T, network, server, name string) (int, []string) {
	t.Helper()
	c := &dns.Client{Net: network, Timeout: 2 * time.Second}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), dns.TypeTXT)
	reply, _, err := c.Exchange(m, server)
	if err != nil {
		t.Fatalf("TXT %s over %s from %s: %v", name, network, server, err)
	}
	var txt []string
	for _, rr := range reply.Answer {
		if r, ok := rr.(*dns.TXT); ok {
			txt = append(txt, strings.Join(r.Txt, ""))
		}
	}
	return reply.Rcode, txt
}

func TestDevDNSServesTXT(t *testing.T) {
	t.Parallel()
	b := startCommand(t, nil, "dev-dns", "--listen", "127.0.0.1:0",
		"--txt", "acmecorp.company=cloudflare_dashboard_sso=abc",
		"--txt", "example-two.company=cloudflare_dashboard_sso=def")
	addr := b.waitFor(t, devDNSAddrRE)
	contains(t, "dev-dns stdout", b.stdout.String(), "serving TXT acmecorp.company",
		"--dns-nameservers "+addr)

	tests := []struct {
		network, name string
		rcode         int
		want          []string
	}{
		{"udp", "acmecorp.company", dns.RcodeSuccess, []string{"cloudflare_dashboard_sso=abc"}},
		{"tcp", "acmecorp.company", dns.RcodeSuccess, []string{"cloudflare_dashboard_sso=abc"}},
		{"udp", "ACMECORP.company", dns.RcodeSuccess, []string{"cloudflare_dashboard_sso=abc"}},
		{"udp", "example-two.company", dns.RcodeSuccess, []string{"cloudflare_dashboard_sso=def"}},
		{"udp", "other.company", dns.RcodeRefused, nil},
	}
	for _, tt := range tests {
		t.Run(tt.network+" "+tt.name, func(t *testing.T) {
			rcode, got := queryTXT(t, tt.network, addr, tt.name)
			if rcode != tt.rcode {
				t.Errorf("rcode = %s, want %s", dns.RcodeToString[rcode], dns.RcodeToString[tt.rcode])
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("TXT %s (-want +got):\n%s", tt.name, diff)
			}
		})
	}

	if code := b.stop(t); code != 0 {
		t.Errorf("dev-dns exited %d after cancel, want 0", code)
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Errorf("dev-dns still listens on %s after it stopped", addr)
	}
}

func TestDevDNSUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		txt  string
	}{
		{"no equals sign", "acmecorp.company"},
		{"no domain", "=cloudflare_dashboard_sso=abc"},
		{"no value", "acmecorp.company="},
		{"empty", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := must(t, 2, nil, "dev-dns", "--listen", "127.0.0.1:0", "--txt", tt.txt)
			contains(t, "dev-dns stderr", r.stderr, "DOMAIN=VALUE")
		})
	}
	// An unknown flag is a usage error too (README: exit 2), as for the
	// other commands.
	t.Run("unknown flag", func(t *testing.T) {
		r := run(t, nil, "dev-dns", "--listen", "127.0.0.1:0", "--zone", "x")
		if r.code != 2 || !strings.Contains(r.stderr, "zone") {
			t.Errorf("dev-dns --zone: exit %d, want 2 naming the flag\nstderr:\n%s", r.code, r.stderr)
		}
	})
}

// TestDevDNSUsageErrorBeforeListening: a malformed --txt is a usage error
// even when the address is taken, e.g. by a dev-dns already running.
func TestDevDNSUsageErrorBeforeListening(t *testing.T) {
	t.Parallel()
	busy, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	r := run(t, nil, "dev-dns", "--listen", busy.LocalAddr().String(), "--txt", "acmecorp.company")
	if r.code != 2 || !strings.Contains(r.stderr, "DOMAIN=VALUE") {
		t.Errorf("dev-dns with a malformed --txt on a busy address: exit %d, want 2 naming DOMAIN=VALUE\nstderr:\n%s", r.code, r.stderr)
	}
}

func TestDevDNSBusyAddress(t *testing.T) {
	t.Parallel()
	busy, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	r := run(t, nil, "dev-dns", "--listen", busy.LocalAddr().String(), "--txt", "acmecorp.company=x")
	if r.code != 1 || !strings.Contains(r.stderr, busy.LocalAddr().String()) {
		t.Errorf("dev-dns on a busy address: exit %d, want 1 naming the address\nstderr:\n%s", r.code, r.stderr)
	}
}
