package policy

import (
	"encoding/json"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzEvaluate decodes random policies as the API would and evaluates them
// for a random identity: nothing panics, the answer is deterministic, does
// not depend on input order when precedences differ, survives an encode /
// decode round trip, never modifies its input, and never lets in someone
// who has not signed in.
func FuzzEvaluate(f *testing.F) {
	seeds := []string{
		`[]`,
		`[{"id":"1","name":"Employees","decision":"allow","include":[{"email_domain":{"domain":"acmecorp.company"}}],"exclude":[],"require":[]}]`,
		`[{"id":"1","decision":"allow","include":[{"everyone":{}}],"precedence":2},{"id":"2","decision":"deny","include":[{"email":{"email":"kim@acmecorp.company"}}],"precedence":1}]`,
		`[{"id":"b","decision":"bypass","include":[{"ip":{"ip":"192.0.2.0/24"}}]},{"id":"a","decision":"allow","include":[{"group":{"id":"staff","name":"Staff"}}],"require":[{"login_method":{"id":"idp"}}]}]`,
		`[{"decision":"deny","include":[{"everyone":{}}],"exclude":[{"email_list":{"id":"x"}}]},{"decision":"allow","include":[{"everyone":{}}]}]`,
		`[{"decision":"allow","include":[{"email":{"email":"a@b.c"},"ip":{"ip":"::/0"}},{},null,"x",[1]],"exclude":null}]`,
		`[{"decision":"non_identity","include":[{"everyone":{}}]},{"decision":"weird","include":[{"ip":{"ip":"::ffff:192.0.2.0/120"}}]}]`,
	}
	for _, s := range seeds {
		f.Add([]byte(s), "kim@acmecorp.company", "staff,engineering", "idp", "192.0.2.7")
	}
	f.Add([]byte(seeds[1]), "", "", "", "")
	f.Add([]byte(seeds[3]), "a@evil.example@acmecorp.company", "STAFF", "IDP", "::ffff:192.0.2.7")

	f.Fuzz(func(t *testing.T, data []byte, email, groups, idp, ip string) {
		var policies []Policy
		if err := json.Unmarshal(data, &policies); err != nil {
			return
		}
		id := Identity{Email: email, IdPID: idp}
		if groups != "" {
			id.Groups = strings.Split(groups, ",")
		}
		id.IP, _ = netip.ParseAddr(ip) // an unparsable address stays unknown
		for _, p := range policies {
			_ = ValidatePolicy(p)
			Matches(p, id)
		}

		before, err := json.Marshal(policies)
		if err != nil {
			t.Fatalf("re-encoding decoded policies: %v", err)
		}
		d := Evaluate(policies, id)
		if after, _ := json.Marshal(policies); string(after) != string(before) {
			t.Fatalf("Evaluate modified its input:\nbefore %s\nafter  %s", before, after)
		}
		if diff := cmp.Diff(d, Evaluate(policies, id)); diff != "" {
			t.Fatalf("Evaluate is not deterministic (-first +second):\n%s", diff)
		}
		checkInvariants(t, policies, id, d)

		var again []Policy
		if err := json.Unmarshal(before, &again); err != nil {
			t.Fatalf("decoding re-encoded policies %s: %v", before, err)
		}
		if diff := cmp.Diff(d, Evaluate(again, id)); diff != "" {
			t.Fatalf("decision changed after an encode/decode round trip (-before +after):\n%s", diff)
		}

		if distinctPrecedence(policies) {
			reversed := slices.Clone(policies)
			slices.Reverse(reversed)
			if diff := cmp.Diff(d, Evaluate(reversed, id)); diff != "" {
				t.Fatalf("decision depends on input order despite distinct precedences (-given +reversed):\n%s", diff)
			}
		}
	})
}

func checkInvariants(t *testing.T, policies []Policy, id Identity, d Decision) {
	t.Helper()
	if len(d.Reasons) == 0 {
		t.Fatalf("decision %+v has no reasons", d)
	}
	var wantDecision string
	switch d.Result {
	case ResultAllow:
		wantDecision = DecisionAllow
		if !id.signedIn() {
			t.Fatalf("allowed an identity that has not signed in: %+v", d)
		}
	case ResultBypass:
		wantDecision = DecisionBypass
	case ResultDeny:
		if d.Policy == "" {
			return
		}
		wantDecision = DecisionDeny
	default:
		t.Fatalf("result %q is not allow, deny or bypass", d.Result)
	}
	for _, p := range policies {
		if p.ID == d.Policy && p.Decision == wantDecision {
			return
		}
	}
	if d.Policy != "" {
		t.Fatalf("decision %q names policy %q, which is not a %s policy", d.Result, d.Policy, wantDecision)
	}
}

func distinctPrecedence(policies []Policy) bool {
	seen := map[int]bool{}
	for _, p := range policies {
		if seen[p.Precedence] {
			return false
		}
		seen[p.Precedence] = true
	}
	return true
}
