package dashboard_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/internal/accounts"
	"github.com/ssogate/ssogate/internal/apptest"
	"github.com/ssogate/ssogate/internal/tokens"
)

// pageAction is one thing a member does on a page, and the same thing
// through the API.
type pageAction struct {
	name        string
	page        string // the page offering the form, under /<account>
	post        string // the form's action, under /<account>
	method, api string // the API request, under /accounts/<account>
	body        any
	needs       string // the permission group the API route needs
}

// fixtures are what the actions act on, made with the bootstrap token.
type fixtures struct {
	enforced, verified, pending, token, member, policy string
}

func newFixtures(t *testing.T, env *apptest.Env) fixtures {
	t.Helper()
	acct := "/accounts/" + env.AccountID
	var f fixtures
	f.enforced = enforceSSO(t, env, env.AccountID, env.Token, "acme", "enforced.company")
	connector := func(domain string) string {
		r := env.Do("POST", acct+"/sso_connectors", env.Token, map[string]string{"email_domain": domain})
		if r.Status != http.StatusOK {
			t.Fatalf("create connector %s: %d %s", domain, r.Status, r.Body)
		}
		res := r.JSON(t)["result"].(map[string]any)
		env.Publish(domain, res["verification"].(map[string]any)["code"].(string))
		return res["id"].(string)
	}
	f.verified, f.pending = connector("verified.company"), connector("pending.company")
	if r := env.Do("POST", acct+"/sso_connectors/"+f.verified+"/begin_verification", env.Token, nil); r.Status != http.StatusOK {
		t.Fatalf("verify: %d %s", r.Status, r.Body)
	}
	v, err := env.App.Tokens.Create(context.Background(), env.AccountID, input(env.AccountID, tokens.SSORead), nil)
	if err != nil {
		t.Fatal(err)
	}
	f.token = v.ID
	f.member = addMember(t, env, env.AccountID, "someone@corp.example.com", "", accounts.RoleReadOnly).ID
	r := env.Do("POST", acct+"/access/policies", env.Token, `{"name":"staff","decision":"allow","include":[{"everyone":{}}]}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("policy: %d %s", r.Status, r.Body)
	}
	f.policy = r.JSON(t)["result"].(map[string]any)["id"].(string)
	return f
}

// actions lists every form of the account pages that changes something.
// Their order matters where they act on the same fixture (check, then
// delete).
func actions(acct string, f fixtures) []pageAction {
	role := func(name string) []string { r, _ := accounts.RoleByName(name); return []string{r.ID} }
	ssoRead, _ := tokens.GroupByName(tokens.SSORead)
	return []pageAction{
		{"add an SSO connector", "/sso", "/sso", "POST", "/sso_connectors", map[string]string{"email_domain": "api-new.company"}, tokens.SSOWrite},
		{"check a connector", "/sso", "/sso/" + f.pending + "/check", "POST", "/sso_connectors/" + f.pending + "/begin_verification", nil, tokens.SSOWrite},
		{"disable SSO", "/sso", "/sso/" + f.enforced + "/disable", "PATCH", "/sso_connectors/" + f.enforced, map[string]bool{"enabled": false}, tokens.SSOWrite},
		{"enable SSO", "/sso", "/sso/" + f.verified + "/enable", "PATCH", "/sso_connectors/" + f.verified, map[string]bool{"enabled": true}, tokens.SSOWrite},
		{"delete a connector", "/sso", "/sso/" + f.pending + "/delete", "DELETE", "/sso_connectors/" + f.pending, nil, tokens.SSOWrite},
		{"create a token", "/api-tokens/new", "/api-tokens", "POST", "/tokens", map[string]any{"name": "api",
			"policies": []any{map[string]any{"effect": "allow", "permission_groups": []any{map[string]string{"id": ssoRead.ID}},
				"resources": map[string]string{tokens.AccountScope + "." + acct: "*"}}}}, tokens.TokensWrite},
		{"roll a token", "/api-tokens", "/api-tokens/" + f.token + "/roll", "PUT", "/tokens/" + f.token + "/value", map[string]any{}, tokens.TokensWrite},
		{"disable a token", "/api-tokens", "/api-tokens/" + f.token + "/status", "PUT", "/tokens/" + f.token, map[string]string{"status": "disabled"}, tokens.TokensWrite},
		{"delete a token", "/api-tokens", "/api-tokens/" + f.token + "/delete", "DELETE", "/tokens/" + f.token, nil, tokens.TokensWrite},
		{"add a member", "/members", "/members", "POST", "/members", map[string]any{"email": "new@corp.example.com", "roles": role(accounts.RoleReadOnly)}, tokens.MembersWrite},
		{"change a role", "/members", "/members/" + f.member + "/role", "PUT", "/members/" + f.member, map[string]any{"roles": role(accounts.RoleAdmin)}, tokens.MembersWrite},
		{"remove a member", "/members", "/members/" + f.member + "/remove", "DELETE", "/members/" + f.member, nil, tokens.MembersWrite},
		{"rename the organization", "/access", "/access/organization", "PUT", "/access/organizations", map[string]string{"name": "Acme 2", "auth_domain": "acme"}, tokens.AccessOrgWrite},
		{"add an identity provider", "/access/identity-providers/new?type=oidc", "/access/identity-providers", "POST", "/access/identity_providers",
			map[string]any{"name": "idp", "type": "oidc", "config": map[string]any{"client_id": "c", "client_secret": "s",
				"auth_url": "https://idp.example/a", "token_url": "https://idp.example/t", "certs_url": "https://idp.example/k"}}, tokens.AccessOrgWrite},
		{"add a policy", "/access/policies/new", "/access/policies", "POST", "/access/policies",
			map[string]any{"name": "p", "decision": "allow", "include": []any{map[string]any{"everyone": map[string]any{}}}}, tokens.AccessAppsWrite},
		{"add an application", "/access/apps/new?type=self_hosted", "/access/apps", "POST", "/access/apps",
			map[string]any{"type": "self_hosted", "name": "app", "domain": "app.corp.example.com", "policies": []string{f.policy}}, tokens.AccessAppsWrite},
	}
}

// TestPagesOfferWhatTheAPIAllows: for every role and every action, the
// page shows the action's form iff the role table allows the group its API
// route needs iff a token with everything the role holds is allowed it;
// a form the page does not show is refused when posted anyway, with a
// message, and changes nothing.
func TestPagesOfferWhatTheAPIAllows(t *testing.T) {
	for _, role := range accounts.Roles() {
		t.Run(slug(role.Name), func(t *testing.T) {
			env := apptest.New(t)
			f := newFixtures(t, env)
			b := signInAs(t, env, role.Name)
			roleToken := tokenForRole(t, env, b, role.Name)
			checkSSONote(t, env, b, role.Name)
			acct := "/" + env.AccountID
			for _, a := range actions(env.AccountID, f) {
				want := accounts.RoleGrants(role.Name).Allows(a.needs, env.AccountID)
				page := b.get(acct + a.page)
				shown := page.Status == http.StatusOK && strings.Contains(page.Body, `action="`+acct+a.post+`"`)
				if shown != want {
					t.Errorf("%s: the page %s the form; the role table says %v (%s)", a.name, map[bool]string{true: "shows", false: "hides"}[shown], want, a.needs)
				}
				if !shown {
					before := state(t, env)
					p := b.post(acct+a.post, nil)
					if msg := errorText(p.Body); p.Status != http.StatusForbidden || !strings.Contains(msg, a.needs) || !strings.Contains(msg, "Ask ") {
						t.Errorf("%s posted anyway: %d %q, want 403 naming %s and whom to ask", a.name, p.Status, msg, a.needs)
					}
					if after := state(t, env); after != before {
						t.Errorf("%s: the refused form changed the account:\n%s\n→\n%s", a.name, before, after)
					}
				}
				r := env.Do(a.method, "/accounts/"+env.AccountID+a.api, roleToken, a.body)
				if allowed := r.Status != http.StatusForbidden; allowed != shown || (allowed && r.Status >= 300) {
					t.Errorf("%s through the API with everything the role holds: %d %s; the page %v the form", a.name, r.Status, r.Body,
						map[bool]string{true: "shows", false: "hides"}[shown])
				}
			}
		})
	}
}

// checkSSONote: a member who may not change SSO is told so on the SSO
// page, with the permission it takes and whom to ask; others are not.
func checkSSONote(t *testing.T, env *apptest.Env, b *browser, role string) {
	t.Helper()
	body := b.get("/" + env.AccountID + "/sso").Body
	note := strings.Contains(body, `id="sso-read-only"`)
	if may := accounts.RoleGrants(role).Allows(tokens.SSOWrite, env.AccountID); note == may {
		t.Errorf("the SSO page's read-only note shown=%v to a role that may change SSO=%v", note, may)
	}
	if note && (!strings.Contains(body, "SSO Connector Write") || !strings.Contains(body, "Ask a Super Administrator")) {
		t.Errorf("the read-only note does not say what it takes and whom to ask: %s", body)
	}
}

// state summarises the account through the API, leaving out what reading
// it changes (last_used_on).
func state(t *testing.T, env *apptest.Env) string {
	t.Helper()
	var sb strings.Builder
	for _, p := range []string{"/sso_connectors", "/tokens?per_page=50", "/members", "/access/identity_providers",
		"/access/apps", "/access/policies"} {
		r := env.Do("GET", "/accounts/"+env.AccountID+p, env.Token, nil)
		items, _ := r.JSON(t)["result"].([]any)
		for _, it := range items {
			m := it.(map[string]any)
			fmt.Fprintf(&sb, "%s %v %v %v %v %v %v %v\n", p, m["id"], m["name"], m["status"], m["enabled"], m["modified_on"],
				m["verification"], m["roles"])
		}
	}
	org := env.Do("GET", "/accounts/"+env.AccountID+"/access/organizations", env.Token, nil).JSON(t)["result"]
	fmt.Fprintf(&sb, "organization %v\n", org)
	return sb.String()
}

// TestTokenActionsStayWithinRole: an Administrator may roll, disable and
// delete tokens within their role, and not one holding more, such as the
// Super Administrator's lock-out recovery token (SSO Connector Write) — in
// the dashboard or with the strongest token they can mint.
func TestTokenActionsStayWithinRole(t *testing.T) {
	env := apptest.New(t)
	ctx := context.Background()
	acct := "/" + env.AccountID
	admin := signInAs(t, env, accounts.RoleAdmin)
	recovery, err := env.App.Tokens.Create(ctx, env.AccountID, input(env.AccountID, tokens.SSOWrite), nil)
	if err != nil {
		t.Fatal(err)
	}
	adminToken := tokenForRole(t, env, admin, accounts.RoleAdmin)
	list := admin.get(acct + "/api-tokens").Body
	row := regexp.MustCompile(`(?s)<tr id="token-` + recovery.ID + `">(.*?)</tr>`).FindString(list)
	if row == "" || strings.Contains(row, "<form") || !strings.Contains(row, tokens.SSOWrite) || !strings.Contains(row, "ask a Super Administrator") {
		t.Errorf("the list offers an Administrator forms on the recovery token, or does not say why not: %s", row)
	}
	for _, tc := range []struct {
		verb, post, method, api string
		form                    url.Values
		body                    any
	}{
		{"roll", "/roll", "PUT", "/value", nil, map[string]any{}},
		{"disable", "/status", "PUT", "", url.Values{"status": {"disabled"}}, map[string]string{"status": "disabled"}},
		{"delete", "/delete", "DELETE", "", nil, nil},
	} {
		t.Run(tc.verb, func(t *testing.T) {
			before := state(t, env)
			p := admin.post(acct+"/api-tokens/"+recovery.ID+tc.post, tc.form)
			if msg := errorText(p.Body); p.Status != http.StatusForbidden || !strings.Contains(msg, tokens.SSOWrite) ||
				!strings.Contains(msg, "cannot "+tc.verb) || !strings.Contains(msg, "Ask a Super Administrator") {
				t.Errorf("in the dashboard: %d %q, want 403 saying what the token holds and whom to ask", p.Status, msg)
			}
			r := env.Do(tc.method, "/accounts/"+env.AccountID+"/tokens/"+recovery.ID+tc.api, adminToken, tc.body)
			if r.Status != http.StatusForbidden || !strings.Contains(string(r.Body), tokens.SSOWrite) {
				t.Errorf("through the API: %d %s, want 403 naming %s", r.Status, r.Body, tokens.SSOWrite)
			}
			if after := state(t, env); after != before {
				t.Errorf("the refusals changed the account:\n%s\n→\n%s", before, after)
			}
			if r := env.Do("GET", "/accounts/"+env.AccountID+"/tokens/verify", recovery.Value, nil); r.Status != http.StatusOK {
				t.Errorf("the recovery token no longer works: %d %s", r.Status, r.Body)
			}
		})
	}
	// Within the role, the same forms work.
	mine, err := env.App.Tokens.Create(ctx, env.AccountID, input(env.AccountID, tokens.AccessAppsWrite), nil)
	if err != nil {
		t.Fatal(err)
	}
	admin.get(acct + "/api-tokens")
	if p := admin.post(acct+"/api-tokens/"+mine.ID+"/roll", nil); p.Status != http.StatusOK || !tokenValueRE.MatchString(p.Body) {
		t.Errorf("roll within the role: %d %q", p.Status, errorText(p.Body))
	}
	if p := admin.post(acct+"/api-tokens/"+mine.ID+"/status", url.Values{"status": {"disabled"}}); p.Status != http.StatusSeeOther {
		t.Errorf("disable within the role: %d %q", p.Status, errorText(p.Body))
	}
	if p := admin.post(acct+"/api-tokens/"+mine.ID+"/delete", nil); p.Status != http.StatusSeeOther {
		t.Errorf("delete within the role: %d %q", p.Status, errorText(p.Body))
	}
}
