package refop

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/ssogate/ssogate/internal/idp/layout"
)

// User is an account the provider can sign in.
type User struct {
	ID            string // stable internal id; defaults to Username. The sub claim is a hash of it.
	Username      string
	Email         string
	Name          string
	Password      string
	Groups        []string
	EmailVerified bool
}

// Client is an OAuth2/OIDC application (authentik: a provider's client).
type Client struct {
	ID     string
	Secret string // empty: a public client, which must use PKCE
	// RedirectURIs are matched by exact string equality, like authentik's
	// "Strict" mode: scheme, host, port, path and trailing slash all count.
	RedirectURIs []string
}

// SigningMode selects how ID tokens are signed and what the JWKS publishes.
type SigningMode string

const (
	// SigningRS256 is authentik with its self-signed RSA certificate selected.
	SigningRS256 SigningMode = "RS256"
	// SigningES256 is authentik with an EC P-256 key selected.
	SigningES256 SigningMode = "ES256"
	// SigningHS256 is authentik with no signing key selected: ID tokens are
	// HS256 with the client secret as key and no kid, and the JWKS is `{}`.
	SigningHS256 SigningMode = "HS256"
	// SigningNoneJWKS signs RS256 but publishes an empty JWKS `{}`, as a
	// provider whose key set is unreachable or misconfigured would.
	SigningNoneJWKS SigningMode = "none-jwks"
)

// Config describes one provider: one authentik application with its
// OAuth2/OpenID provider.
type Config struct {
	// Issuer is the base URL (scheme://host[:port][/path]). The provider's
	// issuer is Issuer + "/application/o/" + Slug + "/", authentik's
	// per_provider issuer mode, trailing slash included.
	Issuer  string
	Slug    string // application slug, default "ssogate"
	Users   []User
	Clients []Client
	Signing SigningMode // default SigningRS256
	// OmitEmailClaim drops email and email_verified, like a provider whose
	// email scope mapping is missing.
	OmitEmailClaim bool
	// ClockOffset shifts the times the provider asserts (iat, exp,
	// auth_time; no nbf is issued, as in authentik) as if its clock ran
	// ahead (positive) or behind (negative). expires_in is a duration and
	// stays one hour.
	ClockOffset time.Duration
	// AutoLogin, a username, makes /authorize sign that user in without a
	// form. Empty: an HTML login form.
	AutoLogin string
	Now       func() time.Time // default time.Now
}

// Provider is a running reference OpenID provider.
type Provider struct {
	issuer  string // .../application/o/<slug>/
	base    string // Issuer without trailing slash
	prefix  string // URL path of /application/o/ under base
	slug    string
	signing SigningMode
	store   *storage
	op      *op.Provider
	handler http.Handler
}

var (
	// authentik reserves these slugs because they are the global endpoints.
	reservedSlugs = []string{"authorize", "token", "device", "userinfo", "introspect", "revoke"}
)

const defaultSlug = "ssogate"

// New validates cfg, reporting every problem at once, generates a fresh
// signing key and returns a provider ready to serve.
func New(cfg Config) (*Provider, error) {
	base, basePath, errs := layout.CheckIssuer(cfg.Issuer)
	if cfg.Slug == "" {
		cfg.Slug = defaultSlug
	}
	if !layout.SlugPattern.MatchString(cfg.Slug) || slices.Contains(reservedSlugs, cfg.Slug) {
		errs = append(errs, fmt.Errorf("slug %q: want letters, digits, _ or -, and not one of %v", cfg.Slug, reservedSlugs))
	}
	if cfg.Signing == "" {
		cfg.Signing = SigningRS256
	}
	if !slices.Contains([]SigningMode{SigningRS256, SigningES256, SigningHS256, SigningNoneJWKS}, cfg.Signing) {
		errs = append(errs, fmt.Errorf("signing mode %q: want RS256, ES256, HS256 or none-jwks", cfg.Signing))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	store := newStorage(cfg, base)
	errs = append(errs, store.load(cfg)...)
	if len(errs) > 0 {
		return nil, fmt.Errorf("refop: invalid config: %w", errors.Join(errs...))
	}
	keys, err := newKeyring(cfg.Signing)
	if err != nil {
		return nil, err
	}
	store.keys = keys
	p := &Provider{
		issuer:  base + "/application/o/" + cfg.Slug + "/",
		base:    base,
		prefix:  basePath + "/application/o/",
		slug:    cfg.Slug,
		signing: cfg.Signing,
		store:   store,
	}
	store.loginURL = p.loginURL
	if p.op, err = p.newOP(); err != nil {
		return nil, err
	}
	p.handler = p.routes()
	return p, nil
}

func (p *Provider) newOP() (*op.Provider, error) {
	var cryptoKey [32]byte
	if _, err := rand.Read(cryptoKey[:]); err != nil {
		return nil, err
	}
	global := func(name string) *op.Endpoint {
		return op.NewEndpointWithURL(p.prefix+name+"/", p.base+"/application/o/"+name+"/")
	}
	perApp := func(name string) *op.Endpoint {
		return op.NewEndpointWithURL(p.prefix+p.slug+"/"+name+"/", p.issuer+name+"/")
	}
	config := &op.Config{
		CryptoKey:                cryptoKey,
		CryptoKeyId:              "refop",
		DefaultLogoutRedirectURI: p.issuer + "logged-out/",
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		SupportedScopes:          supportedScopes,
	}
	opts := []op.Option{
		op.WithAllowInsecure(), // loopback tests and the demo run on http
		op.WithCustomEndpoints(global("authorize"), global("token"), global("userinfo"),
			global("revoke"), perApp("end-session"), perApp("jwks")),
		op.WithCustomIntrospectionEndpoint(global("introspect")),
		op.WithIDTokenHintKeySet(hintKeySet{p.store}),
	}
	if p.signing == SigningHS256 {
		opts = append(opts, op.WithIDTokenHintVerifierOpts(op.WithSupportedIDTokenHintSigningAlgorithms("HS256")))
	}
	return op.NewProvider(config, p.store, op.StaticIssuer(p.issuer), opts...)
}

// routes lays the endpoints out exactly as authentik does: authorize, token
// and userinfo are global; discovery, JWKS and end-session sit under the
// application slug. Anything else under the prefix is a 404.
func (p *Provider) routes() http.Handler {
	withIssuer := op.NewIssuerInterceptor(p.op.IssuerFromRequest).Handler
	app := p.prefix + p.slug + "/"
	mux := http.NewServeMux()
	mux.Handle(p.prefix+"authorize/{$}", withIssuer(http.HandlerFunc(p.authorize)))
	mux.Handle(p.prefix+"token/{$}", p.tokenHandler())
	mux.Handle(p.prefix+"userinfo/{$}", p.op)
	mux.Handle(p.prefix+"introspect/{$}", p.op)
	mux.Handle(p.prefix+"revoke/{$}", p.op)
	mux.Handle(app+".well-known/openid-configuration", http.HandlerFunc(p.discovery))
	mux.Handle(app+"jwks/{$}", p.jwksHandler())
	mux.Handle(app+"end-session/{$}", p.op)
	mux.Handle(app+"login/{$}", withIssuer(http.HandlerFunc(p.login)))
	mux.Handle(app+"logged-out/{$}", http.HandlerFunc(p.loggedOut))
	return mux
}

// Handler serves every route under <Issuer path>/application/o/.
func (p *Provider) Handler() http.Handler { return p.handler }

// IssuerURL is the iss claim: Issuer + "/application/o/<slug>/".
func (p *Provider) IssuerURL() string { return p.issuer }

// DiscoveryURL is IssuerURL + ".well-known/openid-configuration".
func (p *Provider) DiscoveryURL() string { return p.issuer + ".well-known/openid-configuration" }

// SetAutoLogin switches the user /authorize signs in without a form; ""
// brings the login form back. Safe for concurrent use.
func (p *Provider) SetAutoLogin(username string) { p.store.setAutoLogin(username) }

// AddUser adds or replaces (by Username) a user.
func (p *Provider) AddUser(u User) error { return p.store.addUser(u) }

// AddClient adds or replaces (by ID) a client.
func (p *Provider) AddClient(c Client) error { return p.store.addClient(c) }

// Subject is the sub claim the provider asserts for username: authentik's
// default "hashed user id" mode, stable for a given user ID and Issuer.
func (p *Provider) Subject(username string) (string, bool) { return p.store.subjectOf(username) }

func (p *Provider) loginURL(authRequestID string) string {
	return p.issuer + "login/?id=" + url.QueryEscape(authRequestID)
}
