package access_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	cloudflare "github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/option"
	"github.com/cloudflare/cloudflare-go/v6/zero_trust"
	"github.com/google/go-cmp/cmp"

	"github.com/ssogate/ssogate/internal/apptest"
	"github.com/ssogate/ssogate/internal/tokens"
)

// acmeAccount is an account with one of every Access object.
type acmeAccount struct {
	id, idp, app, policy, appPolicy, serviceToken string
}

func seedAcme(t *testing.T, env *apptest.Env) acmeAccount {
	t.Helper()
	c := env.Client(env.Token)
	a := acmeAccount{id: env.AccountID}
	createOrg(t, c, a.id, "acme")
	a.idp = createIdP(t, c, a.id, "authentik")
	a.policy = createPolicy(t, c, a.id, "Staff", "acmecorp.company")
	b := selfHosted("App", "app.acmecorp.company")
	b.AllowedIdPs = cloudflare.F([]string{a.idp})
	a.app = createApp(t, c, a.id, b)["id"].(string)
	p, err := c.ZeroTrust.Access.Applications.Policies.New(context.Background(), a.app,
		zero_trust.AccessApplicationPolicyNewParams{AccountID: cloudflare.F(a.id)},
		appPolicyBody("Admins", "email", map[string]any{"email": "admin@acmecorp.company"})...)
	if err != nil {
		t.Fatal(err)
	}
	a.appPolicy = p.ID
	st, err := c.ZeroTrust.Access.ServiceTokens.New(context.Background(), zero_trust.AccessServiceTokenNewParams{
		AccountID: cloudflare.F(a.id), Name: cloudflare.F("CI")})
	if err != nil {
		t.Fatal(err)
	}
	a.serviceToken = st.ID
	return a
}

// snapshot reads every Access object of the account with its own token.
func snapshot(t *testing.T, env *apptest.Env, a acmeAccount) map[string]any {
	t.Helper()
	out := map[string]any{}
	base := "/accounts/" + a.id + "/access"
	for _, p := range []string{"/organizations", "/identity_providers", "/identity_providers/" + a.idp, "/apps", "/apps/" + a.app,
		"/apps/" + a.app + "/policies", "/apps/" + a.app + "/policies/" + a.appPolicy, "/policies", "/policies/" + a.policy,
		"/service_tokens", "/service_tokens/" + a.serviceToken} {
		r := env.Do("GET", base+p, env.Token, nil)
		if r.Status != 200 {
			t.Fatalf("GET %s: %d %s", p, r.Status, r.Body)
		}
		out[p] = r.JSON(t)["result"]
	}
	return out
}

// bodyFor is a request body that would succeed on the route if the caller
// were allowed, so a missing check would show as a change.
func bodyFor(method, path string) any {
	if method != "POST" && method != "PUT" {
		return nil
	}
	switch {
	case strings.HasSuffix(path, "/organizations"):
		return map[string]any{"name": "Hijacked", "auth_domain": "hijacked", "session_duration": "1h"}
	case strings.Contains(path, "/identity_providers"):
		return map[string]any{"name": "Hijacked", "type": "oidc", "config": map[string]any{"client_id": "x", "client_secret": "y",
			"auth_url": "https://evil.example.com/a", "token_url": "https://evil.example.com/t", "certs_url": "https://evil.example.com/k"}}
	case strings.Contains(path, "/service_tokens"):
		return map[string]any{"name": "Hijacked", "duration": "forever"}
	case strings.HasSuffix(path, "/policies") || strings.HasSuffix(path, "{policy_id}"):
		return map[string]any{"name": "Hijacked", "decision": "allow", "include": []any{map[string]any{"everyone": map[string]any{}}}}
	case strings.Contains(path, "/apps"):
		return map[string]any{"type": "self_hosted", "name": "Hijacked", "domain": "hijacked.acmecorp.company", "allowed_idps": []any{}}
	}
	return map[string]any{}
}

// TestAccountIsolation: every Access route of the table, called on account
// A with account B's all-permission token, is a 403 that changes nothing;
// and B's own routes do not reach A's objects by id.
func TestAccountIsolation(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	a := seedAcme(t, env)
	other, otherToken := env.NewAccount("Mallory Inc")
	before := snapshot(t, env, a)

	ids := map[string]string{"{account_id}": a.id, "{idp_id}": a.idp, "{app_id}": a.app, "{policy_id}": a.appPolicy,
		"{service_token_id}": a.serviceToken}
	n := 0
	for _, r := range env.App.API.Routes() {
		if !strings.Contains(r.Path, "/access/") {
			continue
		}
		n++
		path := r.Path
		for k, v := range ids {
			path = strings.ReplaceAll(path, k, v)
		}
		if strings.HasPrefix(r.Path, "/accounts/{account_id}/access/policies/") {
			path = strings.ReplaceAll(r.Path, "{account_id}", a.id)
			path = strings.ReplaceAll(path, "{policy_id}", a.policy)
		}
		t.Run(r.Method+" "+r.Path, func(t *testing.T) {
			if strings.Contains(path, "{") {
				t.Fatalf("no id for %s", path)
			}
			resp := env.Do(r.Method, path, otherToken, bodyFor(r.Method, r.Path))
			if resp.Status != 403 {
				t.Fatalf("%s %s with another account's token: %d %s", r.Method, path, resp.Status, resp.Body)
			}
			var env struct {
				Success bool `json:"success"`
				Errors  []struct {
					Code int `json:"code"`
				} `json:"errors"`
			}
			if err := json.Unmarshal(resp.Body, &env); err != nil || env.Success || len(env.Errors) == 0 || env.Errors[0].Code != 10000 {
				t.Errorf("403 body: %s", resp.Body)
			}
			if strings.Contains(string(resp.Body), "acmecorp") || strings.Contains(string(resp.Body), "authentik") {
				t.Errorf("the 403 leaks account A's data: %s", resp.Body)
			}
		})
	}
	if n < 18 {
		t.Errorf("only %d Access routes in the route table", n)
	}

	t.Run("SDK", func(t *testing.T) {
		oc := env.Client(otherToken)
		ctx := context.Background()
		_, err := oc.ZeroTrust.Organizations.Update(ctx, zero_trust.OrganizationUpdateParams{AccountID: cloudflare.F(a.id), Name: cloudflare.F("Hijacked")})
		wantCode(t, err, 403, 10000)
		_, err = oc.ZeroTrust.IdentityProviders.Get(ctx, a.idp, zero_trust.IdentityProviderGetParams{AccountID: cloudflare.F(a.id)})
		wantCode(t, err, 403, 10000)
		_, err = oc.ZeroTrust.Access.Applications.Delete(ctx, a.app, zero_trust.AccessApplicationDeleteParams{AccountID: cloudflare.F(a.id)})
		wantCode(t, err, 403, 10000)
		_, err = oc.ZeroTrust.Access.Policies.List(ctx, zero_trust.AccessPolicyListParams{AccountID: cloudflare.F(a.id)})
		wantCode(t, err, 403, 10000)
	})

	// B on its own account, naming A's ids: the objects are not found there.
	t.Run("ids of another account", func(t *testing.T) {
		base := "/accounts/" + other + "/access"
		for _, tc := range []struct{ method, path string }{
			{"GET", "/identity_providers/" + a.idp}, {"PUT", "/identity_providers/" + a.idp}, {"DELETE", "/identity_providers/" + a.idp},
			{"GET", "/apps/" + a.app}, {"PUT", "/apps/" + a.app}, {"DELETE", "/apps/" + a.app},
			{"GET", "/apps/" + a.app + "/policies"}, {"POST", "/apps/" + a.app + "/policies"},
			{"GET", "/apps/" + a.app + "/policies/" + a.appPolicy}, {"PUT", "/apps/" + a.app + "/policies/" + a.appPolicy},
			{"DELETE", "/apps/" + a.app + "/policies/" + a.appPolicy},
			{"GET", "/policies/" + a.policy}, {"PUT", "/policies/" + a.policy}, {"DELETE", "/policies/" + a.policy},
			{"GET", "/service_tokens/" + a.serviceToken}, {"PUT", "/service_tokens/" + a.serviceToken},
			{"DELETE", "/service_tokens/" + a.serviceToken}, {"POST", "/service_tokens/" + a.serviceToken + "/rotate"},
			{"POST", "/service_tokens/" + a.serviceToken + "/refresh"},
		} {
			resp := env.Do(tc.method, base+tc.path, otherToken, bodyFor(tc.method, "/accounts/{account_id}/access"+templateOf(tc.path)))
			if resp.Status != 404 {
				t.Errorf("%s %s: %d, want 404: %s", tc.method, tc.path, resp.Status, resp.Body)
			}
		}
		// Nor can B's objects point at A's.
		oc := env.Client(otherToken)
		createOrg(t, oc, other, "mallory")
		b := selfHosted("Mine", "mine.mallory.company")
		b.AllowedIdPs = cloudflare.F([]string{a.idp})
		_, err := oc.ZeroTrust.Access.Applications.New(context.Background(), zero_trust.AccessApplicationNewParams{AccountID: cloudflare.F(other), Body: b})
		wantError(t, err, 400, "/allowed_idps/0")
		b = selfHosted("Mine", "mine.mallory.company")
		_, err = oc.ZeroTrust.Access.Applications.New(context.Background(), zero_trust.AccessApplicationNewParams{AccountID: cloudflare.F(other), Body: b},
			option.WithJSONSet("policies", []any{a.policy}))
		wantError(t, err, 400, "/policies/0")
		page, err := oc.ZeroTrust.IdentityProviders.List(context.Background(), zero_trust.IdentityProviderListParams{AccountID: cloudflare.F(other)})
		if err != nil || len(page.Result) != 0 {
			t.Errorf("B lists identity providers: %v %s", err, page.JSON.RawJSON())
		}
	})

	if diff := cmp.Diff(before, snapshot(t, env, a)); diff != "" {
		t.Errorf("account A changed (-before +after):\n%s", diff)
	}
}

// templateOf maps a concrete access path back to its route shape, enough
// for bodyFor.
func templateOf(p string) string {
	switch {
	case strings.HasPrefix(p, "/service_tokens"):
		return "/service_tokens/{service_token_id}"
	case strings.HasPrefix(p, "/identity_providers"):
		return "/identity_providers/{idp_id}"
	case strings.Contains(p, "/policies/"):
		return "/policies/{policy_id}"
	case strings.HasSuffix(p, "/policies"):
		return "/apps/{app_id}/policies"
	}
	return "/apps/{app_id}"
}

// TestAccessPermissions: Read groups read, Write groups write, and a token
// for one Access area gets nothing in the other.
func TestAccessPermissions(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	a := seedAcme(t, env)
	orgRead := env.NewToken(a.id, tokens.AccessOrgRead)
	appsRead := env.NewToken(a.id, tokens.AccessAppsRead)
	appsWrite := env.NewToken(a.id, tokens.AccessAppsWrite)
	base := "/accounts/" + a.id + "/access"
	for _, tc := range []struct {
		token, method, path string
		want                int
	}{
		{orgRead, "GET", "/organizations", 200},
		{orgRead, "GET", "/identity_providers/" + a.idp, 200},
		{orgRead, "PUT", "/organizations", 403},
		{orgRead, "DELETE", "/identity_providers/" + a.idp, 403},
		{orgRead, "GET", "/apps", 403},
		{appsRead, "GET", "/apps/" + a.app, 200},
		{appsRead, "GET", "/policies", 200},
		{appsRead, "DELETE", "/apps/" + a.app, 403},
		{appsRead, "POST", "/policies", 403},
		{appsRead, "GET", "/organizations", 403},
		{appsWrite, "GET", "/apps", 200},
		{appsWrite, "PUT", "/apps/" + a.app, 200},
		{appsWrite, "GET", "/identity_providers", 403},
	} {
		var body any
		if tc.method == "PUT" || tc.method == "POST" {
			body = bodyFor(tc.method, "/accounts/{account_id}/access"+tc.path)
			if strings.HasPrefix(tc.path, "/apps/") {
				body = map[string]any{"name": "Renamed"}
			}
		}
		r := env.Do(tc.method, base+tc.path, tc.token, body)
		if r.Status != tc.want {
			t.Errorf("%s %s: %d, want %d: %s", tc.method, tc.path, r.Status, tc.want, r.Body)
		}
	}
}
