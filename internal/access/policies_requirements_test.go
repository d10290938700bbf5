package access_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ssogate/ssogate/internal/apptest"
)

const requirementsSent = `"approval_required":false,"isolation_required":false,"purpose_justification_required":false,
	"purpose_justification_prompt":"Why do you need access?",
	"approval_groups":[{"approvals_needed":2,"email_addresses":["lead@acmecorp.company","cto@acmecorp.company"]},
		{"approvals_needed":1,"email_list_uuid":"597147a1-976b-4ef2-9af0-81d5d007fc34"}]`

// TestPolicyRequirementsRoundTrip: approval, isolation and purpose
// justification fields (Cloudflare's, sent by the Terraform provider) come
// back exactly as sent, on reusable and application policies, after a PUT
// that does not name them; a policy that never had them shows none.
func TestPolicyRequirementsRoundTrip(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	acct := "/accounts/" + env.AccountID
	want := object(t, `{`+requirementsSent+`}`)
	pick := func(m map[string]any) map[string]any {
		out := map[string]any{}
		for k := range want {
			if v, ok := m[k]; ok {
				out[k] = v
			}
		}
		return out
	}
	app := resultOf(t, env.Do("POST", acct+"/access/apps", env.Token,
		`{"type":"self_hosted","name":"Host","domain":"host.acmecorp.company"}`), 201)["id"].(string)
	for _, collection := range []string{"/access/policies", "/access/apps/" + app + "/policies"} {
		t.Run(collection, func(t *testing.T) {
			bare := resultOf(t, env.Do("POST", acct+collection, env.Token,
				`{"name":"Bare","decision":"allow","include":[{"everyone":{}}]}`), 201)
			if got := pick(bare); len(got) != 0 {
				t.Errorf("a policy created without them shows %v", got)
			}
			created := resultOf(t, env.Do("POST", acct+collection, env.Token,
				`{"name":"Full","decision":"allow","include":[{"everyone":{}}],`+requirementsSent+`}`), 201)
			if diff := cmp.Diff(want, pick(created)); diff != "" {
				t.Errorf("create (-sent +got):\n%s", diff)
			}
			id := created["id"].(string)
			renamed := resultOf(t, env.Do("PUT", acct+collection+"/"+id, env.Token, `{"name":"Renamed"}`), 200)
			if diff := cmp.Diff(want, pick(renamed)); diff != "" {
				t.Errorf("after a PUT of the name (-sent +got):\n%s", diff)
			}
			got := resultOf(t, env.Do("GET", acct+collection+"/"+id, env.Token, nil), 200)
			if diff := cmp.Diff(want, pick(got)); diff != "" {
				t.Errorf("GET (-sent +got):\n%s", diff)
			}
			cleared := resultOf(t, env.Do("PUT", acct+collection+"/"+id, env.Token,
				`{"approval_groups":[],"purpose_justification_prompt":""}`), 200)
			if cleared["approval_groups"] == nil || len(cleared["approval_groups"].([]any)) != 0 || cleared["purpose_justification_prompt"] != "" {
				t.Errorf("emptied groups and prompt come back as sent ([] and \"\"): %v", pick(cleared))
			}
		})
	}

	// An inline policy in the app's body keeps them too.
	r := env.Do("PUT", acct+"/access/apps/"+app, env.Token,
		`{"policies":[{"name":"Inline","decision":"allow","include":[{"everyone":{}}],`+requirementsSent+`}]}`)
	pols := policiesOf(t, resultOf(t, r, 200))
	if len(pols) != 1 {
		t.Fatalf("policies: %s", r.Body)
	}
	if diff := cmp.Diff(want, pick(pols[0])); diff != "" {
		t.Errorf("inline policy (-sent +got):\n%s", diff)
	}
}

// TestPolicyRequirementsRefused: ssogate has no approvals, browser
// isolation or purpose justification, so a policy asking for one is a 400
// naming the field, wherever the policy is written; it is never stored as
// if it were enforced. Malformed approval groups are 400s as well.
func TestPolicyRequirementsRefused(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	acct := "/accounts/" + env.AccountID
	app := resultOf(t, env.Do("POST", acct+"/access/apps", env.Token,
		`{"type":"self_hosted","name":"Host","domain":"host.acmecorp.company"}`), 201)["id"].(string)
	reusable := resultOf(t, env.Do("POST", acct+"/access/policies", env.Token,
		`{"name":"Staff","decision":"allow","include":[{"everyone":{}}]}`), 201)["id"].(string)
	const rules = `"name":"P","decision":"allow","include":[{"everyone":{}}]`
	for _, tc := range []struct {
		name, field, pointer, words string
	}{
		{"approval", `"approval_required":true`, "/approval_required", "approval by an administrator"},
		{"isolation", `"isolation_required":true`, "/isolation_required", "Browser Isolation"},
		{"justification", `"purpose_justification_required":true`, "/purpose_justification_required", "purpose justification"},
		{"no approvals_needed", `"approval_groups":[{"email_addresses":["a@acmecorp.company"]}]`, "/approval_groups/0/approvals_needed", "approvals_needed"},
		{"negative", `"approval_groups":[{"approvals_needed":-1}]`, "/approval_groups/0/approvals_needed", "whole number"},
		{"fraction", `"approval_groups":[{"approvals_needed":1},{"approvals_needed":1.5}]`, "/approval_groups/1/approvals_needed", "whole number"},
		{"bad email", `"approval_groups":[{"approvals_needed":1,"email_addresses":["a@acmecorp.company","bob"]}]`, "/approval_groups/0/email_addresses/1", "exactly one @"},
		{"bad list", `"approval_groups":[{"approvals_needed":1,"email_list_uuid":"list"}]`, "/approval_groups/0/email_list_uuid", "UUID"},
		{"groups not a list", `"approval_groups":{"approvals_needed":1}`, "", "approval_groups"},
		{"flag not a bool", `"approval_required":"false"`, "", "approval_required"},
		{"prompt not a string", `"purpose_justification_prompt":1`, "", "purpose_justification_prompt"},
		{"mfa", `"mfa_config":{"allowed_authenticators":["totp"],"session_duration":"1h"}`, "/mfa_config", "does not enforce MFA"},
		{"connection rules", `"connection_rules":{"ssh":{"usernames":["root"]}}`, "/connection_rules", "no SSH or RDP"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for where, req := range map[string][2]string{
				"reusable create":   {"POST", acct + "/access/policies"},
				"reusable update":   {"PUT", acct + "/access/policies/" + reusable},
				"app policy create": {"POST", acct + "/access/apps/" + app + "/policies"},
			} {
				r := env.Do(req[0], req[1], env.Token, `{`+rules+`,`+tc.field+`}`)
				checkRefused(t, where, r, tc.pointer, tc.words)
			}
			if tc.pointer == "" {
				return // a type error: decoded before any policy item is looked at
			}
			inline := env.Do("PUT", acct+"/access/apps/"+app, env.Token, `{"policies":[{`+rules+`,`+tc.field+`}]}`)
			checkRefused(t, "inline", inline, "/policies/0"+tc.pointer, tc.words)
		})
	}
	// A per-app override on a reusable policy's link asks for the same
	// steps in Cloudflare: refused too, not silently dropped.
	r := env.Do("PUT", acct+"/access/apps/"+app, env.Token, `{"policies":[{"id":"`+reusable+`","approval_required":true}]}`)
	checkRefused(t, "reusable link", r, "/policies/0/approval_required", "approval by an administrator")
	if got := resultOf(t, env.Do("GET", acct+"/access/policies/"+reusable, env.Token, nil), 200); got["approval_required"] != nil {
		t.Errorf("the refused policy was stored with approval_required: %v", got)
	}
}

func checkRefused(t *testing.T, where string, r apptest.Response, pointer, words string) {
	t.Helper()
	body := string(r.Body)
	if r.Status != 400 || !strings.Contains(body, words) || (pointer != "" && !strings.Contains(body, `"pointer":"`+pointer+`"`)) {
		t.Errorf("%s: %d %s, want 400 naming %q at %q", where, r.Status, body, words, pointer)
	}
}

// mfa_config and connection_rules sent as null (what a client that knows
// the fields sends when they are unset) are accepted and not stored.
func TestPolicyFeaturesNullAccepted(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	r := env.Do("POST", "/accounts/"+env.AccountID+"/access/policies", env.Token,
		`{"name":"P","decision":"allow","include":[{"everyone":{}}],"mfa_config":null,"connection_rules":null}`)
	if r.Status != 201 || strings.Contains(string(r.Body), "mfa_config") || strings.Contains(string(r.Body), "connection_rules") {
		t.Errorf("null mfa_config and connection_rules: %d %s", r.Status, r.Body)
	}
}
