package api_test

import (
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/ssogate/ssogate/internal/api"
)

func TestClientIP(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	tests := []struct {
		name    string
		remote  string
		xff     []string
		trusted []netip.Prefix
		want    string
	}{
		{"no proxies, no header", "192.0.2.1:5000", nil, nil, "192.0.2.1"},
		{"no proxies ignores X-Forwarded-For", "192.0.2.1:5000", []string{"203.0.113.9"}, nil, "192.0.2.1"},
		{"untrusted peer ignores X-Forwarded-For", "192.0.2.1:5000", []string{"203.0.113.9"}, proxies, "192.0.2.1"},
		{"trusted peer, one hop", "10.0.0.1:5000", []string{"203.0.113.9"}, proxies, "203.0.113.9"},
		{"trusted peer, right-most untrusted hop", "10.0.0.1:5000", []string{"198.51.100.7, 203.0.113.9, 10.0.0.2"}, proxies, "203.0.113.9"},
		{"spoofed left-most entry ignored", "10.0.0.1:5000", []string{"127.0.0.1", "203.0.113.9"}, proxies, "203.0.113.9"},
		{"several header lines joined", "10.0.0.1:5000", []string{"198.51.100.7", "203.0.113.9, 10.1.1.1"}, proxies, "203.0.113.9"},
		{"all hops trusted: the peer", "10.0.0.1:5000", []string{"10.0.0.3, 10.0.0.2"}, proxies, "10.0.0.1"},
		{"trusted peer, no header", "10.0.0.1:5000", nil, proxies, "10.0.0.1"},
		{"trusted peer, empty header", "10.0.0.1:5000", []string{""}, proxies, "10.0.0.1"},
		{"garbage hop: the peer", "10.0.0.1:5000", []string{"203.0.113.9, not-an-ip"}, proxies, "10.0.0.1"},
		{"garbage behind a good hop is never reached", "10.0.0.1:5000", []string{"not-an-ip, 203.0.113.9"}, proxies, "203.0.113.9"},
		{"hop with port is garbage", "10.0.0.1:5000", []string{"203.0.113.9:443"}, proxies, "10.0.0.1"},
		{"v6 peer and hop", "[fd00::1]:5000", []string{"2001:db8::9"}, proxies, "2001:db8::9"},
		{"v4-mapped peer is unmapped", "[::ffff:10.0.0.1]:5000", []string{"203.0.113.9"}, proxies, "203.0.113.9"},
		{"v4-mapped hop is unmapped", "10.0.0.1:5000", []string{"::ffff:203.0.113.9"}, proxies, "203.0.113.9"},
		{"v4-mapped trusted hop skipped", "10.0.0.1:5000", []string{"203.0.113.9, ::ffff:10.0.0.2"}, proxies, "203.0.113.9"},
		{"unparsable remote address", "somewhere", []string{"203.0.113.9"}, proxies, "invalid IP"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := api.ClientIP(r, tc.trusted).String(); got != tc.want {
				t.Errorf("ClientIP(%s, %q) = %s, want %s", tc.remote, tc.xff, got, tc.want)
			}
		})
	}
}
