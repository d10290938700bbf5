package policy

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRuleUnmarshal(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want Rule
	}{
		{"email", `{"email":{"email":"a@b.c"}}`, Rule{Type: "email", Value: json.RawMessage(`{"email":"a@b.c"}`)}},
		{"whitespace compacted", "{ \"everyone\" : { } }", Rule{Type: "everyone", Value: json.RawMessage(`{}`)}},
		{"unknown type kept", `{"email_list":{"id":"l1","x":[1,2]}}`, Rule{Type: "email_list", Value: json.RawMessage(`{"id":"l1","x":[1,2]}`)}},
		{"two keys kept whole", `{"email":{"email":"a@b.c"},"ip":{"ip":"10.0.0.0/8"}}`, Rule{Value: json.RawMessage(`{"email":{"email":"a@b.c"},"ip":{"ip":"10.0.0.0/8"}}`)}},
		{"duplicate key kept whole", `{"email":{"email":"a@b.c"},"email":{"email":"x@y.z"}}`, Rule{Value: json.RawMessage(`{"email":{"email":"a@b.c"},"email":{"email":"x@y.z"}}`)}},
		{"no key", `{}`, Rule{Value: json.RawMessage(`{}`)}},
		{"empty key", `{"":{}}`, Rule{Value: json.RawMessage(`{"":{}}`)}},
		{"string", `"everyone"`, Rule{Value: json.RawMessage(`"everyone"`)}},
		{"null", `null`, Rule{Value: json.RawMessage(`null`)}},
		{"array", `[{"everyone":{}}]`, Rule{Value: json.RawMessage(`[{"everyone":{}}]`)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got Rule
			if err := json.Unmarshal([]byte(tc.in), &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("decode mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRuleRoundTrip checks that what the API stores is what it echoes,
// including rules ssogate does not evaluate and malformed ones.
func TestRuleRoundTrip(t *testing.T) {
	for _, in := range []string{
		`{"email":{"email":"a@b.c"}}`,
		`{"email_domain":{"domain":"b.c"}}`,
		`{"everyone":{}}`,
		`{"group":{"id":"g","name":"Engineering"}}`,
		`{"ip":{"ip":"10.0.0.0/8"}}`,
		`{"login_method":{"id":"f174e90a-fafe-4643-bbbc-4a0ed4fc8415"}}`,
		`{"email_list":{"id":"l1"}}`,
		`{"oidc":{"claim_name":"c","claim_value":"v","identity_provider_id":"i"}}`,
		`{"user_risk_score":{"user_risk_score":["low","high"]}}`,
		`{"email":{"email":"a@b.c"},"ip":{"ip":"10.0.0.0/8"}}`,
		`{}`,
		`null`,
		`"x"`,
	} {
		var r Rule
		if err := json.Unmarshal([]byte(in), &r); err != nil {
			t.Fatalf("decode %s: %v", in, err)
		}
		out, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("encode %s: %v", in, err)
		}
		if string(out) != in {
			t.Errorf("round trip of %s gave %s", in, out)
		}
	}
}

func TestRuleMarshalBuiltInGo(t *testing.T) {
	cases := []struct {
		name string
		rule Rule
		want string
	}{
		{"zero rule", Rule{}, `{}`},
		{"type without value", Rule{Type: "everyone"}, `{"everyone":{}}`},
		{"type quoted", Rule{Type: `we"ird`, Value: json.RawMessage(`{}`)}, `{"we\"ird":{}}`},
	}
	for _, tc := range cases {
		got, err := json.Marshal(tc.rule)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if string(got) != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.want)
		}
	}
	if _, err := json.Marshal(Rule{Value: json.RawMessage(`{broken`)}); err == nil {
		t.Error("encoding a rule with invalid JSON in Value succeeded")
	}
}

func TestPolicyJSON(t *testing.T) {
	// Cloudflare's example response (cloudflare-api.md §6.3), trimmed to the
	// fields a Policy holds.
	in := `{"id":"f174e90a-fafe-4643-bbbc-4a0ed4fc8415","name":"Allow devs","decision":"allow",
		"include":[{"email_domain":{"domain":"example.com"}}],"exclude":[],"require":[],
		"session_duration":"24h","reusable":true}`
	var p Policy
	if err := json.Unmarshal([]byte(in), &p); err != nil {
		t.Fatal(err)
	}
	want := Policy{
		ID: "f174e90a-fafe-4643-bbbc-4a0ed4fc8415", Name: "Allow devs", Decision: DecisionAllow,
		Include: []Rule{EmailDomain("example.com")}, Exclude: []Rule{}, Require: []Rule{},
	}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("decode mismatch (-want +got):\n%s", diff)
	}

	out, err := json.Marshal(Policy{Name: "Everyone", Decision: DecisionAllow, Include: []Rule{Everyone()}, Precedence: 2})
	if err != nil {
		t.Fatal(err)
	}
	wantJSON := `{"name":"Everyone","decision":"allow","include":[{"everyone":{}}],"exclude":[],"require":[],"precedence":2}`
	if string(out) != wantJSON {
		t.Errorf("encode:\n got %s\nwant %s", out, wantJSON)
	}
}

func TestRuleParts(t *testing.T) {
	cases := []struct {
		name    string
		rule    Rule
		typ     string
		wantErr string
	}{
		{"typed", Email("a@b.c"), "email", ""},
		{"value only, one key", Rule{Value: json.RawMessage(`{"everyone":{}}`)}, "everyone", ""},
		{"zero", Rule{}, "", "the rule is empty"},
		{"no key", Rule{Value: json.RawMessage(`{}`)}, "", "the rule object has no key"},
		{"empty key", Rule{Value: json.RawMessage(`{"":{}}`)}, "", "the rule type (the object's key) is empty"},
		{"two keys", Rule{Value: json.RawMessage(`{"a":{},"b":{}}`)}, "", `the rule object has 2 keys ("a", "b")`},
		{"not an object", Rule{Value: json.RawMessage(`[]`)}, "", "a rule must be a JSON object with exactly one key"},
	}
	for _, tc := range cases {
		typ, _, err := tc.rule.parts()
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if typ != tc.typ || (tc.wantErr == "") != (gotErr == "") || (tc.wantErr != "" && !strings.Contains(gotErr, tc.wantErr)) {
			t.Errorf("%s: parts() = %q, %q; want %q, error containing %q", tc.name, typ, gotErr, tc.typ, tc.wantErr)
		}
	}
}
