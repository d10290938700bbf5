package roundtrip_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ssogate/ssogate/internal/accounts"
	"github.com/ssogate/ssogate/internal/tokens"
)

// Reasons for fields returned although not sent.
const (
	serverID   = "assigned by the server"
	serverTime = "kept by the server"
	cfAlways   = "Cloudflare always returns it (the Terraform provider reads its absence as drift)"
	cfDefault  = "Cloudflare returns the type's default when unset; the Terraform provider plans that default"
	cfEmpty    = "Cloudflare returns [] when unset; the Terraform provider reads [] as unset"
)

func timestamps(names ...string) map[string]string {
	m := map[string]string{}
	for _, n := range names {
		m[n] = serverTime
	}
	return m
}

func with(base map[string]string, more map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range more {
		out[k] = v
	}
	return out
}

var appBase = with(timestamps("created_at", "updated_at"), map[string]string{"id": serverID, "aud": serverID,
	"policies": cfEmpty})

// resources is the suite's table: every writable resource of the API.
// A resource added to the API gets an entry here; a field added to one
// fails TestEveryFieldHasAnEntry until a body or a table names it.
func resources() []resource {
	return []resource{
		{name: "organization", collection: "/access/organizations", singleton: true,
			minimal: `{"name":"Acme","auth_domain":"acme.access.localhost"}`,
			full: `{"name":"Acme Corp","auth_domain":"acme.access.localhost","session_duration":"12h","auto_redirect_to_identity":true,
				"is_ui_read_only":true,"ui_read_only_toggle_reason":"managed by Terraform","allow_authenticate_via_warp":false,
				"warp_auth_non_browser_401":true,"deny_unmatched_requests":false,"mfa_required_for_all_apps":false,
				"login_design":{"background_color":"#000000","text_color":"#ffffff","logo_path":"https://acmecorp.company/logo.png","header_text":"Acme","footer_text":"Staff only"}}`,
			update: `{"session_duration":"6h"}`, touched: []string{"updated_at"},
			always: with(timestamps("created_at", "updated_at"), map[string]string{
				"session_duration": cfDefault + " (24h)", "auto_redirect_to_identity": cfAlways, "is_ui_read_only": cfAlways,
				"allow_authenticate_via_warp": cfAlways, "warp_auth_non_browser_401": cfAlways, "deny_unmatched_requests": cfAlways,
				"mfa_required_for_all_apps": cfAlways})},
		{name: "key configuration", collection: "/access/keys", singleton: true,
			minimal: `{"key_rotation_interval_days":21}`, full: `{"key_rotation_interval_days":90}`,
			update: `{"key_rotation_interval_days":30}`, touched: []string{"days_until_next_rotation"},
			always: map[string]string{"last_key_rotation_at": serverTime, "days_until_next_rotation": "computed from the interval"}},
		{name: "oidc identity provider", collection: "/access/identity_providers",
			minimal: `{"name":"authentik","type":"oidc","config":{"client_id":"ssogate","client_secret":"s3cret",
				"auth_url":"https://idp.acmecorp.company/authorize","token_url":"https://idp.acmecorp.company/token","certs_url":"https://idp.acmecorp.company/jwks"}}`,
			full: `{"name":"authentik full","type":"oidc","config":{"client_id":"ssogate","client_secret":"s3cret",
				"auth_url":"https://idp.acmecorp.company/authorize","token_url":"https://idp.acmecorp.company/token","certs_url":"https://idp.acmecorp.company/jwks",
				"scopes":["openid","email"],"pkce_enabled":false,"email_claim_name":"mail","claims":["groups"]}}`,
			update: `{"name":"authentik renamed"}`, touched: []string{"updated_at"},
			writeOnly: []string{"config.client_secret"},
			always:    with(timestamps("created_at", "updated_at"), map[string]string{"id": serverID})},
		{name: "saml identity provider", collection: "/access/identity_providers",
			minimal: `{"name":"saml","type":"saml","config":{"issuer_url":"https://idp.acmecorp.company/saml",
				"sso_target_url":"https://idp.acmecorp.company/sso","idp_public_certs":["{{cert_b64}}"]}}`,
			full: `{"name":"saml full","type":"saml","config":{"issuer_url":"https://idp.acmecorp.company/saml",
				"sso_target_url":"https://idp.acmecorp.company/sso","idp_public_certs":[{{cert_pem}}],
				"email_attribute_name":"mail","attributes":["groups"],"sign_request":false}}`,
			update: `{"name":"saml renamed"}`, touched: []string{"updated_at"},
			always: with(timestamps("created_at", "updated_at"), map[string]string{"id": serverID})},
		{name: "reusable policy", collection: "/access/policies",
			minimal: `{"name":"Staff","decision":"allow","include":[{"email_domain":{"domain":"acmecorp.company"}}]}`,
			full: `{"name":"Staff full","decision":"deny","include":[{"email_domain":{"domain":"acmecorp.company"}}],
				"exclude":[{"email":{"email":"eve@acmecorp.company"}}],"require":[{"ip":{"ip":"10.0.0.0/8"}}],"session_duration":"8h",
				"approval_required":false,"isolation_required":false,"purpose_justification_required":false,"purpose_justification_prompt":"Why?",
				"approval_groups":[{"approvals_needed":2,"email_addresses":["lead@acmecorp.company"]},{"approvals_needed":1,"email_list_uuid":"597147a1-976b-4ef2-9af0-81d5d007fc34"}]}`,
			update: `{"name":"Staff renamed"}`, touched: []string{"updated_at"},
			always: with(timestamps("created_at", "updated_at"), map[string]string{"id": serverID,
				"exclude": cfEmpty, "require": cfEmpty, "reusable": cfAlways, "app_count": cfAlways})},
		{name: "application policy", collection: "/access/apps/{{app}}/policies",
			setup: func(t *testing.T, f *fixture) {
				a := f.call(t, "POST", "/access/apps", map[string]any{"type": "self_hosted", "name": "Host", "domain": "host.acmecorp.company"}, 201)
				f.vars["app"] = a["id"].(string)
			},
			minimal: `{"name":"Own","decision":"allow","include":[{"everyone":{}}]}`,
			full: `{"name":"Own full","decision":"allow","include":[{"everyone":{}}],"exclude":[{"email":{"email":"eve@acmecorp.company"}}],
				"require":[{"email_domain":{"domain":"acmecorp.company"}}],"session_duration":"1h","precedence":7,
				"approval_required":false,"isolation_required":false,"purpose_justification_required":false,"purpose_justification_prompt":"",
				"approval_groups":[]}`,
			update: `{"name":"Own renamed"}`, touched: []string{"updated_at"},
			always: with(timestamps("created_at", "updated_at"), map[string]string{"id": serverID, "precedence": "after the app's last policy when unset",
				"exclude": cfEmpty, "require": cfEmpty, "reusable": cfAlways, "app_count": cfAlways})},
		{name: "self_hosted application", collection: "/access/apps",
			minimal: `{"type":"self_hosted","name":"Min","domain":"min.acmecorp.company"}`,
			full: `{"type":"self_hosted","name":"Full","domain":"full.acmecorp.company/admin","session_duration":"8h",
				"allowed_idps":["{{idp}}"],"auto_redirect_to_identity":true,"app_launcher_visible":false,
				"logo_url":"https://acmecorp.company/logo.png","custom_deny_message":"Ask IT","custom_deny_url":"https://acmecorp.company/denied",
				"tags":["prod"],"same_site_cookie_attribute":"lax","http_only_cookie_attribute":false,"path_cookie_attribute":true,
				"cors_headers":{"allowed_origins":["https://acmecorp.company"],"allowed_methods":["GET"],"max_age":600},"options_preflight_bypass":false,
				"origin_url":"http://10.0.0.5:3000","origin_request":{"connect_timeout":5},"read_service_tokens_from_header":"X-Service-Token",
				"policies":[{"id":"{{policy}}","precedence":2},{"name":"Inline","decision":"allow","include":[{"everyone":{}}],"precedence":1,
				"approval_required":false,"purpose_justification_prompt":"Why?","approval_groups":[{"approvals_needed":1,"email_addresses":["lead@acmecorp.company"]}]}]}`,
			update: `{"session_duration":"2h"}`, touched: []string{"updated_at"},
			normalised: map[string]func(*testing.T, *fixture, any, any){"policies": samePolicies},
			always: with(appBase, map[string]string{"session_duration": cfDefault + " (24h)", "allowed_idps": cfEmpty,
				"auto_redirect_to_identity": cfAlways, "app_launcher_visible": cfDefault + " (true)", "tags": cfEmpty,
				"http_only_cookie_attribute": cfDefault + " (true)"})},
		{name: "bookmark application", collection: "/access/apps",
			minimal: `{"type":"bookmark","name":"Wiki","domain":"https://wiki.acmecorp.company"}`,
			full: `{"type":"bookmark","name":"Docs","domain":"https://docs.acmecorp.company","logo_url":"https://acmecorp.company/docs.png",
				"app_launcher_visible":false,"tags":["docs"],"policies":["{{policy}}"]}`,
			update: `{"name":"Docs renamed"}`, touched: []string{"updated_at"},
			normalised: map[string]func(*testing.T, *fixture, any, any){"policies": samePolicies},
			always:     with(appBase, map[string]string{"app_launcher_visible": cfDefault + " (true)", "tags": cfEmpty})},
		{name: "app_launcher application", collection: "/access/apps",
			minimal: `{"type":"app_launcher"}`,
			full: `{"type":"app_launcher","name":"Launcher","session_duration":"12h","allowed_idps":["{{idp}}"],"auto_redirect_to_identity":true,
				"custom_deny_url":"https://acmecorp.company/denied","skip_app_launcher_login_page":false,"policies":[{"id":"{{policy}}","precedence":1}]}`,
			update: `{"session_duration":"1h"}`, touched: []string{"updated_at"},
			normalised: map[string]func(*testing.T, *fixture, any, any){"policies": samePolicies},
			always: with(appBase, map[string]string{"name": "the type's name when unset", "domain": "the team domain, server-assigned",
				"session_duration": cfDefault + " (24h)", "allowed_idps": cfEmpty, "auto_redirect_to_identity": cfAlways,
				"skip_app_launcher_login_page": cfDefault + " (false)"})},
		{name: "dash_sso application", collection: "/access/apps",
			minimal: `{"type":"dash_sso"}`,
			full: `{"type":"dash_sso","name":"Dashboard SSO","session_duration":"12h","allowed_idps":["{{idp}}"],"auto_redirect_to_identity":true,
				"custom_deny_url":"https://acmecorp.company/denied","policies":["{{policy}}"]}`,
			update: `{"session_duration":"1h"}`, touched: []string{"updated_at"},
			normalised: map[string]func(*testing.T, *fixture, any, any){"policies": samePolicies},
			always: with(appBase, map[string]string{"name": "the type's name when unset", "domain": "the team domain, server-assigned",
				"session_duration": cfDefault + " (24h)", "allowed_idps": cfEmpty, "auto_redirect_to_identity": cfAlways})},
		{name: "api token", collection: "/tokens", created: 200,
			minimal: `{"name":"min","policies":[{"effect":"allow","permission_groups":[{"id":"{{group}}"}],"resources":{"com.cloudflare.api.account.{{account}}":"*"}}]}`,
			full: `{"name":"full","status":"active","not_before":"2020-01-01T00:00:00Z","expires_on":"2099-01-01T00:00:00Z",
				"condition":{"request_ip":{"in":["10.0.0.0/8"],"not_in":["10.0.0.1"]}},
				"policies":[{"effect":"allow","permission_groups":[{"id":"{{group}}"}],"resources":{"com.cloudflare.api.account.{{account}}":"*"}}]}`,
			update: `{"name":"renamed"}`, touched: []string{"modified_on"},
			createOnly: []string{"value"},
			normalised: map[string]func(*testing.T, *fixture, any, any){"policies": sameTokenPolicies},
			always: with(timestamps("issued_on", "modified_on"), map[string]string{"id": serverID, "status": cfDefault + " (active)",
				"last_used_on": cfAlways + " (null until used)"})},
		{name: "sso connector", collection: "/sso_connectors", created: 200,
			minimal: `{"email_domain":"acmecorp.dev"}`,
			full:    `{"email_domain":"acmecorp.company","use_fedramp_language":true,"begin_verification":false}`,
			update:  `{"use_fedramp_language":false}`, patch: true, touched: []string{"updated_on", "verification"},
			// begin_verification is an action (start checking DNS now), not a field.
			writeOnly: []string{"begin_verification"},
			always: with(timestamps("created_on", "updated_on"), map[string]string{"id": serverID, "enabled": cfAlways,
				"use_fedramp_language": cfAlways, "verification": "the verification state, server-kept (docs/api.md)"})},
		{name: "member", collection: "/members", created: 200,
			minimal:    `{"email":"min@acmecorp.company","roles":["{{role_admin}}"]}`,
			full:       `{"email":"full@acmecorp.company","roles":["{{role_admin}}"],"status":"accepted"}`,
			update:     `{"roles":["{{role_ro}}"]}`,
			normalised: map[string]func(*testing.T, *fixture, any, any){"roles": sameRoles},
			always: map[string]string{"id": serverID, "status": cfDefault + " (pending)", "policies": cfEmpty + " (the policies form is refused)",
				"user": "the member's user, server-made"}},
	}
}

// samePolicies: an app's policies are sent as ids, links or inline
// policies and come back as the policy objects, by precedence.
func samePolicies(t *testing.T, f *fixture, sent, got any) {
	t.Helper()
	items, _ := sent.([]any)
	back, _ := got.([]any)
	if len(items) != len(back) {
		t.Fatalf("policies: sent %d, got %d: %v", len(items), len(back), got)
	}
	byPrecedence := map[float64]map[string]any{}
	for _, b := range back {
		m := b.(map[string]any)
		byPrecedence[m["precedence"].(float64)] = m
	}
	for i, it := range items {
		want := map[string]any{"precedence": float64(i + 1)}
		switch v := it.(type) {
		case string:
			want["id"] = v
		case map[string]any:
			for k, x := range v {
				want[k] = x
			}
		}
		g := byPrecedence[want["precedence"].(float64)]
		if g == nil {
			t.Errorf("policies: no policy at precedence %v: %v", want["precedence"], got)
			continue
		}
		for k, x := range want {
			if !cmp.Equal(x, g[k]) {
				t.Errorf("policies[%d].%s: sent %v, got %v", i, k, x, g[k])
			}
		}
	}
}

// sameTokenPolicies: a token policy comes back with an id, and each
// permission group with its name (Cloudflare's shape).
func sameTokenPolicies(t *testing.T, f *fixture, sent, got any) {
	t.Helper()
	items, _ := sent.([]any)
	back, _ := got.([]any)
	if len(items) != len(back) {
		t.Fatalf("policies: sent %v, got %v", sent, got)
	}
	for i := range items {
		s, g := items[i].(map[string]any), back[i].(map[string]any)
		if id, _ := g["id"].(string); id == "" {
			t.Errorf("policies[%d] has no id", i)
		}
		groups := []any{}
		for _, x := range g["permission_groups"].([]any) {
			groups = append(groups, map[string]any{"id": x.(map[string]any)["id"]})
		}
		if !cmp.Equal(s["permission_groups"], groups) || !cmp.Equal(s["effect"], g["effect"]) || !cmp.Equal(s["resources"], g["resources"]) {
			t.Errorf("policies[%d]: sent %v, got %v", i, s, g)
		}
	}
}

// sameRoles: roles are sent by id and come back as role objects.
func sameRoles(t *testing.T, f *fixture, sent, got any) {
	t.Helper()
	ids, _ := sent.([]any)
	back, _ := got.([]any)
	if len(ids) != len(back) {
		t.Fatalf("roles: sent %v, got %v", sent, got)
	}
	for i := range ids {
		if back[i].(map[string]any)["id"] != ids[i] {
			t.Errorf("roles[%d]: sent %v, got %v", i, ids[i], back[i])
		}
	}
}

// newFixture makes what the bodies name: an identity provider, a reusable
// policy, the organization (for team-domain apps), a certificate, ids.
func newFixture(t *testing.T, f *fixture) {
	t.Helper()
	der := selfSigned(t)
	f.vars["cert_b64"] = base64.StdEncoding.EncodeToString(der)
	f.vars["cert_pem"] = mustJSON(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	f.vars["account"] = f.AccountID
	g, _ := tokens.GroupByName(tokens.SSORead)
	f.vars["group"] = g.ID
	admin, _ := accounts.RoleByName(accounts.RoleAdmin)
	ro, _ := accounts.RoleByName(accounts.RoleReadOnly)
	f.vars["role_admin"], f.vars["role_ro"] = admin.ID, ro.ID
}

func fixtureObjects(t *testing.T, f *fixture) {
	t.Helper()
	idp := f.call(t, "POST", "/access/identity_providers", f.expand(t, `{"name":"fixture","type":"oidc","config":{"client_id":"c",
		"client_secret":"s","auth_url":"https://idp.acmecorp.company/a","token_url":"https://idp.acmecorp.company/t","certs_url":"https://idp.acmecorp.company/j"}}`), 201)
	pol := f.call(t, "POST", "/access/policies", f.expand(t, `{"name":"fixture","decision":"allow","include":[{"everyone":{}}]}`), 201)
	f.vars["idp"], f.vars["policy"] = idp["id"].(string), pol["id"].(string)
}

func selfSigned(t *testing.T) []byte {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "roundtrip IdP"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}
