package access_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	cloudflare "github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/option"
	"github.com/cloudflare/cloudflare-go/v6/zero_trust"
	"github.com/google/go-cmp/cmp"

	"github.com/ssogate/ssogate/internal/access"
	"github.com/ssogate/ssogate/internal/apptest"
)

const idpSecret = "s3cret-0f-the-idp-client-0123456789"

// checkIdP asserts the wire shape of an OIDC identity provider: the
// config of cloudflare-api.md §4.2 without the secret, which is write-only
// (left out, as Cloudflare does; issue 11). Optional fields are present
// only when they were set.
func checkIdP(t testing.TB, raw string) map[string]any {
	t.Helper()
	if strings.Contains(raw, idpSecret) || strings.Contains(raw, "discovered-secret") || strings.Contains(raw, "rotated-secret") {
		t.Fatalf("a client secret is in the response: %s", raw)
	}
	m := object(t, raw)
	if id, _ := m["id"].(string); !uuidForm.MatchString(id) {
		t.Errorf("id %v is not a UUID", m["id"])
	}
	if m["type"] != "oidc" {
		t.Errorf("type = %v, want oidc", m["type"])
	}
	cfg, ok := m["config"].(map[string]any)
	if !ok {
		t.Fatalf("config is not an object: %s", raw)
	}
	for _, k := range []string{"client_id", "auth_url", "token_url", "certs_url"} {
		if s, _ := cfg[k].(string); s == "" {
			t.Errorf("config.%s = %v, want a string", k, cfg[k])
		}
	}
	if v, ok := cfg["email_claim_name"]; ok && v == "" {
		t.Errorf("config.email_claim_name is empty")
	}
	if v, ok := cfg["pkce_enabled"]; ok {
		if _, ok := v.(bool); !ok {
			t.Errorf("config.pkce_enabled = %v, want a boolean", v)
		}
	}
	for _, k := range []string{"scopes", "claims"} {
		if v, ok := cfg[k]; ok && !isArray(v) {
			t.Errorf("config.%s = %v, want an array", k, v)
		}
	}
	if v, ok := cfg["client_secret"]; ok {
		t.Errorf("config.client_secret = %v, want it left out", v)
	}
	return m
}

// sealed reads the stored (sealed) secret column of an IdP.
func sealed(t testing.TB, env *apptest.Env, id string) string {
	t.Helper()
	var s string
	if err := env.App.DB.QueryRowContext(context.Background(), `SELECT secret FROM access_identity_providers WHERE id=$1`, id).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// openSecret is the client secret the login flow would use.
func openSecret(t testing.TB, env *apptest.Env, id string) string {
	t.Helper()
	_, s, err := env.App.Access.IdPSecret(context.Background(), env.AccountID, id)
	if err != nil {
		t.Fatalf("IdPSecret: %v", err)
	}
	return s
}

// TestIdentityProviderLifecycle: create with explicit URLs, list, get,
// update (secret kept, then replaced), delete, with the SDK.
func TestIdentityProviderLifecycle(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	ctx := context.Background()
	c := env.Client(env.Token)
	acct := cloudflare.F(env.AccountID)

	var resp *http.Response
	created, err := c.ZeroTrust.IdentityProviders.New(ctx, zero_trust.IdentityProviderNewParams{AccountID: acct,
		IdentityProvider: oidcIdP("authentik", idpSecret)}, status(&resp))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if resp.StatusCode != 201 {
		t.Errorf("create status %d, want 201", resp.StatusCode)
	}
	m := checkIdP(t, created.JSON.RawJSON())
	wantCfg := map[string]any{
		"client_id": "ssogate",
		"auth_url":  "https://idp.acmecorp.company/authorize", "token_url": "https://idp.acmecorp.company/token",
		"certs_url": "https://idp.acmecorp.company/jwks", "scopes": []any{"openid", "email", "profile"},
		"pkce_enabled": true, "email_claim_name": "mail", "claims": []any{"groups"},
	}
	if diff := cmp.Diff(wantCfg, m["config"]); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	if m["name"] != "authentik" || created.Name != "authentik" || created.Type != zero_trust.IdentityProviderTypeOIDC {
		t.Errorf("name/type: %s", created.JSON.RawJSON())
	}
	id := created.ID
	if got := openSecret(t, env, id); got != idpSecret {
		t.Fatalf("stored secret opens to %q", got)
	}

	t.Run("list", func(t *testing.T) {
		page, err := c.ZeroTrust.IdentityProviders.List(ctx, zero_trust.IdentityProviderListParams{AccountID: acct})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Result) != 1 || page.Result[0].ID != id {
			t.Fatalf("list: %s", page.JSON.RawJSON())
		}
		if diff := cmp.Diff(m, checkIdP(t, page.Result[0].JSON.RawJSON())); diff != "" {
			t.Errorf("list item differs from create (-create +list):\n%s", diff)
		}
		info, _ := object(t, page.JSON.RawJSON())["result_info"].(map[string]any)
		if info["total_count"] != 1.0 || info["page"] != 1.0 {
			t.Errorf("result_info %v", info)
		}
	})
	t.Run("get", func(t *testing.T) {
		got, err := c.ZeroTrust.IdentityProviders.Get(ctx, id, zero_trust.IdentityProviderGetParams{AccountID: acct})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(m, checkIdP(t, got.JSON.RawJSON())); diff != "" {
			t.Errorf("get differs from create (-create +get):\n%s", diff)
		}
	})

	before := sealed(t, env, id)
	t.Run("update without a secret keeps it", func(t *testing.T) {
		up, err := c.ZeroTrust.IdentityProviders.Update(ctx, id, zero_trust.IdentityProviderUpdateParams{AccountID: acct,
			IdentityProvider: zero_trust.IdentityProviderAccessOIDCParam{Name: cloudflare.F("authentik (prod)"),
				Config: cloudflare.F(zero_trust.IdentityProviderAccessOIDCConfigParam{PKCEEnabled: cloudflare.F(false)})}})
		if err != nil {
			t.Fatal(err)
		}
		um := checkIdP(t, up.JSON.RawJSON())
		cfg := um["config"].(map[string]any)
		if um["name"] != "authentik (prod)" || cfg["pkce_enabled"] != false || cfg["token_url"] != wantCfg["token_url"] ||
			cfg["email_claim_name"] != "mail" || !cmp.Equal(cfg["claims"], wantCfg["claims"]) {
			t.Errorf("update did not merge: %s", up.JSON.RawJSON())
		}
		if after := sealed(t, env, id); after != before {
			t.Errorf("the sealed secret changed on an update without client_secret")
		}
		if got := openSecret(t, env, id); got != idpSecret {
			t.Errorf("secret after update = %q, want the original", got)
		}
	})
	t.Run("update with the mask keeps it", func(t *testing.T) {
		p := oidcIdP("authentik", access.Masked)
		up, err := c.ZeroTrust.IdentityProviders.Update(ctx, id, zero_trust.IdentityProviderUpdateParams{AccountID: acct, IdentityProvider: p})
		if err != nil {
			t.Fatal(err)
		}
		checkIdP(t, up.JSON.RawJSON())
		if after := sealed(t, env, id); after != before {
			t.Errorf("the sealed secret changed on an update sending the mask")
		}
		if got := openSecret(t, env, id); got != idpSecret {
			t.Errorf("secret after update = %q, want the original", got)
		}
	})
	t.Run("update with an empty secret is refused", func(t *testing.T) {
		_, err := c.ZeroTrust.IdentityProviders.Update(ctx, id, zero_trust.IdentityProviderUpdateParams{AccountID: acct,
			IdentityProvider: zero_trust.IdentityProviderAccessOIDCParam{
				Config: cloudflare.F(zero_trust.IdentityProviderAccessOIDCConfigParam{ClientSecret: cloudflare.F("")})}})
		wantError(t, err, 400, "/config/client_secret")
		if got := openSecret(t, env, id); got != idpSecret {
			t.Errorf("secret after refused update = %q", got)
		}
	})
	t.Run("update with a new secret replaces it", func(t *testing.T) {
		up, err := c.ZeroTrust.IdentityProviders.Update(ctx, id, zero_trust.IdentityProviderUpdateParams{AccountID: acct,
			IdentityProvider: zero_trust.IdentityProviderAccessOIDCParam{
				Config: cloudflare.F(zero_trust.IdentityProviderAccessOIDCConfigParam{ClientSecret: cloudflare.F("rotated-secret")})}})
		if err != nil {
			t.Fatal(err)
		}
		checkIdP(t, up.JSON.RawJSON())
		if after := sealed(t, env, id); after == before {
			t.Errorf("the sealed secret did not change")
		}
		if got := openSecret(t, env, id); got != "rotated-secret" {
			t.Errorf("secret after update = %q, want rotated-secret", got)
		}
	})
	t.Run("secrets are not stored in clear", func(t *testing.T) {
		noClearSecret(t, env, idpSecret, "rotated-secret")
	})

	t.Run("delete", func(t *testing.T) {
		del, err := c.ZeroTrust.IdentityProviders.Delete(ctx, id, zero_trust.IdentityProviderDeleteParams{AccountID: acct})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string]any{"id": id}, object(t, del.JSON.RawJSON())); diff != "" {
			t.Errorf("delete result (-want +got):\n%s", diff)
		}
		_, err = c.ZeroTrust.IdentityProviders.Get(ctx, id, zero_trust.IdentityProviderGetParams{AccountID: acct})
		wantError(t, err, 404, id)
		_, err = c.ZeroTrust.IdentityProviders.Delete(ctx, id, zero_trust.IdentityProviderDeleteParams{AccountID: acct})
		wantError(t, err, 404, id)
		_, err = c.ZeroTrust.IdentityProviders.Update(ctx, id, zero_trust.IdentityProviderUpdateParams{AccountID: acct,
			IdentityProvider: oidcIdP("x", "y")})
		wantError(t, err, 404, id)
		page, err := c.ZeroTrust.IdentityProviders.List(ctx, zero_trust.IdentityProviderListParams{AccountID: acct})
		if err != nil || len(page.Result) != 0 || !strings.Contains(page.JSON.RawJSON(), `"result":[]`) {
			t.Errorf("list after delete: %v %s", err, page.JSON.RawJSON())
		}
	})
}

// noClearSecret scans every text column of the IdP table (and the audit
// log, which records IdP changes) for the secrets.
func noClearSecret(t testing.TB, env *apptest.Env, secrets ...string) {
	t.Helper()
	for _, q := range []string{
		`SELECT id || ' ' || account_id || ' ' || name || ' ' || type || ' ' || config || ' ' || secret FROM access_identity_providers`,
		`SELECT * FROM audit_logs`,
	} {
		rows, err := env.App.DB.QueryContext(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		n := 0
		for rows.Next() {
			n++
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				var s string
				switch v := v.(type) {
				case string:
					s = v
				case []byte:
					s = string(v)
				}
				for _, secret := range secrets {
					if strings.Contains(s, secret) {
						t.Errorf("%s: column %s holds the secret in clear: %s", q, cols[i], s)
					}
				}
			}
		}
		rows.Close()
		if n == 0 {
			t.Errorf("%s: no rows to check", q)
		}
	}
}

// TestIdentityProviderDiscovery: given only issuer_url (authentik's
// per-provider issuer), the endpoints come from the discovery document.
func TestIdentityProviderDiscovery(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	ctx := context.Background()
	c := env.Client(env.Token)
	op := startProvider(t, "acme-portal")
	base := strings.TrimSuffix(op.IssuerURL(), "/application/o/acme-portal/")

	var resp *http.Response
	p, err := c.ZeroTrust.IdentityProviders.New(ctx, zero_trust.IdentityProviderNewParams{AccountID: cloudflare.F(env.AccountID),
		IdentityProvider: zero_trust.IdentityProviderAccessOIDCParam{
			Name: cloudflare.F("authentik"), Type: cloudflare.F(zero_trust.IdentityProviderTypeOIDC),
			Config: cloudflare.F(zero_trust.IdentityProviderAccessOIDCConfigParam{
				ClientID: cloudflare.F("ssogate"), ClientSecret: cloudflare.F("discovered-secret")}),
		}}, option.WithJSONSet("config.issuer_url", op.IssuerURL()), status(&resp))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if resp.StatusCode != 201 {
		t.Errorf("status %d, want 201", resp.StatusCode)
	}
	cfg := checkIdP(t, p.JSON.RawJSON())["config"].(map[string]any)
	want := map[string]any{
		"auth_url":   base + "/application/o/authorize/",
		"token_url":  base + "/application/o/token/",
		"certs_url":  base + "/application/o/acme-portal/jwks/",
		"issuer_url": op.IssuerURL(),
		"client_id":  "ssogate",
	}
	// Defaults never sent are not echoed (issue 11); the login uses them.
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("discovered config (-want +got):\n%s", diff)
	}
	eff, _, err := env.App.Access.IdPSecret(ctx, env.AccountID, p.ID)
	if err != nil || !slices.Equal(eff.Config.Scopes, []string{"openid", "email", "profile"}) ||
		eff.Config.EmailClaimName != "email" || eff.Config.PKCE() {
		t.Errorf("effective config: %v %+v", err, eff.Config)
	}
	if s := openSecret(t, env, p.ID); s != "discovered-secret" {
		t.Errorf("secret %q", s)
	}
	noClearSecret(t, env, "discovered-secret")
}

// TestIdentityProviderRefused: every refused create or update is a 400 that
// names the field, and malformed ids are the router's 400 7003.
func TestIdentityProviderRefused(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	ctx := context.Background()
	c := env.Client(env.Token)
	acct := cloudflare.F(env.AccountID)
	dead := deadURL(t)

	withURL := func(field, v string) zero_trust.IdentityProviderAccessOIDCParam {
		p := oidcIdP("bad", idpSecret)
		cfg := p.Config.Value
		switch field {
		case "auth_url":
			cfg.AuthURL = cloudflare.F(v)
		case "token_url":
			cfg.TokenURL = cloudflare.F(v)
		case "certs_url":
			cfg.CERTsURL = cloudflare.F(v)
		}
		p.Config = cloudflare.F(cfg)
		return p
	}
	noSecret := oidcIdP("bad", idpSecret)
	cfg := noSecret.Config.Value
	cfg.ClientSecret = cloudflare.Null[string]()
	noSecret.Config = cloudflare.F(cfg)
	onlyIssuer := func() zero_trust.IdentityProviderAccessOIDCParam {
		return zero_trust.IdentityProviderAccessOIDCParam{Name: cloudflare.F("authentik"), Type: cloudflare.F(zero_trust.IdentityProviderTypeOIDC),
			Config: cloudflare.F(zero_trust.IdentityProviderAccessOIDCConfigParam{ClientID: cloudflare.F("ssogate"), ClientSecret: cloudflare.F(idpSecret)})}
	}

	for _, tc := range []struct {
		name  string
		body  zero_trust.IdentityProviderUnionParam
		opts  []option.RequestOption
		words []string
	}{
		{"saml without sso url", zero_trust.IdentityProviderAccessSAMLParam{Name: cloudflare.F("saml"), Type: cloudflare.F(zero_trust.IdentityProviderTypeSAML),
			Config: cloudflare.F(zero_trust.IdentityProviderAccessSAMLConfigParam{IssuerURL: cloudflare.F("https://idp.acmecorp.company/")})},
			nil, []string{"/config/sso_target_url"}},
		{"github", zero_trust.IdentityProviderAccessGitHubParam{Name: cloudflare.F("gh"), Type: cloudflare.F(zero_trust.IdentityProviderTypeGitHub),
			Config: cloudflare.F(zero_trust.GenericOAuthConfigParam{ClientID: cloudflare.F("a"), ClientSecret: cloudflare.F("b")})},
			nil, []string{"not supported", "/type"}},
		{"no client_secret", zero_trust.IdentityProviderAccessOIDCParam{Name: cloudflare.F("x"), Type: cloudflare.F(zero_trust.IdentityProviderTypeOIDC),
			Config: cloudflare.F(zero_trust.IdentityProviderAccessOIDCConfigParam{ClientID: cloudflare.F("ssogate"),
				AuthURL: cloudflare.F("https://a.example.com/"), TokenURL: cloudflare.F("https://a.example.com/t"), CERTsURL: cloudflare.F("https://a.example.com/k")})},
			nil, []string{"client_secret", "/config/client_secret"}},
		{"null client_secret", noSecret, nil, []string{"/config/client_secret"}},
		{"no client_id", zero_trust.IdentityProviderAccessOIDCParam{Name: cloudflare.F("x"), Type: cloudflare.F(zero_trust.IdentityProviderTypeOIDC),
			Config: cloudflare.F(zero_trust.IdentityProviderAccessOIDCConfigParam{ClientSecret: cloudflare.F(idpSecret),
				AuthURL: cloudflare.F("https://a.example.com/"), TokenURL: cloudflare.F("https://a.example.com/t"), CERTsURL: cloudflare.F("https://a.example.com/k")})},
			nil, []string{"/config/client_id"}},
		{"no config", zero_trust.IdentityProviderAccessOIDCParam{Name: cloudflare.F("x"), Type: cloudflare.F(zero_trust.IdentityProviderTypeOIDC)},
			nil, []string{"config"}},
		{"no urls and no issuer", onlyIssuer(), nil, []string{"/config/auth_url"}},
		{"auth_url not a URL", withURL("auth_url", "not a url"), nil, []string{"auth_url", "/config/auth_url"}},
		{"token_url ftp", withURL("token_url", "ftp://idp.acmecorp.company/token"), nil, []string{"token_url", "/config/token_url"}},
		{"certs_url credentials", withURL("certs_url", "https://u:p@idp.acmecorp.company/jwks"), nil, []string{"certs_url", "/config/certs_url"}},
		{"certs_url relative", withURL("certs_url", "/jwks"), nil, []string{"/config/certs_url"}},
		{"scopes without openid", oidcIdP("x", idpSecret), []option.RequestOption{option.WithJSONSet("config.scopes", []string{"email"})},
			[]string{"/config/scopes"}},
		{"unreachable issuer", onlyIssuer(), []option.RequestOption{option.WithJSONSet("config.issuer_url", dead+"/application/o/x/")},
			[]string{"issuer_url", "/config/issuer_url", dead}},
		{"issuer not a URL", onlyIssuer(), []option.RequestOption{option.WithJSONSet("config.issuer_url", "authentik")},
			[]string{"/config/issuer_url"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.ZeroTrust.IdentityProviders.New(ctx, zero_trust.IdentityProviderNewParams{AccountID: acct, IdentityProvider: tc.body}, tc.opts...)
			wantError(t, err, 400, tc.words...)
		})
	}
	page, err := c.ZeroTrust.IdentityProviders.List(ctx, zero_trust.IdentityProviderListParams{AccountID: acct})
	if err != nil || len(page.Result) != 0 {
		t.Errorf("refused creates left identity providers: %v %s", err, page.JSON.RawJSON())
	}

	id := createIdP(t, c, env.AccountID, "ok")
	t.Run("update to a bad URL", func(t *testing.T) {
		_, err := c.ZeroTrust.IdentityProviders.Update(ctx, id, zero_trust.IdentityProviderUpdateParams{AccountID: acct,
			IdentityProvider: zero_trust.IdentityProviderAccessOIDCParam{
				Config: cloudflare.F(zero_trust.IdentityProviderAccessOIDCConfigParam{AuthURL: cloudflare.F("javascript:alert(1)")})}})
		wantError(t, err, 400, "/config/auth_url")
	})
	t.Run("update to saml", func(t *testing.T) {
		_, err := c.ZeroTrust.IdentityProviders.Update(ctx, id, zero_trust.IdentityProviderUpdateParams{AccountID: acct,
			IdentityProvider: zero_trust.IdentityProviderAccessOIDCParam{Type: cloudflare.F(zero_trust.IdentityProviderTypeSAML)}})
		wantError(t, err, 400, "cannot change", "/type")
	})
	got, err := c.ZeroTrust.IdentityProviders.Get(ctx, id, zero_trust.IdentityProviderGetParams{AccountID: acct})
	if err != nil || got.Type != "oidc" || !strings.Contains(got.JSON.RawJSON(), `"auth_url":"https://idp.acmecorp.company/authorize"`) {
		t.Errorf("refused updates changed the provider: %v %s", err, got.JSON.RawJSON())
	}

	t.Run("malformed id", func(t *testing.T) {
		_, err := c.ZeroTrust.IdentityProviders.Get(ctx, notAUUID, zero_trust.IdentityProviderGetParams{AccountID: acct})
		wantCode(t, err, 400, 7003)
		_, err = c.ZeroTrust.IdentityProviders.Update(ctx, notAUUID, zero_trust.IdentityProviderUpdateParams{AccountID: acct, IdentityProvider: oidcIdP("x", "y")})
		wantCode(t, err, 400, 7003)
		_, err = c.ZeroTrust.IdentityProviders.Delete(ctx, notAUUID, zero_trust.IdentityProviderDeleteParams{AccountID: acct})
		wantCode(t, err, 400, 7003)
	})
}

// TestIdentityProviderIssuerChange: pointing a provider at another issuer
// rediscovers its endpoints; keeping the old issuer's endpoints and keys
// next to the new issuer would make every login fail the issuer check.
func TestIdentityProviderIssuerChange(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	ctx := context.Background()
	c := env.Client(env.Token)
	acct := cloudflare.F(env.AccountID)
	one, two := startProvider(t, "one"), startProvider(t, "two")
	p, err := c.ZeroTrust.IdentityProviders.New(ctx, zero_trust.IdentityProviderNewParams{AccountID: acct,
		IdentityProvider: zero_trust.IdentityProviderAccessOIDCParam{Name: cloudflare.F("authentik"), Type: cloudflare.F(zero_trust.IdentityProviderTypeOIDC),
			Config: cloudflare.F(zero_trust.IdentityProviderAccessOIDCConfigParam{ClientID: cloudflare.F("ssogate"), ClientSecret: cloudflare.F(idpSecret)})}},
		option.WithJSONSet("config.issuer_url", one.IssuerURL()))
	if err != nil {
		t.Fatal(err)
	}
	up, err := c.ZeroTrust.IdentityProviders.Update(ctx, p.ID, zero_trust.IdentityProviderUpdateParams{AccountID: acct,
		IdentityProvider: zero_trust.IdentityProviderAccessOIDCParam{}}, option.WithJSONSet("config.issuer_url", two.IssuerURL()))
	if err != nil {
		t.Fatal(err)
	}
	cfg := checkIdP(t, up.JSON.RawJSON())["config"].(map[string]any)
	base := strings.TrimSuffix(two.IssuerURL(), "/application/o/two/")
	want := map[string]any{"issuer_url": two.IssuerURL(), "auth_url": base + "/application/o/authorize/",
		"token_url": base + "/application/o/token/", "certs_url": base + "/application/o/two/jwks/"}
	for k, v := range want {
		if cfg[k] != v {
			t.Errorf("config.%s = %v, want %v", k, cfg[k], v)
		}
	}
	if s := openSecret(t, env, p.ID); s != idpSecret {
		t.Errorf("secret %q", s)
	}
}

// TestIdentityProviderDeleteInUse: deleting a provider an application
// allows must not leave the application naming a provider that is gone
// (its login would offer nothing, and every later update of the app would
// be refused for the dangling id). Either the delete is refused, naming
// the application, or the application lets go of the provider.
func TestIdentityProviderDeleteInUse(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	ctx := context.Background()
	c := env.Client(env.Token)
	acct := cloudflare.F(env.AccountID)
	idp := createIdP(t, c, env.AccountID, "authentik")
	b := selfHosted("Admin", "admin.acmecorp.company")
	b.AllowedIdPs = cloudflare.F([]string{idp})
	b.AutoRedirectToIdentity = cloudflare.F(true)
	app := createApp(t, c, env.AccountID, b)
	appID := app["id"].(string)

	_, err := c.ZeroTrust.IdentityProviders.Delete(ctx, idp, zero_trust.IdentityProviderDeleteParams{AccountID: acct})
	if err != nil {
		wantError(t, err, 400, "Admin")
		if _, err := c.ZeroTrust.IdentityProviders.Get(ctx, idp, zero_trust.IdentityProviderGetParams{AccountID: acct}); err != nil {
			t.Errorf("a refused delete removed the provider: %v", err)
		}
		return
	}
	got := getApp(t, c, env.AccountID, appID)
	for _, v := range arr(got["allowed_idps"]) {
		if v == idp {
			t.Errorf("application %s still allows the deleted provider: %v", appID, got["allowed_idps"])
		}
	}
	_, err = c.ZeroTrust.Access.Applications.Update(ctx, appID, zero_trust.AccessApplicationUpdateParams{AccountID: acct,
		Body: zero_trust.AccessApplicationUpdateParamsBodySelfHostedApplication{Name: cloudflare.F("Admin console")}})
	if err != nil {
		t.Errorf("the application cannot be updated after its provider was deleted: %v", err)
	}
}
