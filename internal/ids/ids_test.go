package ids_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/ssogate/ssogate/internal/ids"
)

var (
	hex32RE = regexp.MustCompile(`^[0-9a-f]{32}$`)
	uuid4RE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	tokenRE = regexp.MustCompile(`^sgt_[0-9A-Za-z]{36}$`)
)

func TestNewHex32(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		id := ids.NewHex32()
		if !hex32RE.MatchString(id) || !ids.IsHex32(id) {
			t.Fatalf("NewHex32() = %q, want 32 lower-case hex characters accepted by IsHex32", id)
		}
		if seen[id] {
			t.Fatalf("NewHex32() repeated %q", id)
		}
		seen[id] = true
	}
}

func TestIsHex32(t *testing.T) {
	const good = "0123456789abcdef0123456789abcdef"
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"lower-case hex", good, true},
		{"all zero", strings.Repeat("0", 32), true},
		{"empty", "", false},
		{"31 characters", good[:31], false},
		{"33 characters", good + "0", false},
		{"upper case", strings.ToUpper(good), false},
		{"one upper-case letter", "A" + good[1:], false},
		{"g", good[:31] + "g", false},
		{"uuid with dashes", "01234567-89ab-4def-8123-456789abcdef", false},
		{"space", " " + good[1:], false},
		{"NUL", good[:31] + "\x00", false},
		{"non-ASCII", good[:30] + "é", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ids.IsHex32(tt.in); got != tt.want {
				t.Errorf("IsHex32(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestNewUUID(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		s := ids.NewUUID()
		if !uuid4RE.MatchString(s) {
			t.Fatalf("NewUUID() = %q, want a lower-case version 4, RFC 4122 variant UUID", s)
		}
		u, err := uuid.Parse(s)
		if err != nil {
			t.Fatalf("uuid.Parse(%q): %v", s, err)
		}
		if u.Version() != 4 || u.Variant() != uuid.RFC4122 {
			t.Fatalf("NewUUID() = %q: version %d variant %v, want 4 and RFC4122", s, u.Version(), u.Variant())
		}
		if seen[s] {
			t.Fatalf("NewUUID() repeated %q", s)
		}
		seen[s] = true
	}
}

func TestNewTokenValue(t *testing.T) {
	const n = 10000
	seen := make(map[string]bool, n)
	for i := 0; i < n; i++ {
		v := ids.NewTokenValue()
		if len(v) != 40 {
			t.Fatalf("NewTokenValue() = %q has %d characters, want 40", v, len(v))
		}
		if !strings.HasPrefix(v, ids.TokenPrefix) || ids.TokenPrefix != "sgt_" {
			t.Fatalf("NewTokenValue() = %q, want prefix sgt_", v)
		}
		if !tokenRE.MatchString(v) {
			t.Fatalf("NewTokenValue() = %q, want sgt_ and 36 base62 characters", v)
		}
		if !ids.ValidTokenChecksum(v) {
			t.Fatalf("ValidTokenChecksum(%q) = false for a generated value", v)
		}
		if !ids.WellFormedToken(v) {
			t.Fatalf("WellFormedToken(%q) = false for a generated value", v)
		}
		if seen[v] {
			t.Fatalf("NewTokenValue() repeated %q after %d values", v, i)
		}
		seen[v] = true
	}
}

// TestTokenChecksumCatchesEveryOneCharacterChange: the checksum is what lets
// a scanner tell a real token from a lookalike, so any single typo, in the
// prefix, the body or the checksum itself, must be caught.
func TestTokenChecksumCatchesEveryOneCharacterChange(t *testing.T) {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-"
	for i := 0; i < 20; i++ {
		v := ids.NewTokenValue()
		for pos := 0; pos < len(v); pos++ {
			for _, c := range alphabet {
				if byte(c) == v[pos] {
					continue
				}
				changed := v[:pos] + string(c) + v[pos+1:]
				if ids.ValidTokenChecksum(changed) {
					t.Fatalf("ValidTokenChecksum(%q) = true; it differs from %q at %d", changed, v, pos)
				}
			}
		}
	}
}

func TestValidTokenChecksumShapes(t *testing.T) {
	v := ids.NewTokenValue()
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"generated", v, true},
		{"empty", "", false},
		{"short", "sgt_", false},
		{"39 characters", v[:39], false},
		{"41 characters", v + "0", false},
		{"another prefix, same body", "abc_" + v[4:], false},
		{"upper-case prefix", "SGT_" + v[4:], false},
		{"bootstrap-style value", "abcdefghijABCDEFGHIJ0123456789-_abcdefgh", false},
		{"swapped checksum halves", v[:34] + v[37:] + v[34:37], v[34:37] == v[37:]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ids.ValidTokenChecksum(tt.in); got != tt.want {
				t.Errorf("ValidTokenChecksum(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestWellFormedToken(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"empty", "", false},
		{"39", strings.Repeat("a", 39), false},
		{"40", strings.Repeat("a", 40), true},
		{"41", strings.Repeat("a", 41), true},
		{"80", strings.Repeat("Z", 80), true},
		{"81", strings.Repeat("Z", 81), false},
		{"every allowed character", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-", true},
		{"generated", ids.NewTokenValue(), true},
		{"plus", strings.Repeat("a", 39) + "+", false},
		{"slash", "/" + strings.Repeat("a", 39), false},
		{"equals padding", strings.Repeat("a", 38) + "==", false},
		{"dot", strings.Repeat("a", 20) + "." + strings.Repeat("a", 19), false},
		{"space", strings.Repeat("a", 20) + " " + strings.Repeat("a", 19), false},
		{"newline", strings.Repeat("a", 40) + "\n", false},
		{"non-ASCII", strings.Repeat("a", 38) + "é", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ids.WellFormedToken(tt.in); got != tt.want {
				t.Errorf("WellFormedToken(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestHashToken(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		// SHA-256 test vectors (FIPS 180-2).
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ids.HashToken(tt.in)); diff != "" {
				t.Errorf("HashToken(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}

	v := ids.NewTokenValue()
	h := ids.HashToken(v)
	if h != ids.HashToken(v) {
		t.Errorf("HashToken is not stable for %q", v)
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(h) {
		t.Errorf("HashToken(%q) = %q, want 64 lower-case hex characters", v, h)
	}
	if strings.Contains(h, v) {
		t.Errorf("HashToken(%q) contains the value", v)
	}
	// Change the last character to a different one: appending a fixed
	// letter would equal v whenever v already ends with it (1 in 62).
	other := v[:len(v)-1] + "x"
	if strings.HasSuffix(v, "x") {
		other = v[:len(v)-1] + "y"
	}
	if h == ids.HashToken(other) {
		t.Errorf("HashToken gives the same hash for different values")
	}
}

func TestIsUUID(t *testing.T) {
	const good = "01234567-89ab-4def-8123-456789abcdef"
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"lower case", good, true},
		{"generated", ids.NewUUID(), true},
		{"empty", "", false},
		{"upper case", strings.ToUpper(good), false},
		{"no dashes", strings.ReplaceAll(good, "-", ""), false},
		{"braces", "{" + good + "}", false},
		{"dash moved", "0123456-789ab-4def-8123-456789abcdef", false},
		{"35 characters", good[:35], false},
		{"37 characters", good + "0", false},
		{"g", good[:35] + "g", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ids.IsUUID(tt.in); got != tt.want {
				t.Errorf("IsUUID(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}
