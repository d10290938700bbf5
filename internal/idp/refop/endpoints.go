package refop

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"strconv"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// claimsSupported: the registered claims authentik lists, plus the ones
// its default scope mappings put in our ID tokens.
var claimsSupported = []string{
	"sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "amr", "nonce",
	"email", "email_verified", "name", "given_name", "preferred_username", "nickname", "groups",
}

// discovery starts from the library's document and trims it to what this
// provider really does, in authentik's words.
func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	d := op.CreateDiscoveryConfig(op.ContextWithIssuer(r.Context(), p.issuer), p.op, p.store)
	d.ScopesSupported = supportedScopes
	d.ResponseTypesSupported = []string{string(oidc.ResponseTypeCode)}
	d.ResponseModesSupported = []string{"query", "fragment", "form_post"}
	d.GrantTypesSupported = []oidc.GrantType{oidc.GrantTypeCode}
	d.SubjectTypesSupported = []string{"public"}
	d.TokenEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodPost, oidc.AuthMethodBasic}
	d.TokenEndpointAuthSigningAlgValuesSupported = nil
	d.IntrospectionEndpointAuthSigningAlgValuesSupported = nil
	d.IntrospectionEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodBasic}
	d.RevocationEndpointAuthSigningAlgValuesSupported = nil
	d.RevocationEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodPost, oidc.AuthMethodBasic}
	d.RequestObjectSigningAlgValuesSupported = nil
	d.RequestParameterSupported = false
	d.DeviceAuthorizationEndpoint = "" // not served
	d.CheckSessionIframe = ""
	d.ClaimsSupported = claimsSupported
	d.CodeChallengeMethodsSupported = []oidc.CodeChallengeMethod{oidc.CodeChallengeMethodPlain, oidc.CodeChallengeMethodS256}
	d.UILocalesSupported = nil
	w.Header().Set("Access-Control-Allow-Origin", "*")
	writeJSON(w, http.StatusOK, d)
}

// jwksHandler answers `{}` (authentik's exact body) when the provider
// publishes no key, else the library's key set.
func (p *Provider) jwksHandler() http.Handler {
	if p.store.keys.publishes() {
		return p.op
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Write([]byte("{}"))
	})
}

// tokenHandler is the library's token endpoint; in HS256 mode its answer
// is rewritten. The library cannot issue HS256 ID tokens itself: it computes
// at_hash through crypto.GetHashAlgorithm, which has no HS256 case, and it
// has one signing key per provider while authentik keys HS256 per client.
// So it signs RS256 as usual and the ID token is re-signed here, payload
// untouched (at_hash is SHA-256 based for RS256 and HS256 alike).
func (p *Provider) tokenHandler() http.Handler {
	if p.signing != SigningHS256 {
		return p.op
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &recorder{header: http.Header{}, status: http.StatusOK}
		p.op.ServeHTTP(rec, r)
		body := rec.body.Bytes()
		if rec.status == http.StatusOK {
			var err error
			if body, err = p.resignIDToken(body); err != nil {
				slog.ErrorContext(r.Context(), "refop: re-sign ID token as HS256", "error", err)
				writeJSON(w, http.StatusInternalServerError, oidc.ErrServerError().WithDescription("cannot sign the ID token"))
				return
			}
		}
		maps.Copy(w.Header(), rec.header)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.status)
		w.Write(body)
	})
}

func (p *Provider) resignIDToken(body []byte) ([]byte, error) {
	var resp map[string]json.RawMessage
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, fmt.Errorf("token response: %w", err)
	}
	var idToken string
	if err := json.Unmarshal(resp["id_token"], &idToken); err != nil || idToken == "" {
		return body, nil // no ID token to re-sign
	}
	jws, err := jose.ParseSigned(idToken, []jose.SignatureAlgorithm{p.store.keys.alg})
	if err != nil {
		return nil, err
	}
	payload, err := jws.Verify(p.store.keys.private.Public())
	if err != nil {
		return nil, err
	}
	clientID, err := tokenClientID(payload)
	if err != nil {
		return nil, err
	}
	c, ok := p.store.client(clientID)
	if !ok || c.Secret == "" {
		return nil, fmt.Errorf("client %q has no secret to sign HS256 with", clientID)
	}
	if resp["id_token"], err = json.Marshal(signHS256(payload, c.Secret)); err != nil {
		return nil, err
	}
	return json.Marshal(resp)
}

// recorder buffers a handler's answer so it can be rewritten.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
	wrote  bool
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.body.Write(b)
}

func (p *Provider) loggedOut(w http.ResponseWriter, r *http.Request) {
	renderPage(w, http.StatusOK, "message", pageData{Title: "Signed out", Message: "You have been signed out."})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b)
}
