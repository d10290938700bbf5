package access_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	cloudflare "github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/shared"
	"github.com/cloudflare/cloudflare-go/v6/zero_trust"
	"github.com/google/go-cmp/cmp"

	"github.com/ssogate/ssogate/internal/apptest"
)

// checkApp asserts what every application carries on the wire: a
// server-assigned UUID, a 64-hex aud, arrays (not null) and times.
func checkApp(t testing.TB, m map[string]any) {
	t.Helper()
	if id, _ := m["id"].(string); !uuidForm.MatchString(id) {
		t.Errorf("id %v is not a UUID", m["id"])
	}
	if aud, _ := m["aud"].(string); !audForm.MatchString(aud) {
		t.Errorf("aud %v is not 64 hex characters", m["aud"])
	}
	// allowed_idps and tags exist on the types that have them (issue 11:
	// a field that does not apply to a type is not returned for it).
	arrays := map[string][]string{"self_hosted": {"allowed_idps", "tags"}, "bookmark": {"tags"},
		"app_launcher": {"allowed_idps"}, "dash_sso": {"allowed_idps"}}[m["type"].(string)]
	for _, k := range append(arrays, "policies") {
		if !isArray(m[k]) {
			t.Errorf("%s = %v, want an array", k, m[k])
		}
	}
	if !isTime(m["created_at"]) || !isTime(m["updated_at"]) {
		t.Errorf("created_at %v, updated_at %v", m["created_at"], m["updated_at"])
	}
	if _, ok := m["account_id"]; ok {
		t.Errorf("the application shows account_id")
	}
}

// policiesOf returns an application's expanded policies.
func policiesOf(t testing.TB, m map[string]any) []map[string]any {
	t.Helper()
	items, ok := m["policies"].([]any)
	if !ok {
		t.Fatalf("policies = %v, want an array", m["policies"])
	}
	var out []map[string]any
	for _, it := range items {
		p, _ := it.(map[string]any)
		out = append(out, p)
	}
	return out
}

func getApp(t testing.TB, c *cloudflare.Client, account, id string) map[string]any {
	t.Helper()
	a, err := c.ZeroTrust.Access.Applications.Get(context.Background(), id, zero_trust.AccessApplicationGetParams{AccountID: cloudflare.F(account)})
	if err != nil {
		t.Fatalf("get application %s: %v", id, err)
	}
	return object(t, a.JSON.RawJSON())
}

func appCount(t testing.TB, c *cloudflare.Client, account, policyID string) any {
	t.Helper()
	p, err := c.ZeroTrust.Access.Policies.Get(context.Background(), policyID, zero_trust.AccessPolicyGetParams{AccountID: cloudflare.F(account)})
	if err != nil {
		t.Fatalf("get policy %s: %v", policyID, err)
	}
	return object(t, p.JSON.RawJSON())["app_count"]
}

// TestApplicationSelfHosted: create with linked reusable policies, read,
// merge-update and delete a self-hosted application with the SDK.
func TestApplicationSelfHosted(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	ctx := context.Background()
	c := env.Client(env.Token)
	acct := cloudflare.F(env.AccountID)
	idpA := createIdP(t, c, env.AccountID, "a")
	pol1 := createPolicy(t, c, env.AccountID, "Staff", "acmecorp.company")
	pol2 := createPolicy(t, c, env.AccountID, "Contractors", "contractors.acmecorp.company")

	body := selfHosted("Admin", " App.AcmeCorp.Company/Admin/ ")
	body.AllowedIdPs = cloudflare.F([]string{idpA})
	body.AutoRedirectToIdentity = cloudflare.F(true)
	body.SessionDuration = cloudflare.F("8h")
	body.Tags = cloudflare.F([]string{"prod"})
	body.Policies = cloudflare.F([]zero_trust.AccessApplicationNewParamsBodySelfHostedApplicationPolicyUnion{
		shared.UnionString(pol1),
		zero_trust.AccessApplicationNewParamsBodySelfHostedApplicationPoliciesAccessAppPolicyLink{ID: cloudflare.F(pol2), Precedence: cloudflare.F(int64(2))},
	})
	var resp *http.Response
	created, err := c.ZeroTrust.Access.Applications.New(ctx, zero_trust.AccessApplicationNewParams{AccountID: acct, Body: body}, status(&resp))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if resp.StatusCode != 201 {
		t.Errorf("create status %d, want 201", resp.StatusCode)
	}
	m := object(t, created.JSON.RawJSON())
	checkApp(t, m)
	want := map[string]any{"type": "self_hosted", "name": "Admin", "domain": "app.acmecorp.company/admin",
		"session_duration": "8h", "allowed_idps": []any{idpA}, "auto_redirect_to_identity": true, "tags": []any{"prod"},
		"app_launcher_visible": true} // Cloudflare's default for self_hosted (issue 11)
	for k, v := range want {
		if !cmp.Equal(m[k], v) {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	if created.ID != m["id"] || created.AUD != m["aud"] || created.Domain != "app.acmecorp.company/admin" {
		t.Errorf("typed fields: id %q aud %q domain %q", created.ID, created.AUD, created.Domain)
	}
	pols := policiesOf(t, m)
	if len(pols) != 2 {
		t.Fatalf("policies: %v", m["policies"])
	}
	for i, w := range []struct {
		id, domain string
		prec       float64
	}{{pol1, "acmecorp.company", 1}, {pol2, "contractors.acmecorp.company", 2}} {
		p := pols[i]
		if p["id"] != w.id || p["decision"] != "allow" || p["precedence"] != w.prec || p["name"] == "" {
			t.Errorf("policies[%d] = %v, want id %s precedence %v", i, p, w.id, w.prec)
		}
		wantInclude := []any{map[string]any{"email_domain": map[string]any{"domain": w.domain}}}
		if diff := cmp.Diff(wantInclude, p["include"]); diff != "" {
			t.Errorf("policies[%d].include (-want +got):\n%s", i, diff)
		}
		if !isArray(p["exclude"]) || !isArray(p["require"]) {
			t.Errorf("policies[%d] exclude %v require %v: want arrays", i, p["exclude"], p["require"])
		}
	}
	id := created.ID
	if n := appCount(t, c, env.AccountID, pol1); n != 1.0 {
		t.Errorf("app_count of a linked policy = %v, want 1", n)
	}
	if diff := cmp.Diff(m, getApp(t, c, env.AccountID, id)); diff != "" {
		t.Errorf("get differs from create (-create +get):\n%s", diff)
	}

	t.Run("update merges", func(t *testing.T) {
		up, err := c.ZeroTrust.Access.Applications.Update(ctx, id, zero_trust.AccessApplicationUpdateParams{AccountID: acct,
			Body: zero_trust.AccessApplicationUpdateParamsBodySelfHostedApplication{Name: cloudflare.F("Admin console")}})
		if err != nil {
			t.Fatal(err)
		}
		um := object(t, up.JSON.RawJSON())
		checkApp(t, um)
		if um["name"] != "Admin console" {
			t.Errorf("name = %v", um["name"])
		}
		for k := range m {
			if k != "name" && k != "updated_at" && !cmp.Equal(m[k], um[k]) {
				t.Errorf("update changed %s: %v -> %v", k, m[k], um[k])
			}
		}
		if diff := cmp.Diff(um, getApp(t, c, env.AccountID, id)); diff != "" {
			t.Errorf("get differs from update (-update +get):\n%s", diff)
		}
	})
	t.Run("update replaces links when policies is sent", func(t *testing.T) {
		up, err := c.ZeroTrust.Access.Applications.Update(ctx, id, zero_trust.AccessApplicationUpdateParams{AccountID: acct,
			Body: zero_trust.AccessApplicationUpdateParamsBodySelfHostedApplication{
				Policies: cloudflare.F([]zero_trust.AccessApplicationUpdateParamsBodySelfHostedApplicationPolicyUnion{shared.UnionString(pol2)})}})
		if err != nil {
			t.Fatal(err)
		}
		pols := policiesOf(t, object(t, up.JSON.RawJSON()))
		if len(pols) != 1 || pols[0]["id"] != pol2 || pols[0]["precedence"] != 1.0 {
			t.Errorf("policies after update: %v", pols)
		}
		if n := appCount(t, c, env.AccountID, pol1); n != 0.0 {
			t.Errorf("app_count of the unlinked policy = %v, want 0", n)
		}
	})
	t.Run("type cannot change", func(t *testing.T) {
		_, err := c.ZeroTrust.Access.Applications.Update(ctx, id, zero_trust.AccessApplicationUpdateParams{AccountID: acct,
			Body: zero_trust.AccessApplicationUpdateParamsBodyBookmarkApplication{Type: cloudflare.F(zero_trust.ApplicationTypeBookmark)}})
		wantError(t, err, 400, "/type")
		if got := getApp(t, c, env.AccountID, id); got["type"] != "self_hosted" {
			t.Errorf("type = %v", got["type"])
		}
	})

	t.Run("delete removes its app-scoped policies", func(t *testing.T) {
		own, err := c.ZeroTrust.Access.Applications.Policies.New(ctx, id, zero_trust.AccessApplicationPolicyNewParams{AccountID: acct},
			appPolicyBody("Break glass", "email", map[string]any{"email": "admin@acmecorp.company"})...)
		if err != nil {
			t.Fatalf("create app-scoped policy: %v", err)
		}
		del, err := c.ZeroTrust.Access.Applications.Delete(ctx, id, zero_trust.AccessApplicationDeleteParams{AccountID: acct})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string]any{"id": id}, object(t, del.JSON.RawJSON())); diff != "" {
			t.Errorf("delete result (-want +got):\n%s", diff)
		}
		_, err = c.ZeroTrust.Access.Applications.Get(ctx, id, zero_trust.AccessApplicationGetParams{AccountID: acct})
		wantError(t, err, 404, id)
		_, err = c.ZeroTrust.Access.Applications.Delete(ctx, id, zero_trust.AccessApplicationDeleteParams{AccountID: acct})
		wantError(t, err, 404, id)
		var n int
		if err := env.App.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM access_policies WHERE id=$1`, own.ID).Scan(&n); err != nil || n != 0 {
			t.Errorf("app-scoped policy rows left: %d (%v)", n, err)
		}
		_, err = c.ZeroTrust.Access.Policies.Get(ctx, own.ID, zero_trust.AccessPolicyGetParams{AccountID: acct})
		wantError(t, err, 404)
		if n := appCount(t, c, env.AccountID, pol2); n != 0.0 {
			t.Errorf("the reusable policy linked to the deleted app has app_count %v", n)
		}
	})
	t.Run("malformed id", func(t *testing.T) {
		_, err := c.ZeroTrust.Access.Applications.Get(ctx, notAUUID, zero_trust.AccessApplicationGetParams{AccountID: acct})
		wantCode(t, err, 400, 7003)
		_, err = c.ZeroTrust.Access.Applications.Update(ctx, notAUUID, zero_trust.AccessApplicationUpdateParams{AccountID: acct,
			Body: zero_trust.AccessApplicationUpdateParamsBodySelfHostedApplication{Name: cloudflare.F("x")}})
		wantCode(t, err, 400, 7003)
		_, err = c.ZeroTrust.Access.Applications.Delete(ctx, notAUUID, zero_trust.AccessApplicationDeleteParams{AccountID: acct})
		wantCode(t, err, 400, 7003)
	})
}

// TestApplicationRefused: the 400s of create, each naming the field; none
// leaves an application behind.
func TestApplicationRefused(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	ctx := context.Background()
	c := env.Client(env.Token)
	acct := cloudflare.F(env.AccountID)
	idpA := createIdP(t, c, env.AccountID, "a")
	idpB := createIdP(t, c, env.AccountID, "b")
	pol := createPolicy(t, c, env.AccountID, "Staff", "acmecorp.company")
	other, otherToken := env.NewAccount("Other")
	oc := env.Client(otherToken)
	foreignIdP := createIdP(t, oc, other, "foreign")
	foreignPol := createPolicy(t, oc, other, "Foreign", "globex.company")
	createApp(t, c, env.AccountID, selfHosted("Taken", "taken.acmecorp.company"))

	with := func(f func(*zero_trust.AccessApplicationNewParamsBodySelfHostedApplication)) zero_trust.AccessApplicationNewParamsBodySelfHostedApplication {
		b := selfHosted("App", "app.acmecorp.company")
		f(&b)
		return b
	}
	type policyItem = zero_trust.AccessApplicationNewParamsBodySelfHostedApplicationPolicyUnion
	links := func(b *selfHostedBody, items ...policyItem) { b.Policies = cloudflare.F(items) }
	link := func(id string, prec int64) policyItem {
		return zero_trust.AccessApplicationNewParamsBodySelfHostedApplicationPoliciesAccessAppPolicyLink{ID: cloudflare.F(id), Precedence: cloudflare.F(prec)}
	}
	for _, tc := range []struct {
		name  string
		body  zero_trust.AccessApplicationNewParamsBodyUnion
		words []string
	}{
		{"another account's IdP", with(func(b *selfHostedBody) { b.AllowedIdPs = cloudflare.F([]string{foreignIdP}) }), []string{"/allowed_idps/0", foreignIdP}},
		{"unknown IdP", with(func(b *selfHostedBody) {
			b.AllowedIdPs = cloudflare.F([]string{idpA, "f174e90a-fafe-4643-bbbc-4a0ed4fc8415"})
		}), []string{"/allowed_idps/1"}},
		{"auto redirect without IdP", with(func(b *selfHostedBody) { b.AutoRedirectToIdentity = cloudflare.F(true) }), []string{"/auto_redirect_to_identity"}},
		{"auto redirect with two IdPs", with(func(b *selfHostedBody) {
			b.AutoRedirectToIdentity = cloudflare.F(true)
			b.AllowedIdPs = cloudflare.F([]string{idpA, idpB})
		}), []string{"/auto_redirect_to_identity", "exactly one"}},
		{"same domain", selfHosted("Again", "taken.acmecorp.company"), []string{"taken.acmecorp.company"}},
		{"same domain, other spelling", selfHosted("Again", "TAKEN.acmecorp.company/"), []string{"taken.acmecorp.company"}},
		{"no domain", zero_trust.AccessApplicationNewParamsBodySelfHostedApplication{Type: cloudflare.F(zero_trust.ApplicationTypeSelfHosted), Name: cloudflare.F("x")}, []string{"/domain"}},
		{"wildcard domain", selfHosted("x", "*.acmecorp.company"), []string{"/domain"}},
		{"domain with a query", selfHosted("x", "app.acmecorp.company/?a=b"), []string{"/domain"}},
		{"no name", zero_trust.AccessApplicationNewParamsBodySelfHostedApplication{Type: cloudflare.F(zero_trust.ApplicationTypeSelfHosted), Domain: cloudflare.F("x.acmecorp.company")}, []string{"/name"}},
		{"bad session_duration", with(func(b *selfHostedBody) { b.SessionDuration = cloudflare.F("a week") }), []string{"/session_duration"}},
		{"bad logo_url", with(func(b *selfHostedBody) { b.LogoURL = cloudflare.F("javascript:alert(1)") }), []string{"/logo_url"}},
		{"unknown policy", with(func(b *selfHostedBody) { links(b, shared.UnionString("f174e90a-fafe-4643-bbbc-4a0ed4fc8415")) }), []string{"/policies/0"}},
		{"another account's policy", with(func(b *selfHostedBody) { links(b, link(pol, 1), shared.UnionString(foreignPol)) }), []string{"/policies/1"}},
		{"unsupported type", zero_trust.AccessApplicationNewParamsBody{Type: cloudflare.F(zero_trust.ApplicationTypeSaaS), Name: cloudflare.F("x")}, []string{"/type"}},
		{"no type", zero_trust.AccessApplicationNewParamsBody{Name: cloudflare.F("x"), Domain: cloudflare.F("y.acmecorp.company")}, []string{"/type"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.ZeroTrust.Access.Applications.New(ctx, zero_trust.AccessApplicationNewParams{AccountID: acct, Body: tc.body})
			wantError(t, err, 400, tc.words...)
		})
	}
	t.Run("duplicate precedence among links", func(t *testing.T) {
		pol2 := createPolicy(t, c, env.AccountID, "Other staff", "acmecorp.company")
		_, err := c.ZeroTrust.Access.Applications.New(ctx, zero_trust.AccessApplicationNewParams{AccountID: acct,
			Body: with(func(b *selfHostedBody) { links(b, link(pol, 1), link(pol2, 1)) })})
		wantError(t, err, 400, "precedence")
	})
	t.Run("the same policy twice", func(t *testing.T) {
		_, err := c.ZeroTrust.Access.Applications.New(ctx, zero_trust.AccessApplicationNewParams{AccountID: acct,
			Body: with(func(b *selfHostedBody) { links(b, shared.UnionString(pol), shared.UnionString(pol)) })})
		wantError(t, err, 400, "/policies/1", pol)
	})
	t.Run("another account's self-hosted domain", func(t *testing.T) {
		_, err := oc.ZeroTrust.Access.Applications.New(ctx, zero_trust.AccessApplicationNewParams{AccountID: cloudflare.F(other),
			Body: selfHosted("Mine", "taken.acmecorp.company")})
		wantError(t, err, 400, "taken.acmecorp.company")
	})

	page, err := c.ZeroTrust.Access.Applications.List(ctx, zero_trust.AccessApplicationListParams{AccountID: acct})
	if err != nil || len(page.Result) != 1 {
		t.Fatalf("refused creates left applications: %v %s", err, page.JSON.RawJSON())
	}
	if n := appCount(t, c, env.AccountID, pol); n != 0.0 {
		t.Errorf("refused creates left links: app_count %v", n)
	}

	t.Run("auto redirect with one IdP", func(t *testing.T) {
		m := createApp(t, c, env.AccountID, with(func(b *selfHostedBody) {
			b.AutoRedirectToIdentity = cloudflare.F(true)
			b.AllowedIdPs = cloudflare.F([]string{idpB})
		}))
		if m["auto_redirect_to_identity"] != true || !cmp.Equal(m["allowed_idps"], []any{idpB}) {
			t.Errorf("created: %v", m)
		}
		id := m["id"].(string)
		for _, tc := range []struct {
			name  string
			body  zero_trust.AccessApplicationUpdateParamsBodySelfHostedApplication
			words []string
		}{
			{"second IdP", zero_trust.AccessApplicationUpdateParamsBodySelfHostedApplication{AllowedIdPs: cloudflare.F([]string{idpA, idpB})}, []string{"/auto_redirect_to_identity"}},
			{"foreign IdP", zero_trust.AccessApplicationUpdateParamsBodySelfHostedApplication{AllowedIdPs: cloudflare.F([]string{foreignIdP})}, []string{"/allowed_idps/0"}},
			{"taken domain", zero_trust.AccessApplicationUpdateParamsBodySelfHostedApplication{Domain: cloudflare.F("taken.acmecorp.company")}, []string{"taken.acmecorp.company"}},
		} {
			t.Run("update "+tc.name, func(t *testing.T) {
				_, err := c.ZeroTrust.Access.Applications.Update(ctx, id, zero_trust.AccessApplicationUpdateParams{AccountID: acct, Body: tc.body})
				wantError(t, err, 400, tc.words...)
			})
		}
		got := getApp(t, c, env.AccountID, id)
		if got["domain"] != "app.acmecorp.company" || !cmp.Equal(got["allowed_idps"], []any{idpB}) {
			t.Errorf("refused updates changed the app: %v", got)
		}
	})
}

type selfHostedBody = zero_trust.AccessApplicationNewParamsBodySelfHostedApplication

// TestApplicationSingletons: app_launcher and dash_sso need the team
// domain, live on it and are one per account.
func TestApplicationSingletons(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	ctx := context.Background()
	c := env.Client(env.Token)
	acct := cloudflare.F(env.AccountID)
	launcher := zero_trust.AccessApplicationNewParamsBodyAppLauncherApplication{
		Type: cloudflare.F(zero_trust.AccessApplicationNewParamsBodyAppLauncherApplicationTypeAppLauncher)}
	dash := zero_trust.AccessApplicationNewParamsBody{Type: cloudflare.F(zero_trust.ApplicationTypeDashSSO)}

	for _, body := range []zero_trust.AccessApplicationNewParamsBodyUnion{launcher, dash} {
		_, err := c.ZeroTrust.Access.Applications.New(ctx, zero_trust.AccessApplicationNewParams{AccountID: acct, Body: body})
		wantError(t, err, 400, "organization", "/type")
	}
	createOrg(t, c, env.AccountID, "acme")

	for _, tc := range []struct {
		typ, name string
		body      zero_trust.AccessApplicationNewParamsBodyUnion
	}{{"app_launcher", "App Launcher", launcher}, {"dash_sso", "SSO App", dash}} {
		t.Run(tc.typ, func(t *testing.T) {
			var resp *http.Response
			a, err := c.ZeroTrust.Access.Applications.New(ctx, zero_trust.AccessApplicationNewParams{AccountID: acct, Body: tc.body}, status(&resp))
			if err != nil {
				t.Fatal(err)
			}
			m := object(t, a.JSON.RawJSON())
			checkApp(t, m)
			if resp.StatusCode != 201 || m["type"] != tc.typ || m["domain"] != "acme.access.localhost" || m["name"] != tc.name {
				t.Errorf("created (%d): %s", resp.StatusCode, a.JSON.RawJSON())
			}
			got := getApp(t, c, env.AccountID, a.ID)
			if got["domain"] != "acme.access.localhost" || got["type"] != tc.typ {
				t.Errorf("get: %v", got)
			}
			_, err = c.ZeroTrust.Access.Applications.New(ctx, zero_trust.AccessApplicationNewParams{AccountID: acct, Body: tc.body})
			wantError(t, err, 400, "/type", tc.typ)
			// An update cannot move it off the team domain either.
			up, err := c.ZeroTrust.Access.Applications.Update(ctx, a.ID, zero_trust.AccessApplicationUpdateParams{AccountID: acct,
				Body: zero_trust.AccessApplicationUpdateParamsBodySelfHostedApplication{Domain: cloudflare.F("elsewhere.acmecorp.company"), SessionDuration: cloudflare.F("1h")}})
			if err != nil {
				t.Fatal(err)
			}
			if um := object(t, up.JSON.RawJSON()); um["domain"] != "acme.access.localhost" || um["session_duration"] != "1h" {
				t.Errorf("update: %s", up.JSON.RawJSON())
			}
		})
	}
	t.Run("one per account, not per instance", func(t *testing.T) {
		other, token := env.NewAccount("Globex")
		oc := env.Client(token)
		createOrg(t, oc, other, "globex")
		m := createApp(t, oc, other, launcher)
		if m["domain"] != "globex.access.localhost" {
			t.Errorf("domain = %v", m["domain"])
		}
	})
	t.Run("bookmark", func(t *testing.T) {
		m := createApp(t, c, env.AccountID, zero_trust.AccessApplicationNewParamsBodyBookmarkApplication{
			Type: cloudflare.F(zero_trust.ApplicationTypeBookmark), Name: cloudflare.F("Wiki"), Domain: cloudflare.F("https://wiki.acmecorp.company")})
		checkApp(t, m)
		if m["type"] != "bookmark" || m["app_launcher_visible"] != true || m["domain"] != "https://wiki.acmecorp.company" {
			t.Errorf("bookmark: %v", m)
		}
		m = createApp(t, c, env.AccountID, zero_trust.AccessApplicationNewParamsBodyBookmarkApplication{
			Type: cloudflare.F(zero_trust.ApplicationTypeBookmark), Name: cloudflare.F("Hidden"), Domain: cloudflare.F("hidden.acmecorp.company"),
			AppLauncherVisible: cloudflare.F(false)})
		if m["app_launcher_visible"] != false {
			t.Errorf("hidden bookmark: %v", m)
		}
		_, err := c.ZeroTrust.Access.Applications.New(ctx, zero_trust.AccessApplicationNewParams{AccountID: acct,
			Body: zero_trust.AccessApplicationNewParamsBodyBookmarkApplication{Type: cloudflare.F(zero_trust.ApplicationTypeBookmark),
				Name: cloudflare.F("Bad"), Domain: cloudflare.F("ftp://files.acmecorp.company")}})
		wantError(t, err, 400, "/domain")
	})
}

// TestApplicationList: filters and page arithmetic of the list.
func TestApplicationList(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	ctx := context.Background()
	c := env.Client(env.Token)
	acct := cloudflare.F(env.AccountID)
	var ids, auds []string
	for _, n := range []string{"Alpha", "Beta", "Gamma", "Delta", "Epsilon"} {
		m := createApp(t, c, env.AccountID, selfHosted(n, strings.ToLower(n)+".acmecorp.company"))
		ids, auds = append(ids, m["id"].(string)), append(auds, m["aud"].(string))
	}

	list := func(t *testing.T, p zero_trust.AccessApplicationListParams) ([]string, map[string]any) {
		t.Helper()
		p.AccountID = acct
		page, err := c.ZeroTrust.Access.Applications.List(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		raw := object(t, page.JSON.RawJSON())
		if !isArray(raw["result"]) {
			t.Errorf("result = %v, want an array", raw["result"])
		}
		var got []string
		for _, a := range page.Result {
			got = append(got, a.ID)
			checkApp(t, object(t, a.JSON.RawJSON()))
		}
		info, _ := raw["result_info"].(map[string]any)
		return got, info
	}

	for _, tc := range []struct {
		name string
		p    zero_trust.AccessApplicationListParams
		want []string
	}{
		{"all", zero_trust.AccessApplicationListParams{}, ids},
		{"name", zero_trust.AccessApplicationListParams{Name: cloudflare.F("Beta")}, ids[1:2]},
		{"name, any case", zero_trust.AccessApplicationListParams{Name: cloudflare.F("gamma")}, ids[2:3]},
		{"domain", zero_trust.AccessApplicationListParams{Domain: cloudflare.F("delta.acmecorp.company")}, ids[3:4]},
		{"aud", zero_trust.AccessApplicationListParams{AUD: cloudflare.F(auds[4])}, ids[4:5]},
		{"name and domain disagree", zero_trust.AccessApplicationListParams{Name: cloudflare.F("Alpha"), Domain: cloudflare.F("beta.acmecorp.company")}, nil},
		{"no match", zero_trust.AccessApplicationListParams{Name: cloudflare.F("Omega")}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, info := list(t, tc.p)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			if info["total_count"] != float64(len(tc.want)) || info["count"] != float64(len(tc.want)) {
				t.Errorf("result_info %v", info)
			}
		})
	}
	for _, tc := range []struct {
		page int64
		want []string
	}{{1, ids[0:2]}, {2, ids[2:4]}, {3, ids[4:5]}, {4, nil}} {
		got, info := list(t, zero_trust.AccessApplicationListParams{PerPage: cloudflare.F(int64(2)), Page: cloudflare.F(tc.page)})
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("page %d ids (-want +got):\n%s", tc.page, diff)
		}
		wantInfo := map[string]any{"page": float64(tc.page), "per_page": 2.0, "count": float64(len(tc.want)), "total_count": 5.0, "total_pages": 3.0}
		if diff := cmp.Diff(wantInfo, info); diff != "" {
			t.Errorf("page %d result_info (-want +got):\n%s", tc.page, diff)
		}
	}
	var all []string
	iter := c.ZeroTrust.Access.Applications.ListAutoPaging(ctx, zero_trust.AccessApplicationListParams{AccountID: acct, PerPage: cloudflare.F(int64(2))})
	for iter.Next() {
		all = append(all, iter.Current().ID)
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ids, all); diff != "" {
		t.Errorf("auto-paging (-want +got):\n%s", diff)
	}
}
