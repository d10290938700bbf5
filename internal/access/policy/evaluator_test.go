package policy

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var (
	kim = Identity{
		Email:  "kim@acmecorp.company",
		Groups: []string{"staff", "engineering"},
		IdPID:  authentikID,
		IP:     addr("192.0.2.7"),
	}
	anonymous = Identity{IP: addr("192.0.2.7")}
)

func allow(id string, prec int, include ...Rule) Policy {
	return Policy{ID: id, Name: id, Decision: DecisionAllow, Include: include, Precedence: prec}
}

func deny(id string, prec int, include ...Rule) Policy {
	return Policy{ID: id, Name: id, Decision: DecisionDeny, Include: include, Precedence: prec}
}

func bypass(id string, prec int, include ...Rule) Policy {
	return Policy{ID: id, Name: id, Decision: DecisionBypass, Include: include, Precedence: prec}
}

func withExclude(p Policy, rs ...Rule) Policy { p.Exclude = rs; return p }
func withRequire(p Policy, rs ...Rule) Policy { p.Require = rs; return p }

func raw(s string) Rule {
	var r Rule
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		panic(err)
	}
	return r
}

func reasonStrings(rs []Reason) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.String()
	}
	return out
}

type decisionWant struct {
	result, policy string
	reasons        []string
}

func checkDecision(t *testing.T, got Decision, want decisionWant) {
	t.Helper()
	gotW := decisionWant{got.Result, got.Policy, reasonStrings(got.Reasons)}
	if diff := cmp.Diff(want, gotW, cmp.AllowUnexported(decisionWant{})); diff != "" {
		t.Errorf("decision mismatch (-want +got):\n%s", diff)
	}
}

func TestEvaluateOrder(t *testing.T) {
	cases := []struct {
		name     string
		policies []Policy
		id       Identity
		want     decisionWant
	}{
		{"no policies", nil, kim, decisionWant{"deny", "", []string{"no policy allows you"}}},
		{"allow matches", []Policy{allow("employees", 1, EmailDomain("acmecorp.company"))}, kim,
			decisionWant{"allow", "employees", []string{`policy "employees": your email domain is acmecorp.company`}}},
		{"lower precedence decides", []Policy{
			allow("second", 2, Everyone()),
			allow("first", 1, Group("staff")),
		}, kim, decisionWant{"allow", "first", []string{`policy "first": you are a member of a listed group`}}},
		{"equal precedence keeps slice order", []Policy{
			allow("a", 0, Everyone()),
			allow("b", 0, Everyone()),
		}, kim, decisionWant{"allow", "a", []string{`policy "a": the policy applies to everyone`}}},
		{"deny before allow whatever the precedence", []Policy{
			allow("everyone", 1, Everyone()),
			deny("contractors", 9, EmailDomain("acmecorp.company")),
		}, kim, decisionWant{"deny", "contractors", []string{
			`policy "contractors": your email domain is acmecorp.company`,
			`policy "contractors": you are blocked by this policy`,
		}}},
		{"first of several deny policies by precedence", []Policy{
			deny("late", 5, Everyone()),
			deny("early", 2, Group("engineering")),
		}, kim, decisionWant{"deny", "early", []string{
			`policy "early": you are a member of a listed group`,
			`policy "early": you are blocked by this policy`,
		}}},
		{"deny that does not match is silent", []Policy{
			deny("competitors", 1, EmailDomain("competitor.example")),
			allow("employees", 2, EmailDomain("acmecorp.company")),
		}, kim, decisionWant{"allow", "employees", []string{`policy "employees": your email domain is acmecorp.company`}}},
		{"bypass before deny", []Policy{
			deny("everyone", 1, Everyone()),
			bypass("office", 2, IP("192.0.2.0/24")),
		}, kim, decisionWant{"bypass", "office", []string{`policy "office": your IP address 192.0.2.7 is in a listed range`}}},
		{"bypass needs no login", []Policy{
			allow("employees", 1, EmailDomain("acmecorp.company")),
			bypass("health", 2, Everyone()),
		}, anonymous, decisionWant{"bypass", "health", []string{`policy "health": the policy applies to everyone`}}},
		{"bypass that does not match is silent", []Policy{
			bypass("office", 1, IP("10.0.0.0/8")),
			allow("employees", 2, EmailDomain("acmecorp.company")),
		}, kim, decisionWant{"allow", "employees", []string{`policy "employees": your email domain is acmecorp.company`}}},
		{"anonymous is never allowed", []Policy{allow("everyone", 1, Everyone())}, anonymous,
			decisionWant{"deny", "", []string{"you are not signed in"}}},
		{"bypass ignores rules about the user", []Policy{
			bypass("kim", 1, Email("kim@acmecorp.company")),
		}, kim, decisionWant{"deny", "", []string{"no policy allows you"}}},
		{"default deny lists each allow policy", []Policy{
			allow("employees", 1, EmailDomain("example.com")),
			allow("admins", 2, Group("admins")),
		}, kim, decisionWant{"deny", "", []string{
			`policy "employees": your email domain is not example.com`,
			`policy "admins": you are not a member of a listed group`,
			"no policy allows you",
		}}},
		{"non_identity never applies to a login", []Policy{
			{ID: "ci", Name: "ci", Decision: DecisionNonIdentity, Include: []Rule{Everyone()}},
		}, kim, decisionWant{"deny", "", []string{"no policy allows you"}}},
		{"unknown decision is ignored", []Policy{
			{ID: "odd", Name: "odd", Decision: "block", Include: []Rule{Everyone()}},
		}, kim, decisionWant{"deny", "", []string{"no policy allows you"}}},
		{"negative precedence sorts first", []Policy{
			allow("zero", 0, Everyone()),
			allow("minus", -1, Everyone()),
		}, kim, decisionWant{"allow", "minus", []string{`policy "minus": the policy applies to everyone`}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkDecision(t, Evaluate(tc.policies, tc.id), tc.want)
		})
	}
}

func TestEvaluateMatching(t *testing.T) {
	employees := allow("Employees", 1, EmailDomain("acmecorp.company"))
	cases := []struct {
		name   string
		policy Policy
		id     Identity
		want   decisionWant
	}{
		{"include: any rule", allow("p", 1, EmailDomain("example.com"), Group("engineering"), Everyone()), kim,
			decisionWant{"allow", "p", []string{`policy "p": you are a member of a listed group`}}},
		{"include: none", allow("p", 1, EmailDomain("example.com"), Group("admins")), kim,
			decisionWant{"deny", "", []string{
				`policy "p": your email domain is not example.com`,
				`policy "p": you are not a member of a listed group`,
				"no policy allows you",
			}}},
		{"no include rules matches no one", withRequire(allow("p", 1), Everyone()), kim,
			decisionWant{"deny", "", []string{`policy "p": this policy has no include rules, so it applies to no one`, "no policy allows you"}}},
		{"exclude wins over include", withExclude(employees, Email("kim@acmecorp.company")), kim,
			decisionWant{"deny", "", []string{
				`policy "Employees": your email domain is acmecorp.company`,
				`policy "Employees": excluded: your email address is on the list`,
				"no policy allows you",
			}}},
		{"exclude that does not match", withExclude(employees, Email("lee@acmecorp.company"), Group("contractors")), kim,
			decisionWant{"allow", "Employees", []string{`policy "Employees": your email domain is acmecorp.company`}}},
		{"require: all met", withRequire(employees, Group("staff"), IP("192.0.2.0/24")), kim,
			decisionWant{"allow", "Employees", []string{
				`policy "Employees": your email domain is acmecorp.company`,
				`policy "Employees": you are a member of a listed group`,
				`policy "Employees": your IP address 192.0.2.7 is in a listed range`,
			}}},
		{"require: one not met", withRequire(employees, Group("staff"), IP("10.0.0.0/8")), kim,
			decisionWant{"deny", "", []string{
				`policy "Employees": your email domain is acmecorp.company`,
				`policy "Employees": requirement not met: your IP address 192.0.2.7 is not in a listed range`,
				"no policy allows you",
			}}},
		{"require login method", withRequire(employees, LoginMethod("otp")), kim,
			decisionWant{"deny", "", []string{
				`policy "Employees": your email domain is acmecorp.company`,
				`policy "Employees": requirement not met: you signed in with a login method this policy does not accept here`,
				"no policy allows you",
			}}},
		{"unknown client address fails require", withRequire(employees, IP("0.0.0.0/0")), Identity{Email: kim.Email},
			decisionWant{"deny", "", []string{
				`policy "Employees": your email domain is acmecorp.company`,
				`policy "Employees": your IP address is not known`,
				`policy "Employees": some rules could not be checked, so this policy does not apply to you`,
				"no policy allows you",
			}}},
		{"include, exclude and require together", withRequire(withExclude(
			allow("p", 1, Group("engineering"), Group("staff")), EmailDomain("contractor.example")),
			LoginMethod(authentikID)), kim,
			decisionWant{"allow", "p", []string{
				`policy "p": you are a member of a listed group`,
				`policy "p": you signed in with an accepted login method`,
			}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkDecision(t, Evaluate([]Policy{tc.policy}, tc.id), tc.want)
		})
	}
}

// TestEvaluateUncheckableRules covers rules the evaluator cannot check:
// they never help a policy grant, and never help anyone escape a block.
func TestEvaluateUncheckableRules(t *testing.T) {
	emailList := raw(`{"email_list":{"id":"l1"}}`)
	twoKeys := raw(`{"email":{"email":"kim@acmecorp.company"},"everyone":{}}`)
	cases := []struct {
		name     string
		policies []Policy
		want     decisionWant
	}{
		{"unsupported include alone", []Policy{allow("p", 1, emailList)},
			decisionWant{"deny", "", []string{
				`policy "p": unsupported rule type "email_list"`,
				`policy "p": some rules could not be checked, so this policy does not apply to you`,
				"no policy allows you",
			}}},
		{"another include rule still matches", []Policy{allow("p", 1, emailList, Everyone())},
			decisionWant{"allow", "p", []string{`policy "p": the policy applies to everyone`}}},
		{"unsupported exclude blocks the allow", []Policy{withExclude(allow("p", 1, Everyone()), emailList)},
			decisionWant{"deny", "", []string{
				`policy "p": the policy applies to everyone`,
				`policy "p": unsupported rule type "email_list"`,
				`policy "p": some rules could not be checked, so this policy does not apply to you`,
				"no policy allows you",
			}}},
		{"unsupported require blocks the allow", []Policy{withRequire(allow("p", 1, Everyone()), raw(`{"geo":{"country_code":"PT"}}`))},
			decisionWant{"deny", "", []string{
				`policy "p": the policy applies to everyone`,
				`policy "p": unsupported rule type "geo"`,
				`policy "p": some rules could not be checked, so this policy does not apply to you`,
				"no policy allows you",
			}}},
		{"malformed include", []Policy{allow("p", 1, twoKeys)},
			decisionWant{"deny", "", []string{
				`policy "p": this policy has a malformed rule`,
				`policy "p": some rules could not be checked, so this policy does not apply to you`,
				"no policy allows you",
			}}},
		{"invalid value of a known type", []Policy{allow("p", 1, IP("not-an-ip"))},
			decisionWant{"deny", "", []string{
				`policy "p": this policy has an invalid ip rule`,
				`policy "p": some rules could not be checked, so this policy does not apply to you`,
				"no policy allows you",
			}}},
		{"unsupported exclude keeps the block", []Policy{
			withExclude(deny("block", 1, Everyone()), emailList),
			allow("all", 2, Everyone()),
		}, decisionWant{"deny", "block", []string{
			`policy "block": the policy applies to everyone`,
			`policy "block": unsupported rule type "email_list"`,
			`policy "block": some rules could not be checked, so this block policy applies to you`,
			`policy "block": you are blocked by this policy`,
		}}},
		{"unsupported require keeps the block", []Policy{
			withRequire(deny("block", 1, Everyone()), emailList),
			allow("all", 2, Everyone()),
		}, decisionWant{"deny", "block", []string{
			`policy "block": the policy applies to everyone`,
			`policy "block": unsupported rule type "email_list"`,
			`policy "block": some rules could not be checked, so this block policy applies to you`,
			`policy "block": you are blocked by this policy`,
		}}},
		{"block that surely does not apply", []Policy{
			withRequire(deny("block", 1, emailList), EmailDomain("competitor.example")),
			allow("all", 2, Everyone()),
		}, decisionWant{"allow", "all", []string{`policy "all": the policy applies to everyone`}}},
		{"unsupported bypass does not bypass", []Policy{bypass("svc", 1, raw(`{"any_valid_service_token":{}}`))},
			decisionWant{"deny", "", []string{"no policy allows you"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkDecision(t, Evaluate(tc.policies, kim), tc.want)
		})
	}
}

// TestEvaluateReasonsAreSafe checks that a deny page built from the reasons
// shows none of what the policies list, except an email_domain's domain.
func TestEvaluateReasonsAreSafe(t *testing.T) {
	secrets := []string{"alice@acmecorp.company", "bob@acmecorp.company", "carol@example.com",
		"prod-admins", "10.20.0.0", "10.20.0.0/16", "otp-idp-id", "competitor.example", "vpn.example"}
	var emails []Rule
	for _, e := range secrets[:3] {
		emails = append(emails, Email(e))
	}
	policies := []Policy{
		bypass("Office", 1, IP("10.20.0.0/16")),
		deny("Competitors", 2, EmailDomain("competitor.example")),
		deny("Leavers", 3, Email("carol@example.com")),
		allow("Named people", 4, emails...),
		withRequire(allow("Admins", 5, Group("prod-admins")), LoginMethod("otp-idp-id")),
		withRequire(allow("Employees", 6, EmailDomain("vpn.example")), IP("10.20.0.0/16")),
	}
	d := Evaluate(policies, Identity{Email: "mallory@outside.example", Groups: []string{"guests"}, IdPID: "github", IP: addr("203.0.113.9")})
	want := decisionWant{"deny", "", []string{
		`policy "Named people": your email address is not on the list`, // once, not once per address
		`policy "Admins": you are not a member of a listed group`,
		`policy "Admins": requirement not met: you signed in with a login method this policy does not accept here`,
		`policy "Employees": your email domain is not vpn.example`, // the one value reasons show
		`policy "Employees": requirement not met: your IP address 203.0.113.9 is not in a listed range`,
		"no policy allows you",
	}}
	checkDecision(t, d, want)
	page := strings.Join(reasonStrings(d.Reasons), "\n")
	for _, s := range secrets {
		if s == "vpn.example" {
			continue
		}
		if strings.Contains(page, s) {
			t.Errorf("reasons reveal %q:\n%s", s, page)
		}
	}
}

func TestEvaluateDoesNotModifyInput(t *testing.T) {
	policies := []Policy{allow("b", 2, Everyone()), allow("a", 1, Everyone())}
	before := fmt.Sprint(policies)
	Evaluate(policies, kim)
	if after := fmt.Sprint(policies); after != before {
		t.Errorf("Evaluate reordered its input:\nbefore %s\nafter  %s", before, after)
	}
}

func TestMatches(t *testing.T) {
	cases := []struct {
		name    string
		p       Policy
		id      Identity
		want    bool
		reasons []string
	}{
		{"allow matches", allow("p", 0, Everyone()), kim, true, []string{`policy "p": the policy applies to everyone`}},
		{"allow needs a login", allow("p", 0, Everyone()), anonymous, false, []string{`policy "p": you are not signed in`}},
		{"deny needs a login", deny("p", 0, Everyone()), anonymous, false, []string{`policy "p": you are not signed in`}},
		{"bypass without login", bypass("p", 0, IP("192.0.2.0/24")), anonymous, true, []string{`policy "p": your IP address 192.0.2.7 is in a listed range`}},
		{"bypass with a user rule", bypass("p", 0, Group("staff")), kim, false, []string{
			`policy "p": group rules cannot be used in a bypass policy`,
			`policy "p": some rules could not be checked, so this policy does not apply to you`,
		}},
		{"non_identity", Policy{Name: "p", Decision: DecisionNonIdentity, Include: []Rule{Everyone()}}, kim, false,
			[]string{`policy "p": this policy admits service tokens, not people who sign in`}},
		{"unknown decision", Policy{Name: "p", Decision: "", Include: []Rule{Everyone()}}, kim, false,
			[]string{`policy "p": this policy has no valid decision`}},
		{"deny with an uncheckable include applies", deny("p", 0, raw(`{"okta":{"name":"x","identity_provider_id":"i"}}`)), kim, true, []string{
			`policy "p": unsupported rule type "okta"`,
			`policy "p": some rules could not be checked, so this block policy applies to you`,
		}},
		{"reasons name the section and rule", withRequire(allow("p", 0, Email("lee@x.example"), Email("kim@acmecorp.company")), Everyone(), Group("staff")), kim, true, []string{
			`policy "p": your email address is on the list`,
			`policy "p": the policy applies to everyone`,
			`policy "p": you are a member of a listed group`,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, reasons := Matches(tc.p, tc.id)
			if got != tc.want {
				t.Errorf("Matches = %v, want %v", got, tc.want)
			}
			if diff := cmp.Diff(tc.reasons, reasonStrings(reasons)); diff != "" {
				t.Errorf("reasons mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMatchesReasonFields(t *testing.T) {
	p := withRequire(withExclude(Policy{ID: "id-1", Name: "Staff", Decision: DecisionAllow,
		Include: []Rule{Email("lee@x.example"), Group("staff")}}, Group("contractors")), IP("10.0.0.0/8"))
	_, reasons := Matches(p, kim)
	want := []Reason{
		{PolicyID: "id-1", PolicyName: "Staff", Section: "include", Index: 1, RuleType: "group", Matched: true, Message: "you are a member of a listed group"},
		{PolicyID: "id-1", PolicyName: "Staff", Section: "require", Index: 0, RuleType: "ip", Matched: false, Message: "requirement not met: your IP address 192.0.2.7 is not in a listed range"},
	}
	if diff := cmp.Diff(want, reasons); diff != "" {
		t.Errorf("reasons mismatch (-want +got):\n%s", diff)
	}
}

func TestReasonString(t *testing.T) {
	cases := []struct {
		r    Reason
		want string
	}{
		{Reason{PolicyID: "f174e90a", PolicyName: "Employees", Message: "your email domain is not acmecorp.company"}, `policy "Employees": your email domain is not acmecorp.company`},
		{Reason{PolicyID: "f174e90a", Message: "m"}, `policy f174e90a: m`},
		{Reason{Message: "no policy allows you"}, "no policy allows you"},
	}
	for _, tc := range cases {
		if got := tc.r.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}
