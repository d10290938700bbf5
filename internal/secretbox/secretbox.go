package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the size of a Box key in bytes (AES-256).
const KeySize = 32

// prefix starts every sealed value in the current format.
const prefix = "sb1:"

const nonceSize = 12 // GCM's standard nonce; random nonces are safe for 2^32 seals per key

var (
	// ErrFormat reports a value that is not a sealed value of a known format.
	ErrFormat = errors.New("secretbox: not a sealed value (expected \"sb1:<base64url>\")")
	// ErrOpen reports a sealed value that no key of the Box can open: it was
	// sealed with another key, for another row (aad), or was altered.
	ErrOpen = errors.New("secretbox: cannot decrypt: sealed with a different key, bound to a different row, or altered")
)

// Box seals with one key and opens with that key or any older one.
type Box struct {
	current cipher.AEAD
	all     []cipher.AEAD // current first
}

// New returns a Box using a 32-byte key.
func New(key []byte) (*Box, error) {
	return NewWithOld(key)
}

// NewWithOld returns a Box that seals with current and opens values sealed
// with current or any of old, for rotating the key: start with the new key
// and the old one, re-seal every value, then drop the old key.
func NewWithOld(current []byte, old ...[]byte) (*Box, error) {
	b := &Box{}
	for i, k := range append([][]byte{current}, old...) {
		aead, err := newAEAD(k)
		if err != nil {
			if i == 0 {
				return nil, fmt.Errorf("secretbox: current key: %w", err)
			}
			return nil, fmt.Errorf("secretbox: old key %d: %w", i, err)
		}
		b.all = append(b.all, aead)
	}
	b.current = b.all[0]
	return b, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Seal encrypts plaintext bound to aad and returns the text form.
func (b *Box) Seal(plaintext []byte, aad string) string {
	buf := make([]byte, nonceSize, nonceSize+len(plaintext)+b.current.Overhead())
	_, _ = rand.Read(buf) // crypto/rand.Read never fails on supported platforms
	buf = b.current.Seal(buf, buf[:nonceSize], plaintext, []byte(aad))
	return prefix + base64.RawURLEncoding.EncodeToString(buf)
}

// Open decrypts a value made by Seal with the same aad. It returns ErrFormat
// for text that is not a sealed value and ErrOpen when no key opens it.
func (b *Box) Open(sealed, aad string) ([]byte, error) {
	body, ok := strings.CutPrefix(sealed, prefix)
	if !ok {
		return nil, ErrFormat
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || len(raw) < nonceSize+b.current.Overhead() {
		return nil, ErrFormat
	}
	nonce, ct := raw[:nonceSize], raw[nonceSize:]
	for _, aead := range b.all {
		if pt, err := aead.Open(nil, nonce, ct, []byte(aad)); err == nil {
			return pt, nil
		}
	}
	return nil, ErrOpen
}

// IsSealed reports whether s has the shape of a sealed value, for telling
// encrypted columns from plaintext ones left by older versions.
func IsSealed(s string) bool { return strings.HasPrefix(s, prefix) }

// ParseKey decodes a key given as base64 (standard or URL alphabet, padded
// or not) of exactly 32 bytes. Errors never echo the input.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("secretbox: empty key")
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding,
		base64.RawStdEncoding, base64.RawURLEncoding} {
		k, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		if len(k) != KeySize {
			return nil, fmt.Errorf("secretbox: key decodes to %d bytes, want %d (generate one with: openssl rand -base64 32)", len(k), KeySize)
		}
		return k, nil
	}
	return nil, fmt.Errorf("secretbox: key is not base64 of %d bytes (generate one with: openssl rand -base64 32)", KeySize)
}

// NewKey returns a fresh random key.
func NewKey() []byte {
	k := make([]byte, KeySize)
	_, _ = rand.Read(k)
	return k
}

// EncodeKey returns the text form of a key that ParseKey reads back.
func EncodeKey(k []byte) string { return base64.StdEncoding.EncodeToString(k) }
