package keys

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Errors from Verify and VerifyCached. All wrap ErrInvalidToken.
var (
	ErrInvalidToken = errors.New("invalid access token")
	ErrMalformed    = fmt.Errorf("%w: not a compact JWS", ErrInvalidToken)
	ErrAlgorithm    = fmt.Errorf("%w: signature algorithm not allowed (only RS256)", ErrInvalidToken)
	ErrUnknownKey   = fmt.Errorf("%w: signing key is not published for this account", ErrInvalidToken)
	ErrSignature    = fmt.Errorf("%w: signature does not verify", ErrInvalidToken)
	ErrClaims       = fmt.Errorf("%w: claims are not a JSON object of the expected shape", ErrInvalidToken)
)

// rs256Only is the whole algorithm allow-list: never HS256 (which would
// let anyone holding the public key forge tokens) and never "none".
var rs256Only = []jose.SignatureAlgorithm{jose.RS256}

// Sign returns claims (marshalled with encoding/json) as an RS256 JWT
// signed by the account's current key, with the header
// {"alg":"RS256","kid":<kid>,"typ":"JWT"}.
func (m *Manager) Sign(ctx context.Context, accountID string, claims any) (string, error) {
	k, err := m.ensureCurrent(ctx, accountID)
	if err != nil {
		return "", err
	}
	signer, err := k.signerFor(m.box)
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("marshal token claims: %w", err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("sign access token: %w", err)
	}
	return jws.CompactSerialize()
}

// Verify checks token's RS256 signature against the account's published
// keys, chosen by kid, and decodes its claims into dst with encoding/json.
// It does not look at the claims: call ValidateStandard (or check them
// yourself) before trusting any of them.
func (m *Manager) Verify(ctx context.Context, accountID, token string, dst any) error {
	_, err := m.verify(ctx, accountID, token, dst, m.now())
	return err
}

// CacheStats are VerifyCached's cache hits and misses since start.
func (m *Manager) CacheStats() (hits, misses uint64) { return m.cache.Stats() }

// VerifyCached is Verify into a Claims, answered from a cache of tokens
// already verified for this account while they are unexpired. Outcomes
// equal Verify's; only the cost differs. The returned Claims' slice and
// map are shared with the cache: read them, do not modify them.
func (m *Manager) VerifyCached(ctx context.Context, accountID, token string) (Claims, error) {
	now := m.now()
	if c, ok := m.cache.get(accountID, token, now); ok {
		return c, nil
	}
	var c Claims
	k, err := m.verify(ctx, accountID, token, &c, now)
	if err != nil {
		return Claims{}, err
	}
	m.cache.put(accountID, token, c, k, now)
	return c, nil
}

func (m *Manager) verify(ctx context.Context, accountID, token string, dst any, now time.Time) (*keyState, error) {
	jws, err := jose.ParseSignedCompact(token, rs256Only)
	if err != nil {
		return nil, classifyParseError(token)
	}
	if len(jws.Signatures) != 1 {
		return nil, ErrMalformed
	}
	k, err := m.publishedKey(ctx, accountID, jws.Signatures[0].Header.KeyID, now)
	if err != nil {
		return nil, err
	}
	payload, err := jws.Verify(k.pub)
	if err != nil {
		return nil, ErrSignature
	}
	if err := json.Unmarshal(payload, dst); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrClaims, err)
	}
	return k, nil
}

// classifyParseError tells a token with a refused algorithm (the
// interesting case for logs: HS256 or "none" is an attack or a
// misconfigured client) from one that is not a JWS at all.
func classifyParseError(token string) error {
	head, _, ok := strings.Cut(token, ".")
	if !ok {
		return ErrMalformed
	}
	raw, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return ErrMalformed
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(raw, &h) != nil || h.Alg == "" {
		return ErrMalformed
	}
	if h.Alg != string(jose.RS256) {
		return fmt.Errorf("%w: got %q", ErrAlgorithm, h.Alg)
	}
	return ErrMalformed
}

// publishedKey finds kid among the account's published keys, rereading
// them at once when the kid is unknown (another instance may have just
// created or rotated, and its notification may still be on the way), but
// not more than once a second per account, so tokens with made-up kids
// cannot turn into a query each.
func (m *Manager) publishedKey(ctx context.Context, accountID, kid string, now time.Time) (*keyState, error) {
	if !isKid(kid) {
		return nil, ErrUnknownKey
	}
	v, err := m.view(ctx, accountID, false)
	if err != nil {
		return nil, err
	}
	if k := v.find(kid, now); k != nil {
		return k, nil
	}
	if !m.mayReload(accountID, now) {
		return nil, ErrUnknownKey
	}
	if v, err = m.view(ctx, accountID, true); err != nil {
		return nil, err
	}
	if k := v.find(kid, now); k != nil {
		return k, nil
	}
	return nil, ErrUnknownKey
}

// isKid reports whether s can be one of our kids (64 lower-case hex), so
// junk never reaches the database.
func isKid(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Certs returns the account's certs document, the exact body of
// GET /cdn-cgi/access/certs: every published key as a JWK, the current
// key's certificate as public_cert, and every published certificate.
func (m *Manager) Certs(ctx context.Context, accountID string) (CertsDoc, error) {
	keys, err := m.Published(ctx, accountID)
	if err != nil {
		return CertsDoc{}, err
	}
	doc := CertsDoc{Keys: []JWK{}, PublicCerts: []CertEntry{}}
	for _, k := range keys {
		doc.Keys = append(doc.Keys, k.JWK)
		doc.PublicCerts = append(doc.PublicCerts, CertEntry{KID: k.KID, Cert: k.CertPEM})
		if k.Current() {
			doc.PublicCert = CertEntry{KID: k.KID, Cert: k.CertPEM}
		}
	}
	return doc, nil
}

// CertsDoc is the JSON body of /cdn-cgi/access/certs.
type CertsDoc struct {
	Keys        []JWK       `json:"keys"`
	PublicCert  CertEntry   `json:"public_cert"`
	PublicCerts []CertEntry `json:"public_certs"`
}

// CertEntry is one PEM certificate tagged with its key's kid.
type CertEntry struct {
	KID  string `json:"kid"`
	Cert string `json:"cert"`
}

// mayReload reports whether an unknown kid may reread the account's keys
// now, and if so records that it did.
func (m *Manager) mayReload(accountID string, now time.Time) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	last, ok := m.reloaded[accountID]
	if ok && now.Sub(last) < unknownKidReload && !now.Before(last) {
		return false
	}
	if len(m.reloaded) >= maxReloadTracked {
		clear(m.reloaded) // only a rate limit: forgetting it allows one more reload each
	}
	m.reloaded[accountID] = now
	return true
}
