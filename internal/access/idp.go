package access

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/ssogate/ssogate/internal/api"
)

// Masked is what ssogate once showed for a stored secret. Responses now
// leave write-only secrets out, as Cloudflare does (the Terraform provider
// keeps the secret from its state only when the API leaves it out); an
// update that sends the mask back still keeps the stored secret.
const Masked = "**********"

// IdentityProvider is an identity provider as the API shows it.
type IdentityProvider struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Type      string     `json:"type"`
	Config    OIDCConfig `json:"config"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	AccountID string     `json:"-"`
}

// OIDCConfig is the configuration of a generic OIDC provider
// (cloudflare-api.md §4.2) plus IssuerURL, from which the endpoints are
// discovered when they are not given (authentik's
// https://authentik.company/application/o/<slug>/). It holds what the
// client set — an optional field never sent stays unset and is not
// returned, so a client that compares what it sent with what it reads
// (Terraform) sees no drift; Effective applies the defaults where the
// configuration is used. The client secret is sealed in its own column,
// never here.
type OIDCConfig struct {
	ClientID       string   `json:"client_id"`
	AuthURL        string   `json:"auth_url"`
	TokenURL       string   `json:"token_url"`
	CertsURL       string   `json:"certs_url"`
	IssuerURL      string   `json:"issuer_url,omitempty"`
	Scopes         []string `json:"scopes,omitzero"`
	PKCEEnabled    *bool    `json:"pkce_enabled,omitempty"`
	EmailClaimName string   `json:"email_claim_name,omitempty"`
	Claims         []string `json:"claims,omitzero"`
	SAMLConfig
}

// SAMLConfig is the configuration of a SAML provider, with Cloudflare's
// names; IssuerURL (the IdP's entity ID) is shared with OIDC. Stored with
// the OIDC fields in one document; a SAML provider's responses show only
// these (see IdentityProvider.MarshalJSON). IdPPublicCerts are kept as
// sent (PEM or the bare base64 body); Effective makes them PEM.
type SAMLConfig struct {
	SSOTargetURL       string   `json:"sso_target_url,omitempty"`
	IdPPublicCerts     []string `json:"idp_public_certs,omitempty"`
	EmailAttributeName string   `json:"email_attribute_name,omitempty"`
	Attributes         []string `json:"attributes,omitzero"`
	SignRequest        *bool    `json:"sign_request,omitempty"`
}

// Defaults applied where a configuration is used (Effective).
var (
	defaultScopes     = []string{"openid", "email", "profile"}
	defaultEmailClaim = "email"
)

// PKCE reports whether the login uses PKCE (off unless set).
func (c OIDCConfig) PKCE() bool { return c.PKCEEnabled != nil && *c.PKCEEnabled }

// Effective is the provider as the login flow uses it: unset fields take
// their defaults and certificates are PEM.
func (p IdentityProvider) Effective() IdentityProvider {
	c := &p.Config
	if len(c.Scopes) == 0 {
		c.Scopes = defaultScopes
	}
	if c.EmailClaimName == "" {
		c.EmailClaimName = defaultEmailClaim
	}
	if c.Claims == nil {
		c.Claims = []string{}
	}
	if c.Attributes == nil {
		c.Attributes = []string{}
	}
	certs := make([]string, len(c.IdPPublicCerts))
	for i, cert := range c.IdPPublicCerts {
		certs[i] = pemCert(cert)
	}
	c.IdPPublicCerts = certs
	return p
}

// samlView is a SAML provider's config block in responses: what was set.
type samlView struct {
	IssuerURL          string   `json:"issuer_url"`
	SSOTargetURL       string   `json:"sso_target_url"`
	IdPPublicCerts     []string `json:"idp_public_certs"`
	EmailAttributeName string   `json:"email_attribute_name,omitempty"`
	Attributes         []string `json:"attributes,omitzero"`
	SignRequest        *bool    `json:"sign_request,omitempty"`
}

// MarshalJSON shows each type's own config block.
func (p IdentityProvider) MarshalJSON() ([]byte, error) {
	type plain IdentityProvider
	if p.Type != "saml" {
		return json.Marshal(plain(p))
	}
	c := p.Config
	v := struct {
		plain
		Config samlView `json:"config"`
	}{plain(p), samlView{IssuerURL: c.IssuerURL, SSOTargetURL: c.SSOTargetURL, IdPPublicCerts: c.IdPPublicCerts,
		EmailAttributeName: c.EmailAttributeName, Attributes: c.Attributes, SignRequest: c.SignRequest}}
	return json.Marshal(v)
}

// IdPInput is a create or update body.
type IdPInput struct {
	Name   *string        `json:"name"`
	Type   *string        `json:"type"`
	Config *OIDCConfigRaw `json:"config"`
}

// OIDCConfigRaw is the config block of a request: every key optional so an
// update can change one of them.
type OIDCConfigRaw struct {
	ClientID       *string   `json:"client_id"`
	ClientSecret   *string   `json:"client_secret"`
	AuthURL        *string   `json:"auth_url"`
	TokenURL       *string   `json:"token_url"`
	CertsURL       *string   `json:"certs_url"`
	IssuerURL      *string   `json:"issuer_url"`
	Scopes         *[]string `json:"scopes"`
	PKCEEnabled    *bool     `json:"pkce_enabled"`
	EmailClaimName *string   `json:"email_claim_name"`
	Claims         *[]string `json:"claims"`
	// SAML
	SSOTargetURL       *string   `json:"sso_target_url"`
	IdPPublicCerts     *[]string `json:"idp_public_certs"`
	EmailAttributeName *string   `json:"email_attribute_name"`
	Attributes         *[]string `json:"attributes"`
	SignRequest        *bool     `json:"sign_request"`
}

// applyIdP validates in and merges it into p (secret handled separately:
// it is returned, not stored in p, so it never reaches a response).
func (s *Service) applyIdP(ctx context.Context, p *IdentityProvider, in IdPInput, create bool) (secret *string, err error) {
	if create && (in.Name == nil || in.Type == nil || in.Config == nil) {
		return nil, api.Invalid("", "name, type and config are required, e.g. {\"name\":\"authentik\",\"type\":\"oidc\",\"config\":{\"client_id\":\"…\",\"client_secret\":\"…\",\"issuer_url\":\"https://authentik.company/application/o/<slug>/\"}}")
	}
	if in.Name != nil {
		n := strings.TrimSpace(*in.Name)
		if n == "" || len(n) > 200 {
			return nil, api.Invalid("/name", "name must be 1 to 200 characters (it is shown on the login page)")
		}
		p.Name = n
	}
	if in.Type != nil {
		if !create && *in.Type != p.Type {
			return nil, api.Invalid("/type", "an identity provider's type cannot change; create a new one")
		}
		switch *in.Type {
		case "oidc", "saml":
			p.Type = *in.Type
		default:
			return nil, api.Invalid("/type", "type %q is not supported; use \"oidc\" (OpenID Connect) or \"saml\"", *in.Type)
		}
	}
	if p.Type == "saml" {
		if in.Config != nil {
			mergeSAML(&p.Config, *in.Config)
		}
		return nil, completeSAML(&p.Config)
	}
	if in.Config != nil {
		secret = in.Config.ClientSecret
		if secret != nil && *secret == Masked {
			secret = nil
		}
		mergeOIDC(&p.Config, *in.Config)
	}
	if create && (secret == nil || *secret == "") {
		return nil, api.Invalid("/config/client_secret", "config.client_secret is required (the OAuth client secret from the IdP)")
	}
	if err := s.completeOIDC(ctx, &p.Config); err != nil {
		return nil, err
	}
	return secret, nil
}

func mergeOIDC(c *OIDCConfig, in OIDCConfigRaw) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	if in.IssuerURL != nil && strings.TrimSpace(*in.IssuerURL) != c.IssuerURL {
		// Another issuer: its endpoints are discovered again unless given.
		c.AuthURL, c.TokenURL, c.CertsURL = "", "", ""
	}
	set(&c.ClientID, in.ClientID)
	set(&c.AuthURL, in.AuthURL)
	set(&c.TokenURL, in.TokenURL)
	set(&c.CertsURL, in.CertsURL)
	set(&c.IssuerURL, in.IssuerURL)
	set(&c.EmailClaimName, in.EmailClaimName)
	if in.Scopes != nil {
		c.Scopes = *in.Scopes
	}
	if in.PKCEEnabled != nil {
		c.PKCEEnabled = in.PKCEEnabled
	}
	if in.Claims != nil {
		c.Claims = *in.Claims
	}
}

// completeOIDC discovers missing endpoints from the issuer and checks
// every URL. Defaults are not stored (Effective applies them).
func (s *Service) completeOIDC(ctx context.Context, c *OIDCConfig) error {
	if c.ClientID == "" {
		return api.Invalid("/config/client_id", "config.client_id is required (the OAuth client id from the IdP)")
	}
	if len(c.Scopes) > 0 && !contains(c.Scopes, "openid") {
		return api.Invalid("/config/scopes", "config.scopes must include \"openid\" (leave it out for openid email profile)")
	}
	if c.IssuerURL != "" && (c.AuthURL == "" || c.TokenURL == "" || c.CertsURL == "") {
		if err := s.discover(ctx, c); err != nil {
			return err
		}
	}
	for _, f := range []struct{ ptr, v string }{{"auth_url", c.AuthURL}, {"token_url", c.TokenURL}, {"certs_url", c.CertsURL}} {
		if err := checkURL("/config/"+f.ptr, f.v); err != nil {
			return err
		}
	}
	return nil
}

// discover fills the endpoints from the issuer's discovery document.
// go-oidc checks that the document names the same issuer.
func (s *Service) discover(ctx context.Context, c *OIDCConfig) error {
	if err := checkURL("/config/issuer_url", c.IssuerURL); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, s.http), 10*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(ctx, c.IssuerURL)
	if err != nil {
		return api.Invalid("/config/issuer_url", "could not read the discovery document of %s: %v. For authentik the issuer is https://authentik.company/application/o/<slug>/ (with the trailing slash); or give auth_url, token_url and certs_url yourself",
			c.IssuerURL, err)
	}
	var doc struct {
		JWKS string `json:"jwks_uri"`
	}
	_ = p.Claims(&doc)
	ep := p.Endpoint()
	fill := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	fill(&c.AuthURL, ep.AuthURL)
	fill(&c.TokenURL, ep.TokenURL)
	fill(&c.CertsURL, doc.JWKS)
	return nil
}

func checkURL(ptr, v string) error {
	u, err := url.Parse(v)
	if v == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.Fragment != "" {
		return api.Invalid(ptr, "%s must be an absolute http(s) URL without credentials or fragment, not %q",
			strings.TrimPrefix(ptr, "/config/"), v)
	}
	return nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// sealAAD binds a sealed secret to its row.
func sealAAD(id string) string { return fmt.Sprintf("access_idp:%s", id) }
