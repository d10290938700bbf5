package oidcrp

import (
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// KeyCache holds the signing keys of IdPs by certs URL, shared between
// logins. The zero value is ready to use; it is safe for concurrent use.
type KeyCache struct {
	// MaxAge after which cached keys are fetched again before use, so a
	// rotation is picked up even without an unknown kid. 0 means an hour.
	MaxAge time.Duration

	mu   sync.Mutex
	sets map[string]*cachedKeys
}

// maxCachedSets bounds the cache: one entry per configured IdP, so only a
// misbehaving caller would reach it.
const maxCachedSets = 1024

type cachedKeys struct {
	mu      sync.Mutex // held while fetching: one fetch per URL at a time
	keys    []jose.JSONWebKey
	fetched time.Time
	gen     uint64 // bumped on every successful fetch
}

// NewKeyCache returns an empty cache.
func NewKeyCache() *KeyCache { return &KeyCache{} }

func (c *KeyCache) maxAge() time.Duration {
	if c.MaxAge <= 0 {
		return time.Hour
	}
	return c.MaxAge
}

func (c *KeyCache) entry(certsURL string) *cachedKeys {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.sets[certsURL]; ok {
		return e
	}
	if c.sets == nil {
		c.sets = map[string]*cachedKeys{}
	}
	if len(c.sets) >= maxCachedSets {
		for u := range c.sets { // map order: an arbitrary victim
			delete(c.sets, u)
			break
		}
	}
	e := &cachedKeys{}
	c.sets[certsURL] = e
	return e
}

// get returns the keys for certsURL, fetching them when there are none or
// they are older than MaxAge; fresh reports that this call fetched them.
func (c *KeyCache) get(ctx context.Context, hc *http.Client, certsURL string) (keys []jose.JSONWebKey, gen uint64, fresh bool, err error) {
	e := c.entry(certsURL)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.gen > 0 && time.Since(e.fetched) < c.maxAge() {
		return e.keys, e.gen, false, nil
	}
	if err := e.fetch(ctx, hc, certsURL); err != nil {
		return nil, 0, false, err
	}
	return e.keys, e.gen, true, nil
}

// refresh fetches the keys again unless another login already did since
// generation seen, in which case that result is used: concurrent logins
// with an unknown kid cause one fetch, not one each.
func (c *KeyCache) refresh(ctx context.Context, hc *http.Client, certsURL string, seen uint64) ([]jose.JSONWebKey, error) {
	e := c.entry(certsURL)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.gen != seen && e.gen > 0 {
		return e.keys, nil
	}
	if err := e.fetch(ctx, hc, certsURL); err != nil {
		return nil, err
	}
	return e.keys, nil
}

func (e *cachedKeys) fetch(ctx context.Context, hc *http.Client, certsURL string) error {
	keys, err := fetchKeys(ctx, hc, certsURL)
	if err != nil {
		return err
	}
	e.keys, e.fetched = keys, time.Now()
	e.gen++
	return nil
}

// fetchKeys reads a JWK set and keeps the public signing keys it can use:
// encryption keys, symmetric keys and key types go-jose does not know are
// skipped, as RFC 7517 §5 asks. `{}` is authentik without a signing key.
func fetchKeys(ctx context.Context, hc *http.Client, certsURL string) ([]jose.JSONWebKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, certsURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d", certsURL, resp.StatusCode)
	}
	if len(body) > maxBody {
		return nil, fmt.Errorf("GET %s: key set larger than 1 MiB", certsURL)
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("GET %s: not a JSON Web Key Set: %w", certsURL, err)
	}
	var keys []jose.JSONWebKey
	for _, raw := range set.Keys {
		var k jose.JSONWebKey
		if json.Unmarshal(raw, &k) != nil || k.Use == "enc" {
			continue
		}
		pub := k.Public() // a published private key still verifies as public
		switch pub.Key.(type) {
		case *rsa.PublicKey, *ecdsa.PublicKey:
			keys = append(keys, pub)
		}
	}
	return keys, nil
}

// keySet is go-oidc's KeySet for one Finish call. go-oidc flattens the
// KeySet's error into a string, so the reasoned error and the verified
// payload are kept here for verifyIDToken to read.
type keySet struct {
	cache    *KeyCache
	hc       *http.Client
	certsURL string

	err     error  // why verification failed, as an *Error
	payload []byte // the verified payload
}

func (ks *keySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	jws, err := jose.ParseSigned(jwt, acceptedAlgs)
	if err != nil || len(jws.Signatures) != 1 {
		ks.err = fail(ReasonMalformedIDToken, err, "the ID token is not a compact JWS with one signature")
		return nil, ks.err
	}
	kid := jws.Signatures[0].Header.KeyID
	keys, gen, fresh, err := ks.cache.get(ctx, ks.hc, ks.certsURL)
	if err != nil {
		return nil, ks.unavailable(err)
	}
	payload, kidKnown, ok := verifyWith(jws, keys, kid)
	if !ok && !fresh {
		if keys, err = ks.cache.refresh(ctx, ks.hc, ks.certsURL, gen); err != nil {
			return nil, ks.unavailable(err)
		}
		payload, kidKnown, ok = verifyWith(jws, keys, kid)
	}
	switch {
	case ok:
		ks.payload = payload
		return payload, nil
	case len(keys) == 0:
		ks.err = fail(ReasonEmptyJWKS, nil,
			"the identity provider publishes no signing keys at %s: select a signing key on the provider (authentik: edit the OAuth2/OpenID provider and choose a Signing Key, e.g. the self-signed certificate)", ks.certsURL)
	case !kidKnown:
		ks.err = fail(ReasonUnknownKID, nil,
			"the ID token is signed with key %q, which %s does not publish even after fetching it again: certs_url must be the JWKS of this very provider (authentik: https://authentik.company/application/o/<slug>/jwks/)", clip(kid, 100), ks.certsURL)
	default:
		ks.err = fail(ReasonBadSignature, nil,
			"failed to verify the ID token with fresh keys from %s: its signature matches no published key; check that certs_url belongs to the provider that issued the token", ks.certsURL)
	}
	return nil, ks.err
}

func (ks *keySet) unavailable(err error) error {
	ks.err = fail(ReasonJWKSUnavailable, err,
		"ssogate could not read the identity provider's signing keys from %s; check certs_url (authentik: https://authentik.company/application/o/<slug>/jwks/) and that it is reachable from this server", ks.certsURL)
	return ks.err
}

// verifyWith tries the keys the kid names (every key when either side has
// no kid); kidKnown reports whether any key was a candidate.
func verifyWith(jws *jose.JSONWebSignature, keys []jose.JSONWebKey, kid string) (payload []byte, kidKnown, ok bool) {
	for i := range keys {
		if kid != "" && keys[i].KeyID != "" && keys[i].KeyID != kid {
			continue
		}
		kidKnown = true
		if p, err := jws.Verify(&keys[i]); err == nil {
			return p, true, true
		}
	}
	return nil, kidKnown, false
}
