package portal

import (
	"net/http"
	"testing"
)

// tokenCookie finds the application token among an application's own
// cookies the way r.Cookie would for a token, without parsing them all.
func TestTokenCookie(t *testing.T) {
	for _, tc := range []struct {
		lines []string
		want  string
	}{
		{nil, ""},
		{[]string{"CF_Authorization=a.b.c"}, "a.b.c"},
		{[]string{"grafana_session=x; CF_Authorization=a.b-_c ; theme=dark"}, "a.b-_c"},
		{[]string{"XCF_Authorization=evil; CF_Authorization_old=old"}, ""},
		{[]string{"CF_Authorization=; CF_Authorization=second"}, "second"}, // an empty one is skipped
		{[]string{`CF_Authorization="quoted"`}, ""},                        // no token is quoted
		{[]string{"CF_Authorization=a b", "CF_Authorization=ok"}, "ok"},    // invalid bytes: skipped
		{[]string{"a=1", "CF_Authorization=from.second.line"}, "from.second.line"},
		{[]string{"cf_authorization=case.matters"}, ""},
	} {
		r := &http.Request{Header: http.Header{"Cookie": tc.lines}}
		if got := tokenCookie(r, authCookie); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.lines, got, tc.want)
		}
	}
}

func BenchmarkTokenCookie(b *testing.B) {
	r := &http.Request{Header: http.Header{"Cookie": {"grafana_session=0123456789abcdef; theme=dark; CF_Authorization=eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"}}}
	b.ReportAllocs()
	for b.Loop() {
		if tokenCookie(r, authCookie) == "" {
			b.Fatal("not found")
		}
	}
}
