package refop

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/google/go-cmp/cmp"
)

func TestDiscovery(t *testing.T) {
	for _, tc := range []struct {
		mode SigningMode
		alg  string
	}{
		{SigningRS256, "RS256"},
		{SigningES256, "ES256"},
		{SigningHS256, "HS256"},
		{SigningNoneJWKS, "RS256"},
		{"", "RS256"}, // default
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.Signing = tc.mode; c.Slug = "my-app" })
			base := e.srv.URL
			if got, want := e.p.IssuerURL(), base+"/application/o/my-app/"; got != want {
				t.Errorf("IssuerURL = %q, want %q", got, want)
			}
			if got, want := e.p.DiscoveryURL(), base+"/application/o/my-app/.well-known/openid-configuration"; got != want {
				t.Errorf("DiscoveryURL = %q, want %q", got, want)
			}
			resp := e.get(t, e.p.DiscoveryURL())
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			var doc map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
				t.Fatal(err)
			}
			want := map[string]any{
				"issuer":                                base + "/application/o/my-app/",
				"authorization_endpoint":                base + "/application/o/authorize/",
				"token_endpoint":                        base + "/application/o/token/",
				"userinfo_endpoint":                     base + "/application/o/userinfo/",
				"introspection_endpoint":                base + "/application/o/introspect/",
				"revocation_endpoint":                   base + "/application/o/revoke/",
				"jwks_uri":                              base + "/application/o/my-app/jwks/",
				"end_session_endpoint":                  base + "/application/o/my-app/end-session/",
				"id_token_signing_alg_values_supported": []any{tc.alg},
				"token_endpoint_auth_methods_supported": []any{"client_secret_post", "client_secret_basic"},
				"code_challenge_methods_supported":      []any{"plain", "S256"},
				"response_types_supported":              []any{"code"},
				"grant_types_supported":                 []any{"authorization_code"},
				"subject_types_supported":               []any{"public"},
				"scopes_supported":                      []any{"openid", "email", "profile"},
			}
			got := map[string]any{}
			for k := range want {
				got[k] = doc[k]
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("discovery (-want +got):\n%s", diff)
			}
			for _, absent := range []string{"device_authorization_endpoint", "request_object_signing_alg_values_supported"} {
				if v, ok := doc[absent]; ok {
					t.Errorf("%s = %v, want absent", absent, v)
				}
			}
			if _, err := oidc.NewProvider(e.ctx, e.p.IssuerURL()); err != nil {
				t.Errorf("go-oidc refuses the document: %v", err)
			}
		})
	}
}

func TestIssuerWithPath(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Issuer += "/idp/" })
	want := e.srv.URL + "/idp/application/o/ssogate/"
	if e.p.IssuerURL() != want {
		t.Fatalf("IssuerURL = %q, want %q", e.p.IssuerURL(), want)
	}
	op, err := oidc.NewProvider(e.ctx, e.p.IssuerURL())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := op.Endpoint().TokenURL, e.srv.URL+"/idp/application/o/token/"; got != want {
		t.Errorf("token endpoint = %q, want %q", got, want)
	}
	if resp := e.get(t, e.srv.URL+"/application/o/ssogate/jwks/"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("JWKS outside the issuer path: status %d, want 404", resp.StatusCode)
	}
}

func TestUnknownRoutes(t *testing.T) {
	e := newEnv(t, nil)
	for _, path := range []string{
		"/application/o/other-app/jwks/",    // another slug
		"/application/o/ssogate/authorize/", // authorize is global
		"/.well-known/openid-configuration", // not at the root (per_provider mode)
		"/application/o/authorize/callback", // the library's callback is not exposed
		"/application/o/ssogate/jwks/extra",
	} {
		if resp := e.get(t, e.srv.URL+path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, resp.StatusCode)
		}
	}
	// Like Django's APPEND_SLASH in authentik, a missing slash is redirected.
	resp := e.get(t, e.srv.URL+"/application/o/token")
	if loc := resp.Header.Get("Location"); resp.StatusCode/100 != 3 || loc != "/application/o/token/" {
		t.Errorf("GET /application/o/token: status %d, Location %q", resp.StatusCode, loc)
	}
}
