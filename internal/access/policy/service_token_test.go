package policy

import (
	"strings"
	"testing"
)

const (
	ciToken    = "6b1a2f4e-3c3d-4e5f-8a9b-0c1d2e3f4a5b"
	otherToken = "0f0e0d0c-0b0a-4908-8706-050403020100"
)

const noServiceAuth = "this application has no Service Auth (non_identity) policy, so it admits no service token"

var ciRequest = ServiceToken{ID: ciToken, IP: addr("10.1.2.3")}

func TestServiceTokenCheck(t *testing.T) {
	runCheck(t, serviceTokenCriterion{}, []checkCase{
		{"uuid", `{"token_id":"` + ciToken + `"}`, ""},
		{"upper-case uuid", `{"token_id":"6B1A2F4E-3C3D-4E5F-8A9B-0C1D2E3F4A5B"}`, ""},
		{"missing", `{}`, `needs the service token's id`},
		{"client id instead", `{"token_id":"0123456789abcdef0123456789abcdef.access"}`, "not its client id"},
		{"number", `{"token_id":1}`, `"token_id" must be a string`},
		{"not an object", `"x"`, "must be a JSON object"},
	})
	runCheck(t, anyServiceTokenCriterion{}, []checkCase{
		{"empty object", `{}`, ""},
		{"null", `null`, "must be a JSON object"},
	})
}

func TestServiceTokenEval(t *testing.T) {
	tok := Identity{serviceToken: ciToken}
	runEval(t, serviceTokenCriterion{}, []evalCase{
		{"the listed token", `{"token_id":"` + ciToken + `"}`, tok, match, "the service token presented is listed"},
		{"case ignored", `{"token_id":"6B1A2F4E-3C3D-4E5F-8A9B-0C1D2E3F4A5B"}`, tok, match, "the service token presented is listed"},
		{"another token", `{"token_id":"` + otherToken + `"}`, tok, noMatch, "the service token presented is not listed"},
		{"a login", `{"token_id":"` + ciToken + `"}`, kim, noMatch, "no service token was presented"},
		{"invalid rule", `{"token_id":"x"}`, tok, unknown, "this policy has an invalid service_token rule"},
	})
	runEval(t, anyServiceTokenCriterion{}, []evalCase{
		{"any token", `{}`, tok, match, "a valid service token was presented"},
		{"a login", `{}`, kim, noMatch, "no service token was presented"},
		{"invalid rule", `[]`, tok, unknown, "this policy has an invalid any_valid_service_token rule"},
	})
}

func serviceAuth(id string, prec int, include ...Rule) Policy {
	return Policy{ID: id, Name: id, Decision: DecisionNonIdentity, Include: include, Precedence: prec}
}

func TestEvaluateServiceToken(t *testing.T) {
	cases := []struct {
		name     string
		policies []Policy
		tok      ServiceToken
		want     decisionWant
	}{
		{"the listed token is admitted", []Policy{serviceAuth("ci", 1, ServiceTokenRule(ciToken))}, ciRequest,
			decisionWant{"allow", "ci", []string{`policy "ci": the service token presented is listed`}}},
		{"any valid token", []Policy{serviceAuth("machines", 1, AnyValidServiceToken())}, ciRequest,
			decisionWant{"allow", "machines", []string{`policy "machines": a valid service token was presented`}}},
		{"another token is not", []Policy{serviceAuth("ci", 1, ServiceTokenRule(otherToken))}, ciRequest,
			decisionWant{"deny", "", []string{`policy "ci": the service token presented is not listed`, "no Service Auth policy admits this service token"}}},
		{"no token presented", []Policy{serviceAuth("machines", 1, AnyValidServiceToken())}, ServiceToken{IP: addr("10.1.2.3")},
			decisionWant{"deny", "", []string{"no service token was presented"}}},
		{"no policies", nil, ciRequest, decisionWant{"deny", "", []string{noServiceAuth}}},
		{"allow policies never admit a token", []Policy{allow("everyone", 1, Everyone())}, ciRequest,
			decisionWant{"deny", "", []string{noServiceAuth}}},
		{"exclude takes the listed token out", []Policy{
			withExclude(serviceAuth("machines", 1, AnyValidServiceToken()), ServiceTokenRule(ciToken)),
		}, ciRequest, decisionWant{"deny", "", []string{
			`policy "machines": a valid service token was presented`,
			`policy "machines": excluded: the service token presented is listed`,
			"no Service Auth policy admits this service token"}}},
		{"exclude of another token leaves this one", []Policy{
			withExclude(serviceAuth("machines", 1, AnyValidServiceToken()), ServiceTokenRule(otherToken)),
		}, ciRequest, decisionWant{"allow", "machines", []string{`policy "machines": a valid service token was presented`}}},
		{"require an address range, met", []Policy{
			withRequire(serviceAuth("ci", 1, ServiceTokenRule(ciToken)), IP("10.0.0.0/8")),
		}, ciRequest, decisionWant{"allow", "ci", []string{
			`policy "ci": the service token presented is listed`,
			`policy "ci": your IP address 10.1.2.3 is in a listed range`}}},
		{"require an address range, not met", []Policy{
			withRequire(serviceAuth("ci", 1, ServiceTokenRule(ciToken)), IP("192.168.0.0/16")),
		}, ciRequest, decisionWant{"deny", "", []string{
			`policy "ci": the service token presented is listed`,
			`policy "ci": requirement not met: your IP address 10.1.2.3 is not in a listed range`,
			"no Service Auth policy admits this service token"}}},
		{"require without a known address fails closed", []Policy{
			withRequire(serviceAuth("ci", 1, ServiceTokenRule(ciToken)), IP("10.0.0.0/8")),
		}, ServiceToken{ID: ciToken}, decisionWant{"deny", "", []string{
			`policy "ci": the service token presented is listed`,
			`policy "ci": your IP address is not known`,
			`policy "ci": some rules could not be checked, so this policy does not apply to you`,
			"no Service Auth policy admits this service token"}}},
		{"a deny policy naming the token blocks it wherever it sits", []Policy{
			serviceAuth("machines", 1, AnyValidServiceToken()),
			deny("revoked", 9, ServiceTokenRule(ciToken)),
		}, ciRequest, decisionWant{"deny", "revoked", []string{
			`policy "revoked": the service token presented is listed`,
			`policy "revoked": this service token is blocked by this policy`}}},
		{"a deny policy for everyone blocks tokens too", []Policy{
			serviceAuth("machines", 1, AnyValidServiceToken()),
			withExclude(deny("outsiders", 2, Everyone()), EmailDomain("acmecorp.company")),
		}, ciRequest, decisionWant{"deny", "outsiders", []string{
			`policy "outsiders": the policy applies to everyone`,
			`policy "outsiders": this service token is blocked by this policy`}}},
		{"unless it excludes service tokens", []Policy{
			serviceAuth("machines", 1, AnyValidServiceToken()),
			withExclude(deny("outsiders", 2, Everyone()), EmailDomain("acmecorp.company"), AnyValidServiceToken()),
		}, ciRequest, decisionWant{"allow", "machines", []string{`policy "machines": a valid service token was presented`}}},
		{"a deny policy about people spares tokens", []Policy{
			deny("contractors", 1, EmailDomain("contractor.example")),
			serviceAuth("machines", 2, AnyValidServiceToken()),
		}, ciRequest, decisionWant{"allow", "machines", []string{`policy "machines": a valid service token was presented`}}},
		{"a deny policy that cannot be checked blocks", []Policy{
			deny("geo", 1, raw(`{"geo":{"country_code":"XX"}}`)),
			serviceAuth("machines", 2, AnyValidServiceToken()),
		}, ciRequest, decisionWant{"deny", "geo", []string{
			`policy "geo": unsupported rule type "geo"`,
			`policy "geo": some rules could not be checked, so this block policy applies to you`,
			`policy "geo": this service token is blocked by this policy`}}},
		{"bypass comes first", []Policy{
			serviceAuth("machines", 1, AnyValidServiceToken()),
			bypass("health", 5, IP("10.0.0.0/8")),
		}, ciRequest, decisionWant{"bypass", "health", []string{`policy "health": your IP address 10.1.2.3 is in a listed range`}}},
		{"a service token rule in a bypass policy does not bypass", []Policy{
			bypass("svc", 1, AnyValidServiceToken()),
		}, ciRequest, decisionWant{"deny", "", []string{noServiceAuth}}},
		{"precedence orders Service Auth policies", []Policy{
			serviceAuth("second", 2, AnyValidServiceToken()),
			serviceAuth("first", 1, ServiceTokenRule(ciToken)),
		}, ciRequest, decisionWant{"allow", "first", []string{`policy "first": the service token presented is listed`}}},
		{"Service Auth with everyone admits any valid token", []Policy{serviceAuth("all", 1, Everyone())}, ciRequest,
			decisionWant{"allow", "all", []string{`policy "all": the policy applies to everyone`}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkDecision(t, EvaluateServiceToken(tc.policies, tc.tok), tc.want)
		})
	}
}

// TestServiceAuthNeverAdmitsALogin: the login path is unchanged — a
// non_identity policy never admits a person, and service-token rules never
// match one.
func TestServiceAuthNeverAdmitsALogin(t *testing.T) {
	checkDecision(t, Evaluate([]Policy{
		serviceAuth("machines", 1, AnyValidServiceToken()),
		deny("ci-only", 2, ServiceTokenRule(ciToken)),
		allow("staff", 3, EmailDomain("acmecorp.company")),
	}, kim), decisionWant{"allow", "staff", []string{`policy "staff": your email domain is acmecorp.company`}})
	checkDecision(t, Evaluate([]Policy{serviceAuth("machines", 1, AnyValidServiceToken())}, kim),
		decisionWant{"deny", "", []string{"no policy allows you"}})
}

func TestValidateServiceTokenRules(t *testing.T) {
	cases := []struct {
		name string
		p    Policy
		want string // "" valid
	}{
		{"service auth with a token", serviceAuth("ci", 0, ServiceTokenRule(ciToken)), ""},
		{"service auth with any token", serviceAuth("ci", 0, AnyValidServiceToken()), ""},
		{"deny a token", deny("x", 0, ServiceTokenRule(ciToken)), ""},
		{"deny excluding tokens", withExclude(deny("x", 0, Everyone()), AnyValidServiceToken()), ""},
		{"allow with a token", allow("x", 0, ServiceTokenRule(ciToken)),
			"include[0] (service_token): service_token rules cannot be used in an allow policy: service tokens are admitted by non_identity (Service Auth) policies and blocked by deny policies"},
		{"bypass with any token", bypass("x", 0, AnyValidServiceToken()),
			"include[0] (any_valid_service_token): any_valid_service_token rules cannot be used in a bypass policy"},
		{"bad token id", serviceAuth("ci", 0, ServiceTokenRule("abc.access")),
			`include[0] (service_token): a service_token rule needs the service token's id (a UUID, not its client id) in "token_id", not "abc.access"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidatePolicy(tc.p)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("ValidatePolicy = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("ValidatePolicy = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestMatchesAllowWithAToken: the allow policy's refusal of a token says
// what to use instead.
func TestMatchesAllowWithAToken(t *testing.T) {
	ok, reasons := Matches(allow("everyone", 1, Everyone()), Identity{serviceToken: ciToken})
	if ok || len(reasons) != 1 || !strings.Contains(reasons[0].Message, "needs a Service Auth (non_identity) policy") {
		t.Errorf("Matches = %v, %v", ok, reasonStrings(reasons))
	}
}

func TestServiceTokenRefs(t *testing.T) {
	p := Policy{Decision: DecisionNonIdentity,
		Include: []Rule{AnyValidServiceToken(), ServiceTokenRule(ciToken)},
		Exclude: []Rule{Email("a@b.example")},
		Require: []Rule{{Type: "service_token", Value: []byte(`{"token_id":"not-a-uuid"}`)}, ServiceTokenRule(otherToken)},
	}
	got := ServiceTokenRefs(p)
	want := []TokenRef{
		{Pointer: "/include/1/service_token/token_id", TokenID: ciToken},
		{Pointer: "/require/1/service_token/token_id", TokenID: otherToken},
	}
	if len(got) != len(want) {
		t.Fatalf("ServiceTokenRefs = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("ref %d = %v, want %v", i, got[i], want[i])
		}
	}
	if refs := ServiceTokenRefs(Policy{Include: []Rule{Everyone()}}); refs != nil {
		t.Errorf("a policy naming no token gave %v", refs)
	}
}
