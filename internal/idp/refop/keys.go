package refop

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// keyring holds the provider's one signing key. In HS256 mode the library
// still signs with an RSA key (it cannot sign HS256, see hs256.go) and the
// token endpoint re-signs the ID token with the client secret.
type keyring struct {
	mode    SigningMode
	alg     jose.SignatureAlgorithm // what the library signs with
	kid     string
	private crypto.Signer
}

func newKeyring(mode SigningMode) (*keyring, error) {
	k := &keyring{mode: mode, alg: jose.RS256}
	var err error
	if mode == SigningES256 {
		k.alg = jose.ES256
		k.private, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	} else {
		k.private, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		return nil, fmt.Errorf("refop: generate signing key: %w", err)
	}
	thumb, err := (&jose.JSONWebKey{Key: k.private.Public()}).Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("refop: key thumbprint: %w", err)
	}
	k.kid = base64.RawURLEncoding.EncodeToString(thumb)
	return k, nil
}

// advertised is the alg discovery announces: the one relying parties see.
func (k *keyring) advertised() jose.SignatureAlgorithm {
	if k.mode == SigningHS256 {
		return jose.HS256
	}
	return k.alg
}

// publishes reports whether the JWKS carries the public key; authentik
// without a signing key, and the none-jwks mode, answer `{}`.
func (k *keyring) publishes() bool { return k.mode == SigningRS256 || k.mode == SigningES256 }

func (k *keyring) signing() op.SigningKey { return signingKey{k} }
func (k *keyring) public() []op.Key       { return []op.Key{publicKey{k}} }

type signingKey struct{ k *keyring }

func (s signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return s.k.alg }
func (s signingKey) Key() any                                    { return s.k.private }
func (s signingKey) ID() string                                  { return s.k.kid }

type publicKey struct{ k *keyring }

func (p publicKey) ID() string                         { return p.k.kid }
func (p publicKey) Algorithm() jose.SignatureAlgorithm { return p.k.alg }
func (p publicKey) Use() string                        { return "sig" }
func (p publicKey) Key() any                           { return p.k.private.Public() }

// hintKeySet verifies id_token_hint (end-session, authorize) against what
// the provider actually issued: its own key, or in HS256 mode the secret of
// the client named in azp/aud.
type hintKeySet struct{ s *storage }

func (h hintKeySet) VerifySignature(ctx context.Context, jws *jose.JSONWebSignature) ([]byte, error) {
	if len(jws.Signatures) != 1 {
		return nil, errors.New("want exactly one signature")
	}
	if jws.Signatures[0].Header.Algorithm != string(jose.HS256) {
		return (&op.OpenIDKeySet{Storage: h.s}).VerifySignature(ctx, jws)
	}
	clientID, err := tokenClientID(jws.UnsafePayloadWithoutVerification())
	if err != nil {
		return nil, err
	}
	c, ok := h.s.client(clientID)
	if !ok || c.Secret == "" {
		return nil, errors.New("no client secret to verify an HS256 token with")
	}
	// go-jose refuses HMAC keys under 32 bytes, so short secrets cannot be
	// checked here; issuing (hs256.go) has no such limit.
	return jws.Verify([]byte(c.Secret))
}

// tokenClientID reads azp, else a single aud, from JWT claims.
func tokenClientID(payload []byte) (string, error) {
	var claims struct {
		AZP string          `json:"azp"`
		Aud json.RawMessage `json:"aud"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return "", fmt.Errorf("token claims: %w", err)
	}
	if claims.AZP != "" {
		return claims.AZP, nil
	}
	var one string
	if json.Unmarshal(claims.Aud, &one) == nil && one != "" {
		return one, nil
	}
	var many []string
	if json.Unmarshal(claims.Aud, &many) == nil && len(many) == 1 {
		return many[0], nil
	}
	return "", errors.New("token names no single client")
}

// signHS256 builds a compact JWS the way authentik (PyJWT) does without a
// signing key: header {"alg":"HS256","typ":"JWT"}, no kid, HMAC-SHA256 keyed
// with the client secret. Done by hand because go-jose refuses short keys
// and authentik does not.
func signHS256(payload []byte, secret string) string {
	enc := base64.RawURLEncoding
	signingInput := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString(payload)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(signingInput))
	return signingInput + "." + enc.EncodeToString(mac.Sum(nil))
}
