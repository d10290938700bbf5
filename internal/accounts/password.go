package accounts

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"runtime/debug"
	"strings"

	"golang.org/x/crypto/argon2"
)

// argon2id parameters: RFC 9106's second recommended option (64 MiB, 3
// passes) scaled to one lane per core we expect to have.
const (
	argonTime    = 3
	argonMemory  = 64 * 1024
	argonThreads = 2
	argonKeyLen  = 32
)

// HashPassword returns a PHC-format argon2id hash of pw.
func HashPassword(pw string) string {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	key := idKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime,
		argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// CheckPassword reports whether pw matches the stored hash, in constant
// time. A malformed or empty hash never matches.
func CheckPassword(hash, pw string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m > 1<<20 || t == 0 || t > 10 || p == 0 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := idKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// idKey is argon2.IDKey followed by a collection that hands its memory
// (64 MiB with our parameters) back to the operating system. Without it
// the collection that ran while that memory was live sets the next heap
// goal to twice it, so one password login lets the heap grow past
// 130 MiB before it is collected again (measured under gateway load),
// where the process otherwise lives in about 45 MiB: a container limit
// sized for the steady state would kill it. The collection and the release
// took 6–18 ms next to the hash's 270–390 ms on a busy two-core machine;
// password checks are rare and rate limited.
func idKey(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
	key := argon2.IDKey(password, salt, time, memory, threads, keyLen)
	debug.FreeOSMemory()
	return key
}

// NewPassword returns a strong random password (about 143 bits) that is
// easy to copy: four groups of six characters of an unambiguous alphabet.
func NewPassword() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	var groups []string
	buf := make([]byte, 1)
	for g := 0; g < 4; g++ {
		var sb strings.Builder
		for sb.Len() < 6 {
			_, _ = rand.Read(buf)
			if int(buf[0]) < 256-256%len(alphabet) {
				sb.WriteByte(alphabet[int(buf[0])%len(alphabet)])
			}
		}
		groups = append(groups, sb.String())
	}
	return strings.Join(groups, "-")
}
