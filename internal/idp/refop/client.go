package refop

import (
	"crypto/subtle"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// opClient adapts a Client to the library. It deliberately does not
// implement op.HasRedirectGlobs and is never "native", so the library's
// redirect check is exact string equality (authentik "Strict"), with no
// loopback-port leniency.
type opClient struct {
	Client
	store *storage
}

var _ op.Client = (*opClient)(nil)

func (c *opClient) GetID() string                       { return c.ID }
func (c *opClient) RedirectURIs() []string              { return slices.Clone(c.Client.RedirectURIs) }
func (c *opClient) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }

// PostLogoutRedirectURIs: authentik before 2026.5 treats every registered
// redirect URI as valid after logout too.
func (c *opClient) PostLogoutRedirectURIs() []string { return slices.Clone(c.Client.RedirectURIs) }

func (c *opClient) AuthMethod() oidc.AuthMethod {
	if c.Secret == "" {
		return oidc.AuthMethodNone // public client: the library then insists on PKCE
	}
	return oidc.AuthMethodBasic // the library accepts client_secret_post as well
}

func (c *opClient) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *opClient) GrantTypes() []oidc.GrantType        { return []oidc.GrantType{oidc.GrantTypeCode} }
func (c *opClient) LoginURL(id string) string           { return c.store.loginURL(id) }
func (c *opClient) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeBearer }
func (c *opClient) DevMode() bool                       { return false }
func (c *opClient) IsScopeAllowed(string) bool          { return false }

// IDTokenUserinfoClaimsAssertion: authentik's include_claims_in_id_token
// defaults to true, so profile and email claims ride in the ID token.
func (c *opClient) IDTokenUserinfoClaimsAssertion() bool { return true }

func (c *opClient) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

func (c *opClient) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// ClockSkew and IDTokenLifetime are the library's only handles on the times
// it stamps (it calls time.Now() itself): iat = time.Now()-skew and
// exp = time.Now()+skew+lifetime. With skew = time.Now()-clock() and
// lifetime = TTL-2*skew, iat = clock() and exp = clock()+TTL.
func (c *opClient) ClockSkew() time.Duration { return c.store.skew() }

func (c *opClient) IDTokenLifetime() time.Duration { return tokenTTL - 2*c.store.skew() }

func equalSecret(want, got string) bool {
	return subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}
