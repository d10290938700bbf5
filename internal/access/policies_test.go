package access_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	cloudflare "github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/option"
	"github.com/cloudflare/cloudflare-go/v6/shared"
	"github.com/cloudflare/cloudflare-go/v6/zero_trust"
	"github.com/google/go-cmp/cmp"

	"github.com/ssogate/ssogate/internal/apptest"
)

// appPolicyBody adds what the SDK's typed app-scoped policy params lack
// (cloudflare-api.md §6.2): name, decision and one include rule.
func appPolicyBody(name, ruleType string, value map[string]any) []option.RequestOption {
	return []option.RequestOption{
		option.WithJSONSet("name", name),
		option.WithJSONSet("decision", "allow"),
		option.WithJSONSet("include", []any{map[string]any{ruleType: value}}),
	}
}

// checkPolicyShape asserts the §6.1/§6.2 wire shape shared by both kinds.
func checkPolicyShape(t testing.TB, raw string) map[string]any {
	t.Helper()
	m := object(t, raw)
	if id, _ := m["id"].(string); !uuidForm.MatchString(id) {
		t.Errorf("id %v is not a UUID", m["id"])
	}
	for _, k := range []string{"include", "exclude", "require"} {
		if !isArray(m[k]) {
			t.Errorf("%s = %v, want an array (not null): %s", k, m[k], raw)
		}
	}
	if !isTime(m["created_at"]) || !isTime(m["updated_at"]) {
		t.Errorf("created_at %v, updated_at %v: want RFC 3339 UTC times", m["created_at"], m["updated_at"])
	}
	if s, _ := m["name"].(string); s == "" {
		t.Errorf("name %v", m["name"])
	}
	if s, _ := m["decision"].(string); s == "" {
		t.Errorf("decision %v", m["decision"])
	}
	return m
}

// checkReusable adds what reusable policies carry.
func checkReusable(t testing.TB, raw string, apps int) map[string]any {
	t.Helper()
	m := checkPolicyShape(t, raw)
	if m["reusable"] != true || m["app_count"] != float64(apps) {
		t.Errorf("reusable %v app_count %v, want true and %d: %s", m["reusable"], m["app_count"], apps, raw)
	}
	return m
}

// TestReusablePolicyLifecycle: create, get, list, merge-update and delete a
// reusable policy with the SDK.
func TestReusablePolicyLifecycle(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	ctx := context.Background()
	c := env.Client(env.Token)
	acct := cloudflare.F(env.AccountID)

	var resp *http.Response
	created, err := c.ZeroTrust.Access.Policies.New(ctx, zero_trust.AccessPolicyNewParams{AccountID: acct,
		Name: cloudflare.F("Staff"), Decision: cloudflare.F(zero_trust.DecisionAllow), SessionDuration: cloudflare.F("12h"),
		Include: cloudflare.F([]zero_trust.AccessRuleUnionParam{emailDomain("acmecorp.company"), email("bob@globex.company")})}, status(&resp))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if resp.StatusCode != 201 {
		t.Errorf("create status %d, want 201", resp.StatusCode)
	}
	m := checkReusable(t, created.JSON.RawJSON(), 0)
	wantInclude := []any{
		map[string]any{"email_domain": map[string]any{"domain": "acmecorp.company"}},
		map[string]any{"email": map[string]any{"email": "bob@globex.company"}},
	}
	if diff := cmp.Diff(wantInclude, m["include"]); diff != "" {
		t.Errorf("include (-want +got):\n%s", diff)
	}
	if m["name"] != "Staff" || m["decision"] != "allow" || m["session_duration"] != "12h" {
		t.Errorf("create: %s", created.JSON.RawJSON())
	}
	if len(arr(m["exclude"])) != 0 || len(arr(m["require"])) != 0 {
		t.Errorf("exclude/require not empty: %s", created.JSON.RawJSON())
	}
	id := created.ID

	got, err := c.ZeroTrust.Access.Policies.Get(ctx, id, zero_trust.AccessPolicyGetParams{AccountID: acct})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(m, checkReusable(t, got.JSON.RawJSON(), 0)); diff != "" {
		t.Errorf("get differs from create (-create +get):\n%s", diff)
	}
	page, err := c.ZeroTrust.Access.Policies.List(ctx, zero_trust.AccessPolicyListParams{AccountID: acct})
	if err != nil || len(page.Result) != 1 {
		t.Fatalf("list: %v %s", err, page.JSON.RawJSON())
	}
	if diff := cmp.Diff(m, checkReusable(t, page.Result[0].JSON.RawJSON(), 0)); diff != "" {
		t.Errorf("list differs from create (-create +list):\n%s", diff)
	}

	t.Run("update merges", func(t *testing.T) {
		up, err := c.ZeroTrust.Access.Policies.Update(ctx, id, zero_trust.AccessPolicyUpdateParams{AccountID: acct,
			Name:    cloudflare.F("Staff and Bob"),
			Exclude: cloudflare.F([]zero_trust.AccessRuleUnionParam{email("mallory@acmecorp.company")})})
		if err != nil {
			t.Fatal(err)
		}
		um := checkReusable(t, up.JSON.RawJSON(), 0)
		if um["name"] != "Staff and Bob" || um["decision"] != "allow" || um["session_duration"] != "12h" ||
			!cmp.Equal(um["include"], wantInclude) || len(arr(um["exclude"])) != 1 || um["created_at"] != m["created_at"] {
			t.Errorf("update: %s", up.JSON.RawJSON())
		}
	})

	t.Run("linked policies cannot be deleted", func(t *testing.T) {
		b := selfHosted("App", "app.acmecorp.company")
		b.Policies = cloudflare.F([]zero_trust.AccessApplicationNewParamsBodySelfHostedApplicationPolicyUnion{shared.UnionString(id)})
		app := createApp(t, c, env.AccountID, b)
		if n := appCount(t, c, env.AccountID, id); n != 1.0 {
			t.Errorf("app_count = %v, want 1", n)
		}
		_, err := c.ZeroTrust.Access.Policies.Delete(ctx, id, zero_trust.AccessPolicyDeleteParams{AccountID: acct})
		wantError(t, err, 400, "1 application")
		if _, err := c.ZeroTrust.Access.Policies.Get(ctx, id, zero_trust.AccessPolicyGetParams{AccountID: acct}); err != nil {
			t.Fatalf("the refused delete removed the policy: %v", err)
		}
		// Unlinking through the app's policy route keeps the reusable policy.
		if _, err := c.ZeroTrust.Access.Applications.Policies.Delete(ctx, app["id"].(string), id,
			zero_trust.AccessApplicationPolicyDeleteParams{AccountID: acct}); err != nil {
			t.Fatalf("unlink: %v", err)
		}
		if n := appCount(t, c, env.AccountID, id); n != 0.0 {
			t.Errorf("app_count after unlink = %v, want 0", n)
		}
	})

	t.Run("delete", func(t *testing.T) {
		del, err := c.ZeroTrust.Access.Policies.Delete(ctx, id, zero_trust.AccessPolicyDeleteParams{AccountID: acct})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string]any{"id": id}, object(t, del.JSON.RawJSON())); diff != "" {
			t.Errorf("delete result (-want +got):\n%s", diff)
		}
		_, err = c.ZeroTrust.Access.Policies.Get(ctx, id, zero_trust.AccessPolicyGetParams{AccountID: acct})
		wantError(t, err, 404, id)
		_, err = c.ZeroTrust.Access.Policies.Delete(ctx, id, zero_trust.AccessPolicyDeleteParams{AccountID: acct})
		wantError(t, err, 404, id)
	})
	t.Run("malformed id", func(t *testing.T) {
		_, err := c.ZeroTrust.Access.Policies.Get(ctx, notAUUID, zero_trust.AccessPolicyGetParams{AccountID: acct})
		wantCode(t, err, 400, 7003)
		_, err = c.ZeroTrust.Access.Policies.Delete(ctx, notAUUID, zero_trust.AccessPolicyDeleteParams{AccountID: acct})
		wantCode(t, err, 400, 7003)
		_, err = c.ZeroTrust.Access.Policies.Update(ctx, notAUUID, zero_trust.AccessPolicyUpdateParams{AccountID: acct, Name: cloudflare.F("x")})
		wantCode(t, err, 400, 7003)
	})
}

// TestPolicyRefused: bad rules are 400s naming the section and index of the
// rule at fault; nothing is stored.
func TestPolicyRefused(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	ctx := context.Background()
	c := env.Client(env.Token)
	acct := cloudflare.F(env.AccountID)
	valid := func() zero_trust.AccessPolicyNewParams {
		return zero_trust.AccessPolicyNewParams{AccountID: acct, Name: cloudflare.F("P"), Decision: cloudflare.F(zero_trust.DecisionAllow),
			Include: cloudflare.F([]zero_trust.AccessRuleUnionParam{emailDomain("acmecorp.company")})}
	}
	everyone := map[string]any{"everyone": map[string]any{}}

	for _, tc := range []struct {
		name   string
		params zero_trust.AccessPolicyNewParams
		opts   []option.RequestOption
		words  []string
	}{
		{"unknown rule type", valid(), []option.RequestOption{option.WithJSONSet("include", []any{everyone, map[string]any{"favourite_colour": map[string]any{"colour": "blue"}}})},
			[]string{"include[1]", "favourite_colour"}},
		{"rule with two keys", valid(), []option.RequestOption{option.WithJSONSet("include", []any{map[string]any{"everyone": map[string]any{}, "email": map[string]any{"email": "a@b.c"}}})},
			[]string{"include[0]"}},
		{"rule that is not an object", valid(), []option.RequestOption{option.WithJSONSet("require", []any{"everyone"})},
			[]string{"require[0]"}},
		{"empty rule", valid(), []option.RequestOption{option.WithJSONSet("exclude", []any{everyone, map[string]any{}})},
			[]string{"exclude[1]"}},
		{"malformed email", valid(), []option.RequestOption{option.WithJSONSet("include", []any{everyone, map[string]any{"email": map[string]any{"email": "bob"}}})},
			[]string{"include[1] (email)"}},
		{"malformed ip", valid(), []option.RequestOption{option.WithJSONSet("exclude", []any{map[string]any{"ip": map[string]any{"ip": "10.0.0.0/33"}}})},
			[]string{"exclude[0] (ip)"}},
		{"email_domain without domain", valid(), []option.RequestOption{option.WithJSONSet("require", []any{map[string]any{"email_domain": map[string]any{}}})},
			[]string{"require[0] (email_domain)"}},
		{"identity rule in a bypass policy", valid(), []option.RequestOption{option.WithJSONSet("decision", "bypass")},
			[]string{"include[0]", "bypass"}},
		{"no include", zero_trust.AccessPolicyNewParams{AccountID: acct, Name: cloudflare.F("P"), Decision: cloudflare.F(zero_trust.DecisionAllow)}, nil,
			[]string{"include"}},
		{"empty include", valid(), []option.RequestOption{option.WithJSONSet("include", []any{})}, []string{"include"}},
		{"include null", valid(), []option.RequestOption{option.WithJSONSet("include", nil)}, []string{"include"}},
		{"no name", zero_trust.AccessPolicyNewParams{AccountID: acct, Decision: cloudflare.F(zero_trust.DecisionAllow),
			Include: cloudflare.F([]zero_trust.AccessRuleUnionParam{emailDomain("acmecorp.company")})}, nil, []string{"name"}},
		{"blank name", valid(), []option.RequestOption{option.WithJSONSet("name", "  ")}, []string{"name"}},
		{"no decision", zero_trust.AccessPolicyNewParams{AccountID: acct, Name: cloudflare.F("P"),
			Include: cloudflare.F([]zero_trust.AccessRuleUnionParam{emailDomain("acmecorp.company")})}, nil, []string{"decision"}},
		{"unknown decision", valid(), []option.RequestOption{option.WithJSONSet("decision", "maybe")}, []string{"decision", "maybe"}},
		{"bad session_duration", valid(), []option.RequestOption{option.WithJSONSet("session_duration", "1 day")}, []string{"/session_duration"}},
		{"include not an array", valid(), []option.RequestOption{option.WithJSONSet("include", map[string]any{"everyone": map[string]any{}})}, []string{"include"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.ZeroTrust.Access.Policies.New(ctx, tc.params, tc.opts...)
			wantError(t, err, 400, tc.words...)
		})
	}
	page, err := c.ZeroTrust.Access.Policies.List(ctx, zero_trust.AccessPolicyListParams{AccountID: acct})
	if err != nil || len(page.Result) != 0 {
		t.Errorf("refused creates left policies: %v %s", err, page.JSON.RawJSON())
	}

	id := createPolicy(t, c, env.AccountID, "Staff", "acmecorp.company")
	t.Run("update with a bad rule", func(t *testing.T) {
		_, err := c.ZeroTrust.Access.Policies.Update(ctx, id, zero_trust.AccessPolicyUpdateParams{AccountID: acct},
			option.WithJSONSet("require", []any{everyone, map[string]any{"geo": "US"}}))
		wantError(t, err, 400, "require[1]")
		_, err = c.ZeroTrust.Access.Policies.Update(ctx, id, zero_trust.AccessPolicyUpdateParams{AccountID: acct},
			option.WithJSONSet("include", []any{}))
		wantError(t, err, 400, "include")
		got, err := c.ZeroTrust.Access.Policies.Get(ctx, id, zero_trust.AccessPolicyGetParams{AccountID: acct})
		if err != nil || !strings.Contains(got.JSON.RawJSON(), `"include":[{"email_domain":{"domain":"acmecorp.company"}}]`) ||
			!strings.Contains(got.JSON.RawJSON(), `"require":[]`) {
			t.Errorf("refused updates changed the policy: %v %s", err, got.JSON.RawJSON())
		}
	})
}

// TestAppScopedPolicies: policies created under an application, through the
// SDK's Applications.Policies with the body keys its typed params lack.
func TestAppScopedPolicies(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	ctx := context.Background()
	c := env.Client(env.Token)
	acct := cloudflare.F(env.AccountID)
	appID := createApp(t, c, env.AccountID, selfHosted("App", "app.acmecorp.company"))["id"].(string)
	otherApp := createApp(t, c, env.AccountID, selfHosted("Other", "other.acmecorp.company"))["id"].(string)

	create := func(t *testing.T, name string, p zero_trust.AccessApplicationPolicyNewParams) (string, map[string]any) {
		t.Helper()
		p.AccountID = acct
		var resp *http.Response
		opts := append(appPolicyBody(name, "email_domain", map[string]any{"domain": "acmecorp.company"}), status(&resp))
		res, err := c.ZeroTrust.Access.Applications.Policies.New(ctx, appID, p, opts...)
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		if resp.StatusCode != 201 {
			t.Errorf("create status %d, want 201", resp.StatusCode)
		}
		m := checkPolicyShape(t, res.JSON.RawJSON())
		if m["name"] != name || m["decision"] != "allow" || m["reusable"] == true {
			t.Errorf("create %s: %s", name, res.JSON.RawJSON())
		}
		return res.ID, m
	}
	first, m1 := create(t, "First", zero_trust.AccessApplicationPolicyNewParams{})
	second, m2 := create(t, "Second", zero_trust.AccessApplicationPolicyNewParams{})
	fifth, m5 := create(t, "Fifth", zero_trust.AccessApplicationPolicyNewParams{Precedence: cloudflare.F(int64(5))})
	for _, tc := range []struct {
		m    map[string]any
		want float64
	}{{m1, 1}, {m2, 2}, {m5, 5}} {
		if tc.m["precedence"] != tc.want {
			t.Errorf("%v precedence = %v, want %v", tc.m["name"], tc.m["precedence"], tc.want)
		}
	}
	if diff := cmp.Diff([]any{map[string]any{"email_domain": map[string]any{"domain": "acmecorp.company"}}}, m1["include"]); diff != "" {
		t.Errorf("include (-want +got):\n%s", diff)
	}
	_, err := c.ZeroTrust.Access.Applications.Policies.New(ctx, appID,
		zero_trust.AccessApplicationPolicyNewParams{AccountID: acct, Precedence: cloudflare.F(int64(5))},
		appPolicyBody("Clash", "everyone", map[string]any{})...)
	wantError(t, err, 400, "precedence", "/precedence")
	_, err = c.ZeroTrust.Access.Applications.Policies.New(ctx, appID, zero_trust.AccessApplicationPolicyNewParams{AccountID: acct},
		option.WithJSONSet("name", "No include"), option.WithJSONSet("decision", "allow"))
	wantError(t, err, 400, "include")
	_, err = c.ZeroTrust.Access.Applications.Policies.New(ctx, appID, zero_trust.AccessApplicationPolicyNewParams{AccountID: acct},
		option.WithJSONSet("name", "Bad"), option.WithJSONSet("decision", "allow"), option.WithJSONSet("include", []any{map[string]any{"nope": map[string]any{}}}))
	wantError(t, err, 400, "include[0]")

	t.Run("get keeps precedence", func(t *testing.T) {
		got, err := c.ZeroTrust.Access.Applications.Policies.Get(ctx, appID, second, zero_trust.AccessApplicationPolicyGetParams{AccountID: acct})
		if err != nil {
			t.Fatal(err)
		}
		gm := checkPolicyShape(t, got.JSON.RawJSON())
		for _, k := range []string{"id", "name", "decision", "include", "exclude", "require", "precedence", "created_at"} {
			if !cmp.Equal(m2[k], gm[k]) {
				t.Errorf("%s: create %v, get %v", k, m2[k], gm[k])
			}
		}
	})
	t.Run("list in precedence order", func(t *testing.T) {
		page, err := c.ZeroTrust.Access.Applications.Policies.List(ctx, appID, zero_trust.AccessApplicationPolicyListParams{AccountID: acct})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		var precs []any
		for _, p := range page.Result {
			got = append(got, p.ID)
			precs = append(precs, object(t, p.JSON.RawJSON())["precedence"])
		}
		if diff := cmp.Diff([]string{first, second, fifth}, got); diff != "" {
			t.Errorf("ids (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]any{1.0, 2.0, 5.0}, precs); diff != "" {
			t.Errorf("precedences (-want +got):\n%s", diff)
		}
		if app := getApp(t, c, env.AccountID, appID); len(policiesOf(t, app)) != 3 {
			t.Errorf("the app shows %d policies, want 3", len(policiesOf(t, app)))
		}
	})
	t.Run("update", func(t *testing.T) {
		_, err := c.ZeroTrust.Access.Applications.Policies.Update(ctx, appID, first,
			zero_trust.AccessApplicationPolicyUpdateParams{AccountID: acct, Precedence: cloudflare.F(int64(2))})
		wantError(t, err, 400, "precedence")
		up, err := c.ZeroTrust.Access.Applications.Policies.Update(ctx, appID, first,
			zero_trust.AccessApplicationPolicyUpdateParams{AccountID: acct}, option.WithJSONSet("name", "First renamed"))
		if err != nil {
			t.Fatal(err)
		}
		um := checkPolicyShape(t, up.JSON.RawJSON())
		if um["name"] != "First renamed" || um["precedence"] != 1.0 || !cmp.Equal(um["include"], m1["include"]) {
			t.Errorf("update name: %s", up.JSON.RawJSON())
		}
		up, err = c.ZeroTrust.Access.Applications.Policies.Update(ctx, appID, first,
			zero_trust.AccessApplicationPolicyUpdateParams{AccountID: acct, Precedence: cloudflare.F(int64(7))})
		if err != nil {
			t.Fatal(err)
		}
		if um := object(t, up.JSON.RawJSON()); um["precedence"] != 7.0 || um["name"] != "First renamed" {
			t.Errorf("update precedence: %s", up.JSON.RawJSON())
		}
	})
	t.Run("not under the reusable route", func(t *testing.T) {
		_, err := c.ZeroTrust.Access.Policies.Get(ctx, second, zero_trust.AccessPolicyGetParams{AccountID: acct})
		wantError(t, err, 404, "/access/apps/"+appID+"/policies")
		_, err = c.ZeroTrust.Access.Policies.Update(ctx, second, zero_trust.AccessPolicyUpdateParams{AccountID: acct, Name: cloudflare.F("x")})
		wantError(t, err, 404)
		_, err = c.ZeroTrust.Access.Policies.Delete(ctx, second, zero_trust.AccessPolicyDeleteParams{AccountID: acct})
		wantError(t, err, 404)
		page, err := c.ZeroTrust.Access.Policies.List(ctx, zero_trust.AccessPolicyListParams{AccountID: acct})
		if err != nil || len(page.Result) != 0 {
			t.Errorf("the reusable list shows app-scoped policies: %v %s", err, page.JSON.RawJSON())
		}
	})
	t.Run("not under another app", func(t *testing.T) {
		_, err := c.ZeroTrust.Access.Applications.Policies.Get(ctx, otherApp, second, zero_trust.AccessApplicationPolicyGetParams{AccountID: acct})
		wantError(t, err, 404)
		_, err = c.ZeroTrust.Access.Applications.Policies.Update(ctx, otherApp, second,
			zero_trust.AccessApplicationPolicyUpdateParams{AccountID: acct}, option.WithJSONSet("name", "hijack"))
		wantError(t, err, 404)
		_, err = c.ZeroTrust.Access.Applications.Policies.Delete(ctx, otherApp, second, zero_trust.AccessApplicationPolicyDeleteParams{AccountID: acct})
		wantError(t, err, 404)
		_, err = c.ZeroTrust.Access.Applications.Policies.List(ctx, "f174e90a-fafe-4643-bbbc-4a0ed4fc8415",
			zero_trust.AccessApplicationPolicyListParams{AccountID: acct})
		wantError(t, err, 404)
		_, err = c.ZeroTrust.Access.Applications.Policies.Get(ctx, notAUUID, second, zero_trust.AccessApplicationPolicyGetParams{AccountID: acct})
		wantCode(t, err, 400, 7003)
	})
	t.Run("delete", func(t *testing.T) {
		del, err := c.ZeroTrust.Access.Applications.Policies.Delete(ctx, appID, fifth, zero_trust.AccessApplicationPolicyDeleteParams{AccountID: acct})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string]any{"id": fifth}, object(t, del.JSON.RawJSON())); diff != "" {
			t.Errorf("delete result (-want +got):\n%s", diff)
		}
		_, err = c.ZeroTrust.Access.Applications.Policies.Get(ctx, appID, fifth, zero_trust.AccessApplicationPolicyGetParams{AccountID: acct})
		wantError(t, err, 404)
		// Its precedence is free again.
		_, m := create(t, "Reuses five", zero_trust.AccessApplicationPolicyNewParams{Precedence: cloudflare.F(int64(5))})
		if m["precedence"] != 5.0 {
			t.Errorf("precedence %v", m["precedence"])
		}
	})
}
