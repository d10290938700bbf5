package oidcrp

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Provider is an admin's OIDC identity provider configuration
// (access.OIDCConfig with the endpoints already discovered).
type Provider struct {
	ClientID     string
	ClientSecret string // empty: a public client (use PKCE)
	AuthURL      string
	TokenURL     string
	CertsURL     string
	// Issuer, when set, must equal the ID token's iss exactly (authentik:
	// https://authentik.company/application/o/<slug>/, trailing slash).
	Issuer     string
	Scopes     []string // default openid email profile; openid is always sent
	PKCE       bool     // S256 on every login
	EmailClaim string   // default "email"
	Claims     []string // extra ID-token claims to copy into Identity.Claims
}

// Options are the caller's environment for Finish.
type Options struct {
	HTTPClient *http.Client     // default: a client with a 10 s timeout
	Now        func() time.Time // default time.Now
	// Leeway tolerates clock differences with the IdP: iat and nbf up to
	// Leeway in the future, exp up to Leeway in the past. 0 means 60 s; a
	// negative value means none.
	Leeway time.Duration
	// KeyCache, shared between logins, saves a JWKS fetch per login. Nil:
	// the keys are fetched on every Finish.
	KeyCache *KeyCache
}

// Start is what Begin hands back: the URL to redirect the browser to, and
// the values the caller stores server-side until the callback.
type Start struct {
	URL      string
	State    string
	Nonce    string
	Verifier string // PKCE code_verifier; empty without PKCE
}

const (
	defaultLeeway  = 60 * time.Second
	defaultTimeout = 10 * time.Second
)

var defaultScopes = []string{"openid", "email", "profile"}

// Begin starts a login: a fresh state and nonce, the PKCE pair when
// p.PKCE, and the IdP authorize URL carrying them.
func Begin(p Provider, redirectURI string) (Start, error) {
	if err := p.check(redirectURI); err != nil {
		return Start{}, err
	}
	state, err := randomToken()
	if err != nil {
		return Start{}, err
	}
	nonce, err := randomToken()
	if err != nil {
		return Start{}, err
	}
	u, _ := url.Parse(p.AuthURL) // checked by p.check
	q := u.Query()
	q.Set("response_type", "code")
	q.Set("client_id", p.ClientID)
	q.Set("redirect_uri", redirectURI)
	q.Set("scope", strings.Join(p.scopes(), " "))
	q.Set("state", state)
	q.Set("nonce", nonce)
	s := Start{State: state, Nonce: nonce}
	if p.PKCE {
		s.Verifier = oauth2.GenerateVerifier()
		q.Set("code_challenge", oauth2.S256ChallengeFromVerifier(s.Verifier))
		q.Set("code_challenge_method", "S256")
	}
	u.RawQuery = q.Encode()
	s.URL = u.String()
	return s, nil
}

// randomToken is 256 random bits, base64url: far beyond the 128 bits that
// make state and nonce unguessable.
func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fail(ReasonInvalidConfig, err, "no randomness available to start a login")
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// scopes are the configured scopes with openid first if it was missing:
// without it the IdP issues no ID token.
func (p Provider) scopes() []string {
	if len(p.Scopes) == 0 {
		return defaultScopes
	}
	if slices.Contains(p.Scopes, "openid") {
		return p.Scopes
	}
	return append([]string{"openid"}, p.Scopes...)
}

func (p Provider) emailClaim() string {
	if p.EmailClaim == "" {
		return "email"
	}
	return p.EmailClaim
}

// check reports every missing or malformed setting at once.
func (p Provider) check(redirectURI string) error {
	var problems []string
	if strings.TrimSpace(p.ClientID) == "" {
		problems = append(problems, "client_id is empty")
	}
	for _, f := range []struct{ name, value string }{
		{"auth_url", p.AuthURL}, {"token_url", p.TokenURL}, {"certs_url", p.CertsURL}, {"redirect URI", redirectURI},
	} {
		if msg := checkURL(f.name, f.value); msg != "" {
			problems = append(problems, msg)
		}
	}
	if len(problems) > 0 {
		return fail(ReasonInvalidConfig, errors.New(strings.Join(problems, "; ")),
			"the identity provider is not fully configured: %s", strings.Join(problems, "; "))
	}
	return nil
}

func checkURL(name, raw string) string {
	if raw == "" {
		return name + " is empty"
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Fragment != "" {
		return name + " " + clip(raw, 200) + " is not an absolute http(s) URL without fragment"
	}
	return ""
}

func (o Options) withDefaults() Options {
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: defaultTimeout}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	switch {
	case o.Leeway == 0:
		o.Leeway = defaultLeeway
	case o.Leeway < 0:
		o.Leeway = 0
	}
	if o.KeyCache == nil {
		o.KeyCache = &KeyCache{}
	}
	return o
}
