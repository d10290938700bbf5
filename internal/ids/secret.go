package ids

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"hash/crc32"
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// TokenPrefix starts every API token ssogate generates, so secret scanners
// can recognise a leaked one; the last six characters are a CRC32 of the rest
// (GitHub's scheme) so a scanner can tell a real token from a lookalike
// without asking us.
const TokenPrefix = "sgt_"

// TokenLength is the length of an API token value: 40, like Cloudflare's, so
// clients that validate the shape accept ours.
const TokenLength = 40

// NewTokenValue returns a new API token value: "sgt_" + 30 random base62
// characters (about 178 bits) + a 6-character base62 CRC32 checksum.
func NewTokenValue() string {
	body := TokenPrefix + randomBase62(TokenLength-len(TokenPrefix)-6)
	return body + checksum62(body)
}

// ValidTokenChecksum reports whether v has ssogate's shape and a correct
// checksum. Tokens imported through bootstrap may have any 40-character form,
// so authentication does not require this; scanners and the CLI can use it.
func ValidTokenChecksum(v string) bool {
	if len(v) != TokenLength || v[:len(TokenPrefix)] != TokenPrefix {
		return false
	}
	return checksum62(v[:TokenLength-6]) == v[TokenLength-6:]
}

// WellFormedToken reports whether v can be an API token value at all:
// 40 to 80 characters of [A-Za-z0-9_-], Cloudflare's documented bounds.
func WellFormedToken(v string) bool {
	if len(v) < 40 || len(v) > 80 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// HashToken is how token values are stored: SHA-256, hex. Values carry
// 178+ bits of entropy, so a fast hash is safe and lets us find the row by
// an index instead of comparing against every token.
func HashToken(v string) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:])
}

func randomBase62(n int) string {
	out := make([]byte, 0, n)
	var buf [64]byte
	for len(out) < n {
		_, _ = rand.Read(buf[:])
		for _, b := range buf {
			// 248 = 4*62: rejecting larger bytes keeps the alphabet uniform.
			if b < 248 && len(out) < n {
				out = append(out, base62[b%62])
			}
		}
	}
	return string(out)
}

func checksum62(s string) string {
	c := crc32.ChecksumIEEE([]byte(s))
	out := make([]byte, 6)
	for i := 5; i >= 0; i-- {
		out[i] = base62[c%62]
		c /= 62
	}
	return string(out)
}
