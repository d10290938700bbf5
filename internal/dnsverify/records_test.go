package dnsverify

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCheckRecords runs the matching rules end to end: records go over the
// wire from a real server, through miekg's escaping, into Match.
func TestCheckRecords(t *testing.T) {
	srv := startServer(t, "127.0.0.1:0")
	srv.AddZone("example.com")
	v := directVerifier(t, srv)
	odd := []string{`quo"te`, `back\slash`, "tab\there", "non-ascii é ü 日本", "\x00\x01\xff", `\065`}
	one := func(s ...string) [][]string { return [][]string{s} }
	each := func(ss ...string) [][]string {
		out := make([][]string, 0, len(ss))
		for _, s := range ss {
			out = append(out, []string{s})
		}
		return out
	}

	tests := []struct {
		name    string
		records [][]string
		want    Verdict
	}{
		{"single exact record", one(want), Found},
		{"among SPF, Google, Microsoft and ours", each("v=spf1 include:_spf.google.com ~all",
			"google-site-verification=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "MS=ms12345678", want), Found},
		{"split into several strings", one("cloudflare_dashboard_sso=", token[:16], token[16:]), Found},
		{"split in the middle of the key", one("cloudflare_dash", "board_sso="+token), Found},
		{"superstring before", one("x" + want), Absent},
		{"superstring after", one(want + "x"), Absent},
		{"bare token", one(token), Absent},
		{"substring", one(want[:len(want)-1]), Absent},
		{"space after =", one("cloudflare_dashboard_sso= " + token), Absent},
		{"space inside the token", one("cloudflare_dashboard_sso=" + token[:10] + " " + token[10:]), Absent},
		{"strings joined with a space would match", one("cloudflare_dashboard_sso=", " "+token), Absent},
		{"another tenant's token", one("cloudflare_dashboard_sso=ffffffffffffffffffffffffffffffff"), Absent},
		{"another service's key", one("google-site-verification=" + token), Absent},
		{"leading and trailing spaces and tab", one(" \t" + want + "  \t"), Found},
		{"one pair of quotes", one(`"` + want + `"`), Found},
		{"quotes and spaces outside them", one(`  "` + want + `" `), Found},
		{"two pairs of quotes", one(`""` + want + `""`), Absent},
		{"space inside the quotes", one(`" ` + want + `"`), Absent},
		{"one quote only", one(`"` + want), Absent},
		{"upper-case token", one("cloudflare_dashboard_sso=" + strings.ToUpper(token)), Found},
		{"mixed-case key", one("Cloudflare_Dashboard_SSO=" + token), Found},
		{"empty record", one(""), Absent},
		{"odd bytes only", each(odd...), Absent},
		{"odd bytes and ours", append(each(odd...), []string{want}), Found},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			name := fmt.Sprintf("case%d.example.com", i)
			srv.SetTXT(name, tt.records...)
			r := check(t, v, name, want)
			assertVerdict(t, r, tt.want)
			if len(r.Servers) != 1 || len(r.Servers[0].Records) != len(tt.records) {
				t.Fatalf("want one server showing %d records, got %+v", len(tt.records), r.Servers)
			}
		})
	}
}

// TestCheckRecordsRoundTrip: what a person sees in Records is the bytes that
// were published, not miekg's escaped presentation form.
func TestCheckRecordsRoundTrip(t *testing.T) {
	srv := startServer(t, "127.0.0.1:0")
	srv.AddZone("example.com")
	published := []string{`quo"te`, `back\slash`, "tab\there", "non-ascii é", "\x00\xff"}
	for _, p := range published {
		srv.AddTXT("example.com", p)
	}
	r := check(t, directVerifier(t, srv), "example.com", want)
	assertVerdict(t, r, Absent)
	if diff := cmp.Diff(published, r.Servers[0].Records); diff != "" {
		t.Errorf("records (-published +shown):\n%s", diff)
	}
}

// TestCheckLongValue: a value over 255 bytes must be split on the wire and
// joined with no separator by the verifier.
func TestCheckLongValue(t *testing.T) {
	srv := startServer(t, "127.0.0.1:0")
	srv.AddZone("example.com")
	long := "cloudflare_dashboard_sso=" + strings.Repeat("0123456789abcdef", 20) // 345 bytes
	srv.SetTXT("auto.example.com", []string{long})                               // split at 255 by dnstest
	srv.SetTXT("manual.example.com", []string{long[:100], long[100:300], long[300:]})
	v := directVerifier(t, srv)
	for _, name := range []string{"auto.example.com", "manual.example.com"} {
		t.Run(name, func(t *testing.T) {
			r := check(t, v, name, long)
			assertVerdict(t, r, Found)
			if got := r.Servers[0].Records[0]; len(got) > maxShownBytes+len("…") {
				t.Errorf("shown record is %d bytes, want it capped near %d", len(got), maxShownBytes)
			}
		})
	}
}

func TestCheckMaxTXTRecords(t *testing.T) {
	srv := startServer(t, "127.0.0.1:0")
	srv.AddZone("example.com")
	var records [][]string
	for i := range 150 {
		records = append(records, []string{fmt.Sprintf("filler-%03d", i)})
	}
	srv.SetTXT("last.example.com", append(records, []string{want})...)
	srv.SetTXT("first.example.com", append([][]string{{want}}, records...)...)
	v := directVerifier(t, srv)

	r := check(t, v, "first.example.com", want)
	assertVerdict(t, r, Found)
	if n := len(r.Servers[0].Records); n != maxShownRecords {
		t.Errorf("shown records = %d, want the cap %d", n, maxShownRecords)
	}
	// Saying "absent" after reading only part of the RRset could revoke a
	// domain that does publish the record.
	r = check(t, v, "last.example.com", want)
	assertVerdict(t, r, Indeterminate)
	assertContains(t, "error", r.Servers[0].Error, "more than 100 TXT records")
}
