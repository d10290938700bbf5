package keys

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/ssogate/ssogate/internal/secretbox"
	"github.com/ssogate/ssogate/internal/store"
)

// rsaBits is the size of every signing key: Cloudflare's, and what every
// JWT library accepts.
const rsaBits = 2048

// certValidity bounds the self-signed certificates. Nothing checks their
// dates (origins must use the JWKs), but a certificate that expired while
// its key is still published would confuse tools that look.
const certValidity = 5 * 365 * 24 * time.Hour

// Key is the public side of one signing key, as a snapshot.
type Key struct {
	KID       string
	AccountID string
	Public    *rsa.PublicKey
	JWK       JWK
	CertPEM   string
	CreatedOn time.Time
	RotatedOn *time.Time // nil while the key is current
	RetireOn  *time.Time // when it leaves the certs document; nil while current
}

// Current reports whether k signs new tokens.
func (k Key) Current() bool { return k.RotatedOn == nil }

// JWK is one entry of the certs document's "keys", in its field order.
type JWK struct {
	KID string `json:"kid"`
	Kty string `json:"kty"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	E   string `json:"e"`
	N   string `json:"n"`
}

// keyState is what an instance holds for one key. Everything but the
// rotation times and the opened signer is fixed when the key is created.
type keyState struct {
	kid       string
	accountID string
	pub       *rsa.PublicKey
	jwk       JWK
	certPEM   string
	created   time.Time
	sealed    string

	rotatedOn atomic.Int64 // unix micros; 0 while current
	retireOn  atomic.Int64 // unix micros; 0 while current

	mu     sync.Mutex
	signer jose.Signer // nil until the private key has been opened
}

func (k *keyState) current() bool { return k.rotatedOn.Load() == 0 }

// publishedAt reports whether the key is still in the certs document at
// the time given in unix micros.
func (k *keyState) publishedAt(us int64) bool {
	r := k.retireOn.Load()
	return r == 0 || us < r
}

func (k *keyState) snapshot() Key {
	out := Key{KID: k.kid, AccountID: k.accountID, Public: k.pub, JWK: k.jwk, CertPEM: k.certPEM,
		CreatedOn: k.created}
	if us := k.rotatedOn.Load(); us != 0 {
		t := store.FromMicros(us)
		out.RotatedOn = &t
	}
	if us := k.retireOn.Load(); us != 0 {
		t := store.FromMicros(us)
		out.RetireOn = &t
	}
	return out
}

func sealAAD(kid string) string { return "access_key:" + kid }

// kidOf is the hex SHA-256 of the DER SubjectPublicKeyInfo.
func kidOf(pub *rsa.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:]), nil
}

func jwkOf(kid string, pub *rsa.PublicKey) JWK {
	return JWK{KID: kid, Kty: "RSA", Alg: "RS256", Use: "sig",
		E: base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		N: base64.RawURLEncoding.EncodeToString(pub.N.Bytes())}
}

// material is a freshly generated key, ready to insert.
type material struct {
	state   *keyState
	priv    *rsa.PrivateKey
	jwkJSON string
}

// newMaterial generates a key pair, its certificate and sealed private key.
// It runs outside any transaction: RSA generation takes tens of
// milliseconds, too long to hold SQLite's write lock.
func newMaterial(box *secretbox.Box, accountID string, now time.Time) (*material, error) {
	priv, err := rsa.GenerateKey(rand.Reader, rsaBits)
	if err != nil {
		return nil, fmt.Errorf("generate access signing key: %w", err)
	}
	kid, err := kidOf(&priv.PublicKey)
	if err != nil {
		return nil, err
	}
	certPEM, err := selfSigned(priv, kid, now)
	if err != nil {
		return nil, err
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	privPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})
	jwk := jwkOf(kid, &priv.PublicKey)
	jwkJSON, err := json.Marshal(jwk)
	if err != nil {
		return nil, err
	}
	st := &keyState{kid: kid, accountID: accountID, pub: &priv.PublicKey, jwk: jwk,
		certPEM: certPEM, created: now, sealed: box.Seal(privPEM, sealAAD(kid))}
	return &material{state: st, priv: priv, jwkJSON: string(jwkJSON)}, nil
}

func selfSigned(priv *rsa.PrivateKey, kid string, now time.Time) (string, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "ssogate Access signing key " + kid[:16]},
		NotBefore:             now.Add(-5 * time.Minute),
		NotAfter:              now.Add(certValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		return "", fmt.Errorf("self-sign access key certificate: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), nil
}

// parsePublic rebuilds a stored key's public half and checks it against
// its kid, so a row whose key was swapped is refused rather than trusted.
func parsePublic(kid, jwkJSON string) (*rsa.PublicKey, JWK, error) {
	var j JWK
	if err := json.Unmarshal([]byte(jwkJSON), &j); err != nil {
		return nil, j, fmt.Errorf("access key %s: stored JWK: %w", kid, err)
	}
	n, errN := base64.RawURLEncoding.DecodeString(j.N)
	e, errE := base64.RawURLEncoding.DecodeString(j.E)
	if errN != nil || errE != nil || j.Kty != "RSA" || len(e) == 0 || len(e) > 4 {
		return nil, j, fmt.Errorf("access key %s: stored JWK is not an RSA public key", kid)
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	if got, err := kidOf(pub); err != nil || got != kid || j.KID != kid {
		return nil, j, fmt.Errorf("access key %s: stored public key does not match its kid", kid)
	}
	return pub, j, nil
}

// signerFor opens the sealed private key once and keeps the signer. The
// error says what to check: the usual cause is a secretbox key other than
// the one the database was created with.
func (k *keyState) signerFor(box *secretbox.Box) (jose.Signer, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.signer != nil {
		return k.signer, nil
	}
	priv, err := openPrivate(box, k)
	if err != nil {
		return nil, err
	}
	return k.setSigner(priv)
}

func (k *keyState) setSigner(priv *rsa.PrivateKey) (jose.Signer, error) {
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256,
		Key: jose.JSONWebKey{Key: priv, KeyID: k.kid, Algorithm: string(jose.RS256), Use: "sig"}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, fmt.Errorf("access key %s: %w", k.kid, err)
	}
	k.signer = s
	return s, nil
}

func openPrivate(box *secretbox.Box, k *keyState) (*rsa.PrivateKey, error) {
	pemBytes, err := box.Open(k.sealed, sealAAD(k.kid))
	if err != nil {
		return nil, fmt.Errorf("access signing key %s of account %s cannot be decrypted "+
			"(is the secretbox key the one this database was created with?): %w", k.kid, k.accountID, err)
	}
	block, _ := pem.Decode(pemBytes)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("access signing key %s: decrypted value is not a PKCS#8 PEM key", k.kid)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("access signing key %s: %w", k.kid, err)
	}
	priv, ok := parsed.(*rsa.PrivateKey)
	if !ok || !priv.PublicKey.Equal(k.pub) {
		return nil, errors.New("access signing key " + k.kid + ": private key does not match the stored public key")
	}
	return priv, nil
}
