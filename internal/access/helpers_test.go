package access_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	cloudflare "github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/iam"
	"github.com/cloudflare/cloudflare-go/v6/option"
	"github.com/cloudflare/cloudflare-go/v6/zero_trust"

	"github.com/ssogate/ssogate/internal/apptest"
	"github.com/ssogate/ssogate/internal/idp/refop"
)

var (
	uuidForm = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	audForm  = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// notAUUID is a path id of the wrong shape: the router must answer 400
// 7003 without a query.
const notAUUID = "not-a-uuid"

// apiError asserts err is an API error with the status and returns it.
func apiError(t testing.TB, err error, status int) *cloudflare.Error {
	t.Helper()
	var apiErr *cloudflare.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("want an API error with status %d, got %v", status, err)
	}
	if apiErr.StatusCode != status || len(apiErr.Errors) == 0 {
		t.Fatalf("want status %d with errors, got %d: %v", status, apiErr.StatusCode, err)
	}
	return apiErr
}

// wantError asserts err is an API error with the status whose messages
// (or source pointers) mention every one of words.
func wantError(t testing.TB, err error, status int, words ...string) *cloudflare.Error {
	t.Helper()
	apiErr := apiError(t, err, status)
	var text []string
	for _, e := range apiErr.Errors {
		text = append(text, e.Message, e.Source.Pointer)
	}
	all := strings.Join(text, " | ")
	for _, w := range words {
		if !strings.Contains(all, w) {
			t.Errorf("error does not mention %q: %s", w, all)
		}
	}
	return apiErr
}

// wantCode asserts the first error's code.
func wantCode(t testing.TB, err error, status int, code int64) {
	t.Helper()
	if got := apiError(t, err, status).Errors[0].Code; got != code {
		t.Errorf("errors[0].code = %d, want %d: %v", got, code, err)
	}
}

// object decodes a raw JSON object.
func object(t testing.TB, raw string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatalf("not a JSON object (%v): %s", err, raw)
	}
	return m
}

// resultOf decodes a raw response's envelope and returns its result object.
func resultOf(t testing.TB, r apptest.Response, status int) map[string]any {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	m, _ := r.JSON(t)["result"].(map[string]any)
	return m
}

func isTime(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	_, err := time.Parse(time.RFC3339, s)
	return err == nil && strings.HasSuffix(s, "Z")
}

// isArray reports whether v is a JSON array (not null).
func isArray(v any) bool {
	_, ok := v.([]any)
	return ok
}

// arr is v as a JSON array, nil when it is not one.
func arr(v any) []any {
	a, _ := v.([]any)
	return a
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// status records the HTTP response so a test can check the status code.
func status(dst **http.Response) option.RequestOption { return option.WithResponseInto(dst) }

// createOrg creates the account's organization for team.
func createOrg(t testing.TB, c *cloudflare.Client, account, team string) *zero_trust.Organization {
	t.Helper()
	o, err := c.ZeroTrust.Organizations.New(context.Background(), zero_trust.OrganizationNewParams{
		AccountID: cloudflare.F(account), Name: cloudflare.F(team), AuthDomain: cloudflare.F(team)})
	if err != nil {
		t.Fatalf("create organization %s: %v", team, err)
	}
	return o
}

// oidcIdP is a create body for a generic OIDC provider with explicit URLs.
func oidcIdP(name, secret string) zero_trust.IdentityProviderAccessOIDCParam {
	return zero_trust.IdentityProviderAccessOIDCParam{
		Name: cloudflare.F(name),
		Type: cloudflare.F(zero_trust.IdentityProviderTypeOIDC),
		Config: cloudflare.F(zero_trust.IdentityProviderAccessOIDCConfigParam{
			ClientID:       cloudflare.F("ssogate"),
			ClientSecret:   cloudflare.F(secret),
			AuthURL:        cloudflare.F("https://idp.acmecorp.company/authorize"),
			TokenURL:       cloudflare.F("https://idp.acmecorp.company/token"),
			CERTsURL:       cloudflare.F("https://idp.acmecorp.company/jwks"),
			Scopes:         cloudflare.F([]string{"openid", "email", "profile"}),
			PKCEEnabled:    cloudflare.F(true),
			EmailClaimName: cloudflare.F("mail"),
			Claims:         cloudflare.F([]string{"groups"}),
		}),
	}
}

// createIdP creates an OIDC identity provider and returns its id.
func createIdP(t testing.TB, c *cloudflare.Client, account, name string) string {
	t.Helper()
	p, err := c.ZeroTrust.IdentityProviders.New(context.Background(), zero_trust.IdentityProviderNewParams{
		AccountID: cloudflare.F(account), IdentityProvider: oidcIdP(name, "secret-"+name)})
	if err != nil {
		t.Fatalf("create identity provider %s: %v", name, err)
	}
	return p.ID
}

// startProvider serves an authentik-like OpenID provider on loopback.
func startProvider(t testing.TB, slug string) *refop.Provider {
	t.Helper()
	var handler http.Handler = http.NotFoundHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	p, err := refop.New(refop.Config{Issuer: srv.URL, Slug: slug,
		Clients: []refop.Client{{ID: "ssogate", Secret: "discovered-secret", RedirectURIs: []string{"http://acme.access.localhost/cdn-cgi/access/callback"}}}})
	if err != nil {
		t.Fatal(err)
	}
	handler = p.Handler()
	return p
}

// deadURL is an http URL on loopback where nothing listens.
func deadURL(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// rule builders for the SDK's typed params.
func emailDomain(d string) zero_trust.AccessRuleUnionParam {
	return zero_trust.DomainRuleParam{EmailDomain: cloudflare.F(zero_trust.DomainRuleEmailDomainParam{Domain: cloudflare.F(d)})}
}

func email(e string) zero_trust.AccessRuleUnionParam {
	return zero_trust.EmailRuleParam{Email: cloudflare.F(zero_trust.EmailRuleEmailParam{Email: cloudflare.F(e)})}
}

// createPolicy creates a reusable allow policy for a domain.
func createPolicy(t testing.TB, c *cloudflare.Client, account, name, domain string) string {
	t.Helper()
	p, err := c.ZeroTrust.Access.Policies.New(context.Background(), zero_trust.AccessPolicyNewParams{
		AccountID: cloudflare.F(account), Name: cloudflare.F(name), Decision: cloudflare.F(zero_trust.DecisionAllow),
		Include: cloudflare.F([]zero_trust.AccessRuleUnionParam{emailDomain(domain)})})
	if err != nil {
		t.Fatalf("create policy %s: %v", name, err)
	}
	return p.ID
}

// selfHosted is a minimal self-hosted application body.
func selfHosted(name, domain string) zero_trust.AccessApplicationNewParamsBodySelfHostedApplication {
	return zero_trust.AccessApplicationNewParamsBodySelfHostedApplication{
		Type: cloudflare.F(zero_trust.ApplicationTypeSelfHosted), Name: cloudflare.F(name), Domain: cloudflare.F(domain)}
}

// createApp creates an application and returns its raw JSON.
func createApp(t testing.TB, c *cloudflare.Client, account string, body zero_trust.AccessApplicationNewParamsBodyUnion) map[string]any {
	t.Helper()
	a, err := c.ZeroTrust.Access.Applications.New(context.Background(), zero_trust.AccessApplicationNewParams{
		AccountID: cloudflare.F(account), Body: body})
	if err != nil {
		t.Fatalf("create application: %v", err)
	}
	return object(t, a.JSON.RawJSON())
}

// verifiedConnector creates an SSO connector for domain, publishes its
// TXT record and verifies it; it returns the connector id.
func verifiedConnector(t testing.TB, env *apptest.Env, c *cloudflare.Client, account, domain string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := c.IAM.SSO.New(ctx, iam.SSONewParams{AccountID: cloudflare.F(account), EmailDomain: cloudflare.F(domain)})
	if err != nil {
		t.Fatalf("create connector %s: %v", domain, err)
	}
	env.Publish(domain, conn.Verification.Code)
	if _, err := c.IAM.SSO.BeginVerification(ctx, conn.ID, iam.SSOBeginVerificationParams{AccountID: cloudflare.F(account)}); err != nil {
		t.Fatalf("begin verification of %s: %v", domain, err)
	}
	got, err := c.IAM.SSO.Get(ctx, conn.ID, iam.SSOGetParams{AccountID: cloudflare.F(account)})
	if err != nil || got.Verification.Status != "verified" {
		t.Fatalf("connector %s not verified: %v %s", domain, err, got.JSON.RawJSON())
	}
	return conn.ID
}

// setConnector enables or disables a connector and returns the whole
// response envelope.
func setConnector(t testing.TB, c *cloudflare.Client, account, id string, enabled bool) map[string]any {
	t.Helper()
	var body []byte
	_, err := c.IAM.SSO.Update(context.Background(), id, iam.SSOUpdateParams{AccountID: cloudflare.F(account),
		Enabled: cloudflare.F(enabled)}, option.WithResponseBodyInto(&body))
	if err != nil {
		t.Fatalf("set connector %s enabled=%v: %v", id, enabled, err)
	}
	env := object(t, string(body))
	if res, _ := env["result"].(map[string]any); res["enabled"] != enabled {
		t.Fatalf("connector enabled = %v, want %v: %s", res["enabled"], enabled, body)
	}
	return env
}
