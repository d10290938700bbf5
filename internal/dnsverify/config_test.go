package dnsverify

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNewDefaults(t *testing.T) {
	v, err := New(Config{Nameservers: []string{"127.0.0.1", "[::1]:5353"}, MaxUnreachable: -1})
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Nameservers:       []string{"127.0.0.1:53", "[::1]:5353"},
		AuthoritativePort: "53",
		QueryTimeout:      2 * time.Second,
		Retries:           1,
		CheckTimeout:      15 * time.Second,
		EDNSBufferSize:    1232,
		MaxTXTRecords:     100,
		MaxUnreachable:    -1,
	}
	if diff := cmp.Diff(want, v.Config()); diff != "" {
		t.Errorf("effective config (-want +got):\n%s", diff)
	}
	if v.Mode() != ModeDirect {
		t.Errorf("mode = %s, want direct", v.Mode())
	}
}

func TestNewAuthoritativeReadsSystemResolvers(t *testing.T) {
	v, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if v.Mode() != ModeAuthoritative || len(v.Config().Resolvers) == 0 {
		t.Errorf("mode %s with resolvers %v, want authoritative with at least one", v.Mode(), v.Config().Resolvers)
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"host name", Config{Resolvers: []string{"dns.google:53"}}, `resolver "dns.google:53": host must be an IP address`},
		{"no port", Config{Nameservers: []string{"10.0.0.1:"}}, "port must be a number"},
		{"garbage", Config{Nameservers: []string{"not an address"}}, "want ip:port"},
		{"port out of range", Config{AuthoritativePort: "70000"}, `authoritative port "70000"`},
		{"negative timeout", Config{QueryTimeout: -time.Second}, "query timeout -1s is negative"},
		{"negative budget", Config{CheckTimeout: -time.Second}, "check timeout -1s is negative"},
		{"negative record bound", Config{MaxTXTRecords: -1}, "max TXT records -1"},
		{"bad unreachable", Config{MaxUnreachable: -2}, "max unreachable -2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if err == nil {
				t.Fatal("New accepted the config")
			}
			assertContains(t, "error", err.Error(), tt.want)
		})
	}
	// Every problem is reported at once.
	_, err := New(Config{QueryTimeout: -1, MaxTXTRecords: -1})
	assertContains(t, "error", err.Error(), "query timeout", "max TXT records")
}

func TestMaxUnreachable(t *testing.T) {
	tests := []struct {
		configured, servers, want int
	}{
		{-1, 1, 0}, {-1, 2, 0}, {-1, 3, 1}, {-1, 5, 1}, {0, 3, 0}, {2, 3, 2},
	}
	for _, tt := range tests {
		v := &Verifier{cfg: Config{MaxUnreachable: tt.configured}}
		if got := v.maxUnreachable(tt.servers); got != tt.want {
			t.Errorf("MaxUnreachable %d with %d servers = %d, want %d", tt.configured, tt.servers, got, tt.want)
		}
	}
}
