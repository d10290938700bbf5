package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// TestParseRule: each rule of the CLI's syntax becomes the rule object
// Cloudflare documents, and showRules writes it back the same way.
func TestParseRule(t *testing.T) {
	tests := []struct{ in, json string }{
		{"everyone", `{"everyone":{}}`},
		{"any_valid_service_token", `{"any_valid_service_token":{}}`},
		{"email=kim@acmecorp.company", `{"email":{"email":"kim@acmecorp.company"}}`},
		{"email_domain=acmecorp.company", `{"email_domain":{"domain":"acmecorp.company"}}`},
		{"group=engineering", `{"group":{"id":"engineering"}}`},
		{"ip=192.0.2.0/24", `{"ip":{"ip":"192.0.2.0/24"}}`},
		{"ip=2001:db8::1", `{"ip":{"ip":"2001:db8::1"}}`},
		{"login_method=0b7c1f2e-4d5a-4c3b-9e8f-0123456789ab", `{"login_method":{"id":"0b7c1f2e-4d5a-4c3b-9e8f-0123456789ab"}}`},
		{"service_token=0b7c1f2e-4d5a-4c3b-9e8f-0123456789ab", `{"service_token":{"token_id":"0b7c1f2e-4d5a-4c3b-9e8f-0123456789ab"}}`},
	}
	var all []string
	for _, tt := range tests {
		r, err := parseRule(tt.in)
		if err != nil {
			t.Errorf("parseRule(%q): %v", tt.in, err)
			continue
		}
		b, err := json.Marshal(r)
		if err != nil || string(b) != tt.json {
			t.Errorf("parseRule(%q) = %s (%v), want %s", tt.in, b, err, tt.json)
		}
		all = append(all, tt.json)
	}
	back := showRules(gjson.Parse("[" + strings.Join(all, ",") + "]"))
	want := make([]string, len(tests))
	for i, tt := range tests {
		want[i] = tt.in
	}
	if back != strings.Join(want, ", ") {
		t.Errorf("showRules = %q, want the inputs back", back)
	}
	if got := showRules(gjson.Parse(`[{"geo":{"country_code":"US","x":"y"}}]`)); got != `{"geo":{"country_code":"US","x":"y"}}` {
		t.Errorf("showRules of a rule it cannot write short = %q, want the JSON", got)
	}

	for _, bad := range []string{"", "everybody", "email", "email=kim", "email=@acmecorp.company", "email_domain=kim@acmecorp.company",
		"ip=10.0.0.256", "login_method=authentik", "service_token=abc.access", "everyone=1", "group="} {
		if _, err := parseRule(bad); err == nil {
			t.Errorf("parseRule(%q) accepted", bad)
		}
	}
}
