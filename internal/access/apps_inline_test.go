package access_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/internal/apptest"
)

// TestApplicationInlinePolicies: a self-hosted app's policies list may hold
// inline policies (the policy's fields, no id), as Cloudflare accepts and
// the Terraform provider sends them (issue 11). They are created scoped to
// the app and returned with ids and precedence; a later PUT updates them by
// id, and removes those it leaves out. Every change is audited.
func TestApplicationInlinePolicies(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	c := env.Client(env.Token)
	reusable := createPolicy(t, c, env.AccountID, "Staff", "acmecorp.company")
	apps := "/accounts/" + env.AccountID + "/access/apps"

	r := env.Do("POST", apps, env.Token, `{"type":"self_hosted","name":"Wiki","domain":"wiki.acmecorp.company",
		"policies":[{"name":"Contractors","decision":"allow","include":[{"email_domain":{"domain":"contractors.example"}}]},
		{"id":"`+reusable+`","precedence":5}]}`)
	m := resultOf(t, r, 201)
	pols := policiesOf(t, m)
	if len(pols) != 2 || pols[0]["name"] != "Contractors" || pols[0]["reusable"] != false || pols[0]["precedence"] != 1.0 ||
		pols[1]["id"] != reusable || pols[1]["precedence"] != 5.0 {
		t.Fatalf("policies after create: %s", r.Body)
	}
	inline, appID := pols[0]["id"].(string), m["id"].(string)
	if !uuidForm.MatchString(inline) {
		t.Fatalf("inline policy id %q", inline)
	}
	if got := resultOf(t, env.Do("GET", apps+"/"+appID+"/policies/"+inline, env.Token, nil), 200); got["decision"] != "allow" {
		t.Errorf("the inline policy under the app: %v", got)
	}
	if page := env.Do("GET", "/accounts/"+env.AccountID+"/access/policies", env.Token, nil); strings.Contains(string(page.Body), inline) {
		t.Errorf("the inline policy is listed as reusable: %s", page.Body)
	}

	// Terraform sends the list back as it read it, with ids, plus a change.
	r = env.Do("PUT", apps+"/"+appID, env.Token, `{"policies":[{"id":"`+inline+`","precedence":1,"name":"Contractors",
		"decision":"deny","include":[{"email_domain":{"domain":"contractors.example"}}],"reusable":false,"created_at":"x"}]}`)
	pols = policiesOf(t, resultOf(t, r, 200))
	if len(pols) != 1 || pols[0]["id"] != inline || pols[0]["decision"] != "deny" {
		t.Fatalf("policies after update: %s", r.Body)
	}
	if got := resultOf(t, env.Do("GET", "/accounts/"+env.AccountID+"/access/policies/"+reusable, env.Token, nil), 200); got["app_count"] != 0.0 {
		t.Errorf("the reusable policy left out is still linked: %v", got)
	}

	// Sent again without its id (a client keeping only what it wrote), the
	// inline policy of that name is the same policy: its id stays.
	r = env.Do("PUT", apps+"/"+appID, env.Token, `{"policies":[{"name":"Contractors","decision":"deny",
		"include":[{"email_domain":{"domain":"contractors.example"}}]}]}`)
	if pols = policiesOf(t, resultOf(t, r, 200)); len(pols) != 1 || pols[0]["id"] != inline {
		t.Fatalf("policies after an id-less resend: %s", r.Body)
	}

	t.Run("refused", func(t *testing.T) {
		other := createApp(t, c, env.AccountID, selfHosted("Other", "other.acmecorp.company"))
		for _, tc := range []struct{ name, body, word string }{
			{"no decision", `{"policies":[{"name":"x","include":[{"everyone":{}}]}]}`, "/policies/0"},
			{"bad rule", `{"policies":[{"id":"` + inline + `"},{"name":"x","decision":"allow","include":[{"email":{"email":""}}]}]}`, "/policies/1"},
			{"another app's policy", `{"policies":[{"id":"` + inline + `","decision":"allow"}]}`, "not a reusable"},
			{"empty item", `{"policies":[{}]}`, "/policies/0"},
			{"precedence twice", `{"policies":[{"id":"` + reusable + `","precedence":1},{"name":"y","decision":"allow","include":[{"everyone":{}}],"precedence":1}]}`, "precedence"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				target := appID
				if tc.name == "another app's policy" {
					target = other["id"].(string)
				}
				r := env.Do("PUT", apps+"/"+target, env.Token, tc.body)
				if r.Status != 400 || !strings.Contains(string(r.Body), tc.word) {
					t.Errorf("%d %s, want 400 naming %q", r.Status, r.Body, tc.word)
				}
			})
		}
		if pols := policiesOf(t, getApp(t, c, env.AccountID, appID)); len(pols) != 1 || pols[0]["decision"] != "deny" {
			t.Errorf("refused updates changed the policies: %v", pols)
		}
	})

	// Leaving it out removes it.
	pols = policiesOf(t, resultOf(t, env.Do("PUT", apps+"/"+appID, env.Token, `{"policies":[]}`), 200))
	if len(pols) != 0 {
		t.Fatalf("policies after []: %v", pols)
	}
	if r := env.Do("GET", apps+"/"+appID+"/policies/"+inline, env.Token, nil); r.Status != 404 {
		t.Errorf("the removed inline policy: %d %s", r.Status, r.Body)
	}
	var n int
	if err := env.App.DB.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM access_policies WHERE id=$1`, inline).Scan(&n); err != nil || n != 0 {
		t.Errorf("inline policy rows left: %d %v", n, err)
	}
	for action, want := range map[string]int{"access_policy_create": 2, "access_policy_update": 1, "access_policy_delete": 1} {
		r := env.Do("GET", "/accounts/"+env.AccountID+"/audit_logs?action.type="+action, env.Token, nil)
		if got := len(arr(r.JSON(t)["result"])); got != want {
			t.Errorf("%d %s entries, want %d", got, action, want)
		}
	}
}
