package samlref

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/crewjam/saml"

	"github.com/ssogate/ssogate/internal/idp/layout"
)

// User is an account the provider can sign in.
type User struct {
	Username string
	Email    string
	Name     string
	Password string // empty: the form never accepts this user (auto-login still can)
	Groups   []string
}

// SP is a registered service provider (authentik: the provider's ACS URL and
// audience). For Cloudflare Access, and ssogate, both are the team's
// callback URL, e.g. https://<team>/cdn-cgi/access/callback.
type SP struct {
	EntityID string // the AuthnRequest Issuer and the assertion's Audience
	// ACSURL is where responses are POSTed; an AuthnRequest naming any
	// other AssertionConsumerServiceURL is refused (authentik's strict ACS
	// check). Empty: EntityID.
	ACSURL string
}

// Mode selects how responses are signed and what they carry, to reproduce
// authentik configurations seen to break service providers.
type Mode string

const (
	// ModeSigned signs the assertion and the response (RSA-SHA256,
	// SHA-256 digests, the signing certificate in KeyInfo).
	ModeSigned Mode = "signed"
	// ModeSignedAssertion signs only the assertion: authentik's defaults
	// (sign_assertion on, sign_response off).
	ModeSignedAssertion Mode = "signed-assertion"
	// ModeUnsigned signs nothing and the metadata publishes no certificate:
	// authentik with no signing keypair selected.
	ModeUnsigned Mode = "unsigned"
	// ModeWrongKey signs assertion and response with a second keypair, whose
	// certificate (same subject) travels in KeyInfo, while the metadata and
	// CertificatePEM keep publishing the first: the SP holds a stale or
	// wrong certificate.
	ModeWrongKey Mode = "wrong-key"
	// ModeNoEmail is ModeSigned with the email nowhere: no emailaddress,
	// upn or short "email" attribute, and NameID is authentik's persistent
	// id (a hash of the user) instead of the address — authentik with the
	// email mapping removed and its default NameID policy. An SP that falls
	// back to an email-shaped NameID must fail too.
	ModeNoEmail Mode = "no-email"
)

var modes = []Mode{ModeSigned, ModeSignedAssertion, ModeUnsigned, ModeWrongKey, ModeNoEmail}

// Config describes one provider: one authentik application with its SAML
// provider.
type Config struct {
	// Issuer is the base URL (scheme://host[:port][/path]); every route is
	// under Issuer + "/application/saml/" + Slug + "/".
	Issuer string
	Slug   string // application slug, default "ssogate"
	// EntityID overrides the IdP entity ID and Issuer, which default to
	// MetadataURL as in authentik.
	EntityID         string
	Users            []User
	ServiceProviders []SP
	Mode             Mode // default ModeSigned
	// AutoLogin, a username, answers every AuthnRequest for that user at
	// once. Empty: a login form.
	AutoLogin string
	// ShortAttributeNames adds "email", "name" and "groups" attributes next
	// to authentik's claim URIs, as the custom property mappings the
	// Cloudflare guides suggest would.
	ShortAttributeNames bool
	// ClockOffset shifts every time the provider asserts (IssueInstants,
	// NotBefore, NotOnOrAfter, AuthnInstant) as if its clock ran ahead
	// (positive) or behind. The checks on incoming AuthnRequests keep the
	// true time.
	ClockOffset time.Duration
}

// Provider is a running reference SAML identity provider.
type Provider struct {
	base      string // Issuer without trailing slash
	prefix    string // URL path of /application/saml/<slug>/ under base
	app       string // absolute URL of the same
	entityID  string
	shortAttr bool
	installID string // salts the persistent NameID, like an authentik install
	users     map[string]userEntry
	sps       spDirectory
	keys      keyPair
	redirect  *saml.IdentityProvider // SSOURL = the HTTP-Redirect endpoint
	post      *saml.IdentityProvider // SSOURL = the HTTP-POST endpoint
	wrongKey  func() (*saml.IdentityProvider, error)
	handler   http.Handler

	mu       sync.Mutex
	settings settings
}

// settings are what can change after start; each request works on a copy.
type settings struct {
	mode      Mode
	autoLogin string
	offset    time.Duration
}

type userEntry struct {
	User
	pk int // authentik's numeric primary key: the 1-based position in Config.Users
}

const defaultSlug = "ssogate"

// New validates cfg, reporting every problem at once, generates a fresh
// RSA-2048 signing keypair and returns a provider ready to serve.
func New(cfg Config) (*Provider, error) {
	base, basePath, errs := layout.CheckIssuer(cfg.Issuer)
	if cfg.Slug == "" {
		cfg.Slug = defaultSlug
	}
	if !layout.SlugPattern.MatchString(cfg.Slug) {
		errs = append(errs, fmt.Errorf("slug %q: want letters, digits, _ or -", cfg.Slug))
	}
	if cfg.Mode == "" {
		cfg.Mode = ModeSigned
	}
	if !slices.Contains(modes, cfg.Mode) {
		errs = append(errs, fmt.Errorf("mode %q: want one of %v", cfg.Mode, modes))
	}
	p := &Provider{
		base:      base,
		prefix:    basePath + "/application/saml/" + cfg.Slug + "/",
		app:       base + "/application/saml/" + cfg.Slug + "/",
		shortAttr: cfg.ShortAttributeNames,
		installID: randomID(),
		settings:  settings{mode: cfg.Mode, autoLogin: cfg.AutoLogin, offset: cfg.ClockOffset},
	}
	p.entityID = p.MetadataURL()
	if cfg.EntityID != "" {
		p.entityID = cfg.EntityID
	}
	entityURL, err := url.Parse(p.entityID)
	if cfg.EntityID != "" && (err != nil || entityURL.String() != cfg.EntityID) {
		errs = append(errs, fmt.Errorf("entity ID %q: want a URL that round-trips unchanged", cfg.EntityID))
	}
	errs = append(errs, p.loadUsers(cfg.Users, cfg.AutoLogin)...)
	var spErrs []error
	p.sps, spErrs = newSPDirectory(cfg.ServiceProviders)
	errs = append(errs, spErrs...)
	if len(errs) > 0 {
		return nil, fmt.Errorf("samlref: invalid config: %w", errors.Join(errs...))
	}
	if p.keys, err = newKeyPair(); err != nil {
		return nil, err
	}
	p.redirect = p.newIDP(*entityURL, p.SSOURL())
	p.post = p.newIDP(*entityURL, p.SSOPostURL())
	p.wrongKey = sync.OnceValues(p.newWrongKeyIDP)
	p.handler = p.routes()
	return p, nil
}

func (p *Provider) loadUsers(users []User, autoLogin string) (errs []error) {
	p.users = make(map[string]userEntry, len(users))
	for i, u := range users {
		switch _, dup := p.users[u.Username]; {
		case u.Username == "":
			errs = append(errs, fmt.Errorf("user %d: username is empty", i+1))
		case dup:
			errs = append(errs, fmt.Errorf("user %q: listed twice", u.Username))
		default:
			u.Groups = slices.Clone(u.Groups)
			p.users[u.Username] = userEntry{User: u, pk: i + 1}
		}
	}
	if _, ok := p.users[autoLogin]; autoLogin != "" && !ok {
		errs = append(errs, fmt.Errorf("auto-login user %q is not among the users", autoLogin))
	}
	return errs
}

// newIDP wires crewjam/saml's IdentityProvider to this package: the session
// comes from auto-login or the login form, the assertion carries authentik's
// attributes, and the response is signed (or not) as the mode says.
func (p *Provider) newIDP(entityID url.URL, ssoURL string) *saml.IdentityProvider {
	sso, _ := url.Parse(ssoURL) // built from the validated issuer
	return &saml.IdentityProvider{
		Key:                     p.keys.key,
		Certificate:             p.keys.cert,
		Logger:                  log.New(io.Discard, "", 0),
		MetadataURL:             entityID, // the library's name for the entity ID
		SSOURL:                  *sso,
		ServiceProviderProvider: p.sps,
		SessionProvider:         sessions{p},
		AssertionMaker:          assertionMaker{},
		ResponseWriter:          responder{p},
		NameIDFormats:           []saml.NameIDFormat{saml.EmailAddressNameIDFormat},
		OnError:                 p.ssoFailed,
	}
}

// newWrongKeyIDP is the redirect IdP with a second keypair; only the
// response writer uses it, to sign, so its SSOURL does not matter.
func (p *Provider) newWrongKeyIDP() (*saml.IdentityProvider, error) {
	kp, err := newKeyPair()
	if err != nil {
		return nil, err
	}
	idp := *p.redirect
	idp.Key, idp.Certificate = kp.key, kp.cert
	return &idp, nil
}

// routes lays the endpoints out as authentik's legacy per-binding URLs;
// anything else under the prefix is a 404.
func (p *Provider) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(p.prefix+"metadata/{$}", p.serveMetadata)
	mux.HandleFunc(p.prefix+"sso/binding/redirect/{$}", p.serveSSO(p.redirect, http.MethodGet))
	mux.HandleFunc(p.prefix+"sso/binding/post/{$}", p.serveSSO(p.post, http.MethodPost))
	mux.HandleFunc(p.prefix+"login/{$}", p.login)
	return mux
}

// Handler serves every route under <Issuer path>/application/saml/<slug>/.
func (p *Provider) Handler() http.Handler { return p.handler }

// MetadataURL is Issuer + "/application/saml/<slug>/metadata/".
func (p *Provider) MetadataURL() string { return p.app + "metadata/" }

// SSOURL is the HTTP-Redirect binding endpoint, the "SSO URL" an SP is
// configured with: Issuer + "/application/saml/<slug>/sso/binding/redirect/".
func (p *Provider) SSOURL() string { return p.app + "sso/binding/redirect/" }

// SSOPostURL is the HTTP-POST binding endpoint:
// Issuer + "/application/saml/<slug>/sso/binding/post/".
func (p *Provider) SSOPostURL() string { return p.app + "sso/binding/post/" }

// EntityID is the IdP entity ID and the Issuer of responses and assertions:
// MetadataURL unless Config.EntityID overrides it.
func (p *Provider) EntityID() string { return p.entityID }

// CertificatePEM is the signing certificate the metadata publishes, PEM
// encoded, to configure an SP with. It does not change with the mode.
func (p *Provider) CertificatePEM() string { return p.keys.certPEM() }

// SetMode switches the signing mode for the following logins. Safe for
// concurrent use.
func (p *Provider) SetMode(m Mode) error {
	if !slices.Contains(modes, m) {
		return fmt.Errorf("samlref: mode %q: want one of %v", m, modes)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.settings.mode = m
	return nil
}

// SetAutoLogin switches the user answered without a form; "" brings the
// login form back. An unknown username makes sign-ins fail with an error
// page. Safe for concurrent use.
func (p *Provider) SetAutoLogin(username string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.settings.autoLogin = username
}

// SetClockOffset changes Config.ClockOffset for the following logins. Safe
// for concurrent use.
func (p *Provider) SetClockOffset(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.settings.offset = d
}

func (p *Provider) snapshot() settings {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.settings
}
