package access_test

import (
	"context"
	"strings"
	"testing"

	cloudflare "github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/zero_trust"
	"github.com/google/go-cmp/cmp"

	"github.com/ssogate/ssogate/internal/apptest"
)

// dashApps returns the account's dash_sso applications (raw JSON).
func dashApps(t testing.TB, c *cloudflare.Client, account string) []map[string]any {
	t.Helper()
	page, err := c.ZeroTrust.Access.Applications.List(context.Background(), zero_trust.AccessApplicationListParams{AccountID: cloudflare.F(account)})
	if err != nil {
		t.Fatalf("list applications: %v", err)
	}
	var out []map[string]any
	for _, a := range page.Result {
		if a.Type == zero_trust.ApplicationTypeDashSSO {
			out = append(out, object(t, a.JSON.RawJSON()))
		}
	}
	return out
}

// domainsAllowed returns the email domains the SSO App's policies admit,
// checking each is an allow policy with one email_domain include rule.
func domainsAllowed(t testing.TB, app map[string]any) []string {
	t.Helper()
	var out []string
	for i, p := range policiesOf(t, app) {
		inc, _ := p["include"].([]any)
		if p["decision"] != "allow" || len(inc) != 1 {
			t.Errorf("SSO App policies[%d] = %v, want one allow rule", i, p)
			continue
		}
		rule, _ := inc[0].(map[string]any)
		ed, _ := rule["email_domain"].(map[string]any)
		d, _ := ed["domain"].(string)
		if len(rule) != 1 || d == "" {
			t.Errorf("SSO App policies[%d].include[0] = %v, want {\"email_domain\":{\"domain\":…}}", i, rule)
		}
		out = append(out, d)
	}
	return out
}

// TestSSOAppFollowsConnectors: the account's "SSO App" (dash_sso) is kept in
// step with its enabled SSO connectors.
func TestSSOAppFollowsConnectors(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	c := env.Client(env.Token)
	acct := env.AccountID
	createOrg(t, c, acct, "acme")
	createIdP(t, c, acct, "authentik")
	first := verifiedConnector(t, env, c, acct, "acmecorp.company")
	second := verifiedConnector(t, env, c, acct, "acmecorp.dev")
	if apps := dashApps(t, c, acct); len(apps) != 0 {
		t.Fatalf("an SSO App exists before any connector is enabled: %v", apps)
	}

	res := setConnector(t, c, acct, first, true)
	if msgs, _ := res["messages"].([]any); len(msgs) != 0 {
		t.Errorf("messages on a plain enable: %v", msgs)
	}
	apps := dashApps(t, c, acct)
	if len(apps) != 1 {
		t.Fatalf("%d dash_sso apps after enabling, want 1: %v", len(apps), apps)
	}
	app := apps[0]
	checkApp(t, app)
	appID := app["id"].(string)
	if app["name"] != "SSO App" || !launcherVisible(t, env, acct, app) || app["domain"] != "acme.access.localhost" {
		t.Errorf("SSO App: %v", app)
	}
	if diff := cmp.Diff([]string{"acmecorp.company"}, domainsAllowed(t, app)); diff != "" {
		t.Errorf("domains (-want +got):\n%s", diff)
	}
	if p := policiesOf(t, app)[0]; !isArray(p["exclude"]) || !isArray(p["require"]) {
		t.Errorf("policy exclude/require not arrays: %v", p)
	}

	setConnector(t, c, acct, second, true)
	apps = dashApps(t, c, acct)
	if len(apps) != 1 || apps[0]["id"] != appID {
		t.Fatalf("a second connector changed the SSO App set: %v", apps)
	}
	if diff := cmp.Diff([]string{"acmecorp.company", "acmecorp.dev"}, domainsAllowed(t, apps[0])); diff != "" {
		t.Errorf("domains (-want +got):\n%s", diff)
	}

	setConnector(t, c, acct, first, false)
	apps = dashApps(t, c, acct)
	if len(apps) != 1 || !launcherVisible(t, env, acct, apps[0]) {
		t.Fatalf("after disabling one connector: %v", apps)
	}
	if diff := cmp.Diff([]string{"acmecorp.dev"}, domainsAllowed(t, apps[0])); diff != "" {
		t.Errorf("domains (-want +got):\n%s", diff)
	}

	setConnector(t, c, acct, second, false)
	apps = dashApps(t, c, acct)
	if len(apps) != 1 || apps[0]["id"] != appID {
		t.Fatalf("after disabling every connector: %v", apps)
	}
	if launcherVisible(t, env, acct, apps[0]) || len(policiesOf(t, apps[0])) != 0 {
		t.Errorf("the SSO App of an account without enabled connectors is shown or admits someone: %v", apps[0])
	}

	// Enabling again shows the same app again, with one policy.
	setConnector(t, c, acct, first, true)
	apps = dashApps(t, c, acct)
	if len(apps) != 1 || apps[0]["id"] != appID || !launcherVisible(t, env, acct, apps[0]) {
		t.Fatalf("after enabling again: %v", apps)
	}
	if diff := cmp.Diff([]string{"acmecorp.company"}, domainsAllowed(t, apps[0])); diff != "" {
		t.Errorf("domains (-want +got):\n%s", diff)
	}
	// Enabling what is enabled changes nothing.
	setConnector(t, c, acct, first, true)
	if got := domainsAllowed(t, dashApps(t, c, acct)[0]); len(got) != 1 {
		t.Errorf("a repeated enable added a policy: %v", got)
	}
}

// TestSSOAppFollowsState: the SSO App follows the state, not the moment.
// A connector enabled before the organization exists gets its SSO App when
// the organization is created; identity providers created or deleted later
// change nothing but the providers offered (allowed_idps stays empty: all
// of the account's); the app cannot be deleted while SSO is enforced.
func TestSSOAppFollowsState(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	c := env.Client(env.Token)
	acct := env.AccountID
	id := verifiedConnector(t, env, c, acct, "globex.company")

	res := setConnector(t, c, acct, id, true)
	all := messages(res)
	if !strings.Contains(all, "No SSO App yet") || !strings.Contains(all, "organization") ||
		strings.Contains(all, "disable and enable") {
		t.Errorf("messages %q do not say the SSO App comes with the organization", all)
	}
	if apps := dashApps(t, c, acct); len(apps) != 0 {
		t.Errorf("dash_sso apps without an organization: %v", apps)
	}

	createOrg(t, c, acct, "globex")
	apps := dashApps(t, c, acct)
	if len(apps) != 1 || !launcherVisible(t, env, acct, apps[0]) || apps[0]["domain"] != "globex.access.localhost" {
		t.Fatalf("after creating the organization: %v", apps)
	}
	appID := apps[0]["id"].(string)
	want := func(when string) {
		t.Helper()
		apps := dashApps(t, c, acct)
		if len(apps) != 1 || apps[0]["id"] != appID || !launcherVisible(t, env, acct, apps[0]) {
			t.Fatalf("%s: %v", when, apps)
		}
		if diff := cmp.Diff([]string{"globex.company"}, domainsAllowed(t, apps[0])); diff != "" {
			t.Errorf("%s: domains (-want +got):\n%s", when, diff)
		}
		if idps, _ := apps[0]["allowed_idps"].([]any); idps == nil || len(idps) != 0 {
			t.Errorf("%s: allowed_idps = %v, want [] (every provider of the account)", when, apps[0]["allowed_idps"])
		}
	}
	want("after creating the organization")

	first := createIdP(t, c, acct, "authentik")
	createIdP(t, c, acct, "backup")
	want("after creating identity providers")
	if _, err := c.ZeroTrust.IdentityProviders.Delete(context.Background(), first,
		zero_trust.IdentityProviderDeleteParams{AccountID: cloudflare.F(acct)}); err != nil {
		t.Fatalf("delete identity provider: %v", err)
	}
	want("after deleting one")

	// The app cannot be deleted while the connector enforces SSO.
	r := env.Do("DELETE", "/accounts/"+acct+"/access/apps/"+appID, env.Token, nil)
	if r.Status != 400 || !strings.Contains(string(r.Body), "disable the SSO connector") {
		t.Fatalf("delete the SSO App of an enabled connector: %d %s", r.Status, r.Body)
	}
	want("after a refused delete")

	// Disabling needs no note; the app is hidden and admits nobody.
	res = setConnector(t, c, acct, id, false)
	if msgs, _ := res["messages"].([]any); len(msgs) != 0 {
		t.Errorf("messages on disable: %v", msgs)
	}
	apps = dashApps(t, c, acct)
	if len(apps) != 1 || launcherVisible(t, env, acct, apps[0]) || len(policiesOf(t, apps[0])) != 0 {
		t.Errorf("after disabling: %v", apps)
	}
	if r := env.Do("DELETE", "/accounts/"+acct+"/access/apps/"+appID, env.Token, nil); r.Status != 200 {
		t.Fatalf("delete the SSO App once SSO is off: %d %s", r.Status, r.Body)
	}
	// Enabling again makes a new one.
	setConnector(t, c, acct, id, true)
	if apps := dashApps(t, c, acct); len(apps) != 1 || apps[0]["id"] == appID {
		t.Fatalf("after enabling again: %v", apps)
	}
}

// messages joins the envelope's messages.
func messages(env map[string]any) string {
	msgs, _ := env["messages"].([]any)
	var text []string
	for _, m := range msgs {
		mm, _ := m.(map[string]any)
		s, _ := mm["message"].(string)
		text = append(text, s)
	}
	return strings.Join(text, " ")
}

// launcherVisible reads whether the SSO App is shown in the launcher: the
// API does not return app_launcher_visible for dash_sso (Cloudflare's
// per-type fields; issue 11), ssogate keeps it.
func launcherVisible(t testing.TB, env *apptest.Env, account string, app map[string]any) bool {
	t.Helper()
	a, err := env.App.Access.GetApp(context.Background(), account, app["id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	return a.AppLauncherVisible
}
