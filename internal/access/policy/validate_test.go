package policy

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// rules decodes a JSON array of rule objects, the way the API receives them.
func rules(t *testing.T, s string) []Rule {
	t.Helper()
	var rs []Rule
	if err := json.Unmarshal([]byte(s), &rs); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return rs
}

// errorLines returns the messages of errors.Join's parts, or nil.
func errorLines(err error) []string {
	if err == nil {
		return nil
	}
	var lines []string
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			lines = append(lines, errorLines(e)...)
		}
		return lines
	}
	return []string{err.Error()}
}

func TestValidateRules(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want []string
	}{
		{"empty list", `[]`, nil},
		{"all supported", `[{"email":{"email":"a@b.c"}},{"email_domain":{"domain":"b.c"}},{"everyone":{}},
			{"group":{"id":"eng"}},{"login_method":{"id":"idp-1"}},{"ip":{"ip":"10.0.0.0/8"}},{"ip":{"ip":"2001:db8::1"}}]`, nil},
		{"unknown type", `[{"everyone":{}},{"emails":{"email":"a@b.c"}}]`,
			[]string{`rules[1] (emails): unknown rule type "emails" (supported: any_valid_service_token, email, email_domain, everyone, group, ip, login_method, service_token)`}},
		{"cloudflare type not supported", `[{"email_list":{"id":"l1"}}]`,
			[]string{`rules[0] (email_list): rule type "email_list" is not supported by ssogate (supported: any_valid_service_token, email, email_domain, everyone, group, ip, login_method, service_token)`}},
		{"empty email", `[{"email":{"email":""}}]`, []string{`rules[0] (email): the email address is empty`}},
		{"email without value", `[{"email":{}}]`, []string{`rules[0] (email): the email address is empty`}},
		{"malformed cidr", `[{"ip":{"ip":"10.0.0.0/40"}}]`,
			[]string{`rules[0] (ip): "10.0.0.0/40" is not a valid CIDR such as 192.0.2.0/24 or 2001:db8::/32`}},
		{"bad domain", `[{"email_domain":{"domain":"@b.c"}}]`,
			[]string{`rules[0] (email_domain): domain "@b.c" must be written without the leading @ ("b.c")`}},
		{"two keys", `[{"email":{"email":"a@b.c"},"everyone":{}}]`,
			[]string{`rules[0]: the rule object has 2 keys ("email", "everyone"); each rule must have exactly one — put each criterion in its own rule`}},
		{"no key", `[{}]`, []string{`rules[0]: the rule object has no key; write it as {"<type>": {…}}, e.g. {"everyone":{}}`}},
		{"not an object", `["everyone"]`, []string{`rules[0]: a rule must be a JSON object with exactly one key, e.g. {"everyone":{}}`}},
		{"null rule", `[null]`, []string{`rules[0]: a rule must be a JSON object with exactly one key, e.g. {"everyone":{}}`}},
		{"value not an object", `[{"everyone":true}]`, []string{`rules[0] (everyone): the value of "everyone" must be a JSON object, e.g. {"everyone":{…}}`}},
		{"every bad rule reported", `[{"email":{"email":"x"}},{"everyone":{}},{"group":{}}]`, []string{
			`rules[0] (email): email address "x" must contain exactly one @`,
			`rules[2] (group): a group rule needs the group's name in "id" (or "name")`,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, errorLines(ValidateRules(rules(t, tc.in)))); diff != "" {
				t.Errorf("errors mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateRulesErrorType(t *testing.T) {
	err := ValidateRules([]Rule{Everyone(), Email("nope")})
	var re *RuleError
	if !errors.As(err, &re) {
		t.Fatalf("error %v is not a *RuleError", err)
	}
	want := &RuleError{Section: "rules", Index: 1, Type: "email", Problem: `email address "nope" must contain exactly one @`}
	if diff := cmp.Diff(want, re); diff != "" {
		t.Errorf("RuleError mismatch (-want +got):\n%s", diff)
	}
}

func TestValidatePolicy(t *testing.T) {
	ok := Policy{Name: "Employees", Decision: DecisionAllow, Include: []Rule{EmailDomain("example.com")}}
	with := func(f func(*Policy)) Policy {
		p := ok
		f(&p)
		return p
	}
	cases := []struct {
		name string
		p    Policy
		want []string
	}{
		{"valid allow", ok, nil},
		{"valid deny", with(func(p *Policy) { p.Decision = DecisionDeny }), nil},
		{"valid bypass by ip", Policy{Name: "Office", Decision: DecisionBypass, Include: []Rule{IP("192.0.2.0/24")}}, nil},
		{"valid bypass everyone", Policy{Name: "Health", Decision: DecisionBypass, Include: []Rule{Everyone()}}, nil},
		{"valid non_identity", Policy{Name: "CI", Decision: DecisionNonIdentity, Include: []Rule{IP("10.0.0.0/8")}}, nil},
		{"all sections", with(func(p *Policy) {
			p.Exclude = []Rule{Email("ex@example.com")}
			p.Require = []Rule{Group("staff"), LoginMethod("idp")}
		}), nil},
		{"no name", with(func(p *Policy) { p.Name = "" }), []string{"name is required"}},
		{"no decision", with(func(p *Policy) { p.Decision = "" }), []string{"decision is required: one of allow, deny, bypass, non_identity"}},
		{"bad decision", with(func(p *Policy) { p.Decision = "block" }), []string{`decision "block" is not one of allow, deny, bypass, non_identity`}},
		{"no include", with(func(p *Policy) { p.Include = nil; p.Require = []Rule{Everyone()} }),
			[]string{"include needs at least one rule: a policy without one applies to no one"}},
		{"rule errors name their section", with(func(p *Policy) {
			p.Exclude = []Rule{Everyone(), IP("nope")}
			p.Require = []Rule{{Type: "geo", Value: json.RawMessage(`{"country_code":"US"}`)}}
		}), []string{
			`exclude[1] (ip): "nope" is not a valid IP address or CIDR`,
			`require[0] (geo): rule type "geo" is not supported by ssogate (supported: any_valid_service_token, email, email_domain, everyone, group, ip, login_method, service_token)`,
		}},
		{"identity rule in bypass", Policy{Name: "B", Decision: DecisionBypass, Include: []Rule{IP("10.0.0.0/8")}, Require: []Rule{EmailDomain("example.com")}},
			[]string{"require[0] (email_domain): email_domain rules cannot be used in a bypass policy, which is decided without a login"}},
		{"identity rule in non_identity", Policy{Name: "S", Decision: DecisionNonIdentity, Include: []Rule{Group("ci")}},
			[]string{"include[0] (group): group rules cannot be used in a non_identity policy, which is decided without a login"}},
		{"everything wrong", Policy{Decision: "x", Include: nil, Exclude: []Rule{{}}}, []string{
			"name is required",
			`decision "x" is not one of allow, deny, bypass, non_identity`,
			"include needs at least one rule: a policy without one applies to no one",
			`exclude[0]: the rule is empty; write it as {"<type>": {…}}, e.g. {"everyone":{}}`,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, errorLines(ValidatePolicy(tc.p))); diff != "" {
				t.Errorf("errors mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
