package access_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	cloudflare "github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/iam"
	"github.com/cloudflare/cloudflare-go/v6/zero_trust"
	"github.com/google/go-cmp/cmp"

	"github.com/ssogate/ssogate/internal/apptest"
)

// TestOrganizationLifecycle drives the account's Access organization
// through get-before-create, create, get and a merging update with the SDK
// (cloudflare-api.md §7), asserting the wire shape on the way.
func TestOrganizationLifecycle(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	ctx := context.Background()
	c := env.Client(env.Token)
	acct := cloudflare.F(env.AccountID)

	_, err := c.ZeroTrust.Organizations.List(ctx, zero_trust.OrganizationListParams{AccountID: acct})
	wantError(t, err, 404, "POST")

	var resp *http.Response
	created, err := c.ZeroTrust.Organizations.New(ctx, zero_trust.OrganizationNewParams{AccountID: acct,
		Name: cloudflare.F("Acme Corp"), AuthDomain: cloudflare.F("Acme.Access.Localhost.")}, status(&resp))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if resp.StatusCode != 201 {
		t.Errorf("create status %d, want 201", resp.StatusCode)
	}
	m := object(t, created.JSON.RawJSON())
	want := map[string]any{"name": "Acme Corp", "auth_domain": "acme.access.localhost", "session_duration": "24h",
		"auto_redirect_to_identity": false, "is_ui_read_only": false}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("create %s = %v, want %v", k, m[k], v)
		}
	}
	if !isTime(m["created_at"]) || !isTime(m["updated_at"]) {
		t.Errorf("created_at %v, updated_at %v: want RFC 3339 UTC times", m["created_at"], m["updated_at"])
	}
	if _, ok := m["account_id"]; ok {
		t.Errorf("the organization shows account_id: %s", created.JSON.RawJSON())
	}

	got, err := c.ZeroTrust.Organizations.List(ctx, zero_trust.OrganizationListParams{AccountID: acct})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if diff := cmp.Diff(m, object(t, got.JSON.RawJSON())); diff != "" {
		t.Errorf("get differs from create (-create +get):\n%s", diff)
	}

	updated, err := c.ZeroTrust.Organizations.Update(ctx, zero_trust.OrganizationUpdateParams{AccountID: acct,
		SessionDuration: cloudflare.F("12h")})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	um := object(t, updated.JSON.RawJSON())
	if um["session_duration"] != "12h" {
		t.Errorf("session_duration = %v, want 12h", um["session_duration"])
	}
	for k := range m {
		if k != "session_duration" && k != "updated_at" && !cmp.Equal(m[k], um[k]) {
			t.Errorf("update changed %s: %v -> %v", k, m[k], um[k])
		}
	}
	if diff := cmp.Diff(keys(m), keys(um)); diff != "" {
		t.Errorf("update keys differ (-create +update):\n%s", diff)
	}
	got, err = c.ZeroTrust.Organizations.List(ctx, zero_trust.OrganizationListParams{AccountID: acct})
	if err != nil || got.SessionDuration != "12h" || got.AuthDomain != "acme.access.localhost" || got.Name != "Acme Corp" {
		t.Errorf("get after update: %v %s", err, got.JSON.RawJSON())
	}

	t.Run("bare team name", func(t *testing.T) {
		other, token := env.NewAccount("Globex")
		o := createOrg(t, env.Client(token), other, "globex")
		if o.AuthDomain != "globex.access.localhost" {
			t.Errorf("auth_domain = %q, want globex.access.localhost", o.AuthDomain)
		}
	})
}

// TestOrganizationRefused covers the 400s of create and update: each names
// the field at fault.
func TestOrganizationRefused(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	ctx := context.Background()
	c := env.Client(env.Token)
	acct := cloudflare.F(env.AccountID)

	for _, tc := range []struct {
		name   string
		params zero_trust.OrganizationNewParams
		words  []string
	}{
		{"no auth_domain", zero_trust.OrganizationNewParams{AccountID: acct, Name: cloudflare.F("Acme")}, []string{"auth_domain"}},
		{"no name", zero_trust.OrganizationNewParams{AccountID: acct, AuthDomain: cloudflare.F("acme")}, []string{"name"}},
		{"bad auth_domain", zero_trust.OrganizationNewParams{AccountID: acct, Name: cloudflare.F("Acme"),
			AuthDomain: cloudflare.F("acme_corp!.access.localhost")}, []string{"auth_domain", "/auth_domain"}},
		{"foreign auth_domain", zero_trust.OrganizationNewParams{AccountID: acct, Name: cloudflare.F("Acme"),
			AuthDomain: cloudflare.F("acme.cloudflareaccess.com")}, []string{"/auth_domain"}},
		{"bad session_duration", zero_trust.OrganizationNewParams{AccountID: acct, Name: cloudflare.F("Acme"),
			AuthDomain: cloudflare.F("acme"), SessionDuration: cloudflare.F("forever")}, []string{"session_duration", "/session_duration"}},
	} {
		t.Run("create "+tc.name, func(t *testing.T) {
			_, err := c.ZeroTrust.Organizations.New(ctx, tc.params)
			wantError(t, err, 400, tc.words...)
		})
	}
	_, err := c.ZeroTrust.Organizations.List(ctx, zero_trust.OrganizationListParams{AccountID: acct})
	wantError(t, err, 404) // nothing was created by the refused requests

	createOrg(t, c, env.AccountID, "acme")

	t.Run("second create", func(t *testing.T) {
		_, err := c.ZeroTrust.Organizations.New(ctx, zero_trust.OrganizationNewParams{AccountID: acct,
			Name: cloudflare.F("Again"), AuthDomain: cloudflare.F("again")})
		wantError(t, err, 400, "PUT")
	})
	t.Run("team domain of another account", func(t *testing.T) {
		other, token := env.NewAccount("Other")
		oc := env.Client(token)
		_, err := oc.ZeroTrust.Organizations.New(ctx, zero_trust.OrganizationNewParams{AccountID: cloudflare.F(other),
			Name: cloudflare.F("Copycat"), AuthDomain: cloudflare.F("acme.access.localhost")})
		wantError(t, err, 400, "acme.access.localhost", "taken")
		// Moving an existing organization onto the taken domain is refused too.
		createOrg(t, oc, other, "other")
		_, err = oc.ZeroTrust.Organizations.Update(ctx, zero_trust.OrganizationUpdateParams{AccountID: cloudflare.F(other),
			AuthDomain: cloudflare.F("acme")})
		wantError(t, err, 400, "taken")
	})
	for _, tc := range []struct {
		name   string
		params zero_trust.OrganizationUpdateParams
		words  []string
	}{
		{"bad auth_domain", zero_trust.OrganizationUpdateParams{AccountID: acct, AuthDomain: cloudflare.F("-acme-")}, []string{"/auth_domain"}},
		{"bad session_duration", zero_trust.OrganizationUpdateParams{AccountID: acct, SessionDuration: cloudflare.F("1s")}, []string{"/session_duration", "session_duration"}},
		{"empty name", zero_trust.OrganizationUpdateParams{AccountID: acct, Name: cloudflare.F(" ")}, []string{"/name"}},
	} {
		t.Run("update "+tc.name, func(t *testing.T) {
			_, err := c.ZeroTrust.Organizations.Update(ctx, tc.params)
			wantError(t, err, 400, tc.words...)
		})
	}
	o, err := c.ZeroTrust.Organizations.List(ctx, zero_trust.OrganizationListParams{AccountID: acct})
	if err != nil || o.AuthDomain != "acme.access.localhost" || o.SessionDuration != "24h" || o.Name != "acme" {
		t.Errorf("refused updates changed the organization: %v %s", err, o.JSON.RawJSON())
	}
}

// TestOrganizationDomainLockedBySSO: while an SSO connector exists the
// team domain cannot move (dashboard SSO signs in through it); other
// fields still can.
func TestOrganizationDomainLockedBySSO(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	ctx := context.Background()
	c := env.Client(env.Token)
	acct := cloudflare.F(env.AccountID)
	createOrg(t, c, env.AccountID, "acme")

	// Without a connector the team domain may move.
	o, err := c.ZeroTrust.Organizations.Update(ctx, zero_trust.OrganizationUpdateParams{AccountID: acct, AuthDomain: cloudflare.F("acme2")})
	if err != nil || o.AuthDomain != "acme2.access.localhost" {
		t.Fatalf("move team domain: %v %s", err, o.JSON.RawJSON())
	}

	if _, err := c.IAM.SSO.New(ctx, iam.SSONewParams{AccountID: acct, EmailDomain: cloudflare.F("acmecorp.company")}); err != nil {
		t.Fatalf("create connector: %v", err)
	}
	_, err = c.ZeroTrust.Organizations.Update(ctx, zero_trust.OrganizationUpdateParams{AccountID: acct, AuthDomain: cloudflare.F("acme3")})
	wantError(t, err, 400, "auth_domain_cannot_be_updated_dash_sso", "/auth_domain")

	// Sending the current domain back is not a change.
	o, err = c.ZeroTrust.Organizations.Update(ctx, zero_trust.OrganizationUpdateParams{AccountID: acct,
		AuthDomain: cloudflare.F("acme2.access.localhost"), Name: cloudflare.F("Acme Corp")})
	if err != nil || o.Name != "Acme Corp" || o.AuthDomain != "acme2.access.localhost" {
		t.Errorf("update with the same domain: %v %s", err, o.JSON.RawJSON())
	}
}

// TestOrganizationMoveKeepsTeamApps: the App Launcher and the SSO App live
// on the team domain, so moving the team domain moves them too.
func TestOrganizationMoveKeepsTeamApps(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	ctx := context.Background()
	c := env.Client(env.Token)
	acct := cloudflare.F(env.AccountID)
	createOrg(t, c, env.AccountID, "acme")
	launcher := createApp(t, c, env.AccountID, zero_trust.AccessApplicationNewParamsBodyAppLauncherApplication{
		Type: cloudflare.F(zero_trust.AccessApplicationNewParamsBodyAppLauncherApplicationTypeAppLauncher)})
	dash := createApp(t, c, env.AccountID, zero_trust.AccessApplicationNewParamsBody{Type: cloudflare.F(zero_trust.ApplicationTypeDashSSO)})

	if _, err := c.ZeroTrust.Organizations.Update(ctx, zero_trust.OrganizationUpdateParams{AccountID: acct,
		AuthDomain: cloudflare.F("acme2")}); err != nil {
		t.Fatalf("move team domain: %v", err)
	}
	for _, a := range []map[string]any{launcher, dash} {
		if got := getApp(t, c, env.AccountID, a["id"].(string)); got["domain"] != "acme2.access.localhost" {
			t.Errorf("%v domain after the move = %v, want acme2.access.localhost", a["type"], got["domain"])
		}
	}
	page, err := c.ZeroTrust.Access.Applications.List(ctx, zero_trust.AccessApplicationListParams{AccountID: acct,
		Domain: cloudflare.F("acme.access.localhost")})
	if err != nil || len(page.Result) != 0 {
		t.Errorf("applications still on the old team domain: %v %s", err, page.JSON.RawJSON())
	}
}

// TestOrganizationPutCreates: PUT on an account without an organization
// creates it, as Cloudflare's does and as the Terraform provider expects
// (it creates the organization with PUT only; issue 11); the creation is
// audited as one. A PUT that could not create it says what is missing.
func TestOrganizationPutCreates(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	path := "/accounts/" + env.AccountID + "/access/organizations"

	r := env.Do("PUT", path, env.Token, `{"session_duration":"12h"}`)
	if r.Status != 400 || !strings.Contains(string(r.Body), "name and auth_domain are required") {
		t.Fatalf("PUT without name on a fresh account: %d %s", r.Status, r.Body)
	}
	r = env.Do("PUT", path, env.Token, `{"name":"Acme","auth_domain":"acme","warp_auth_non_browser_401":true}`)
	m := resultOf(t, r, 200)
	if m["auth_domain"] != "acme.access.localhost" || m["warp_auth_non_browser_401"] != true {
		t.Errorf("PUT-created organization: %s", r.Body)
	}
	r = env.Do("PUT", path, env.Token, `{"name":"Acme Corp"}`)
	if m := resultOf(t, r, 200); m["name"] != "Acme Corp" || m["auth_domain"] != "acme.access.localhost" {
		t.Errorf("second PUT merges: %s", r.Body)
	}
	for action, want := range map[string]int{"access_organization_create": 1, "access_organization_update": 1} {
		r := env.Do("GET", "/accounts/"+env.AccountID+"/audit_logs?action.type="+action, env.Token, nil)
		if n := len(arr(r.JSON(t)["result"])); n != want {
			t.Errorf("%d %s entries, want %d", n, action, want)
		}
	}
}

// TestOrganizationAlwaysReturned: the booleans Cloudflare always returns
// are present on an organization created with the smallest body.
func TestOrganizationAlwaysReturned(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	createOrg(t, env.Client(env.Token), env.AccountID, "acme")
	m := resultOf(t, env.Do("GET", "/accounts/"+env.AccountID+"/access/organizations", env.Token, nil), 200)
	for _, k := range []string{"allow_authenticate_via_warp", "auto_redirect_to_identity", "is_ui_read_only",
		"warp_auth_non_browser_401", "deny_unmatched_requests", "mfa_required_for_all_apps"} {
		if m[k] != false {
			t.Errorf("%s = %v, want false", k, m[k])
		}
	}
}
