package accounts_test

import (
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/internal/accounts"
)

func TestPassword(t *testing.T) {
	hash := accounts.HashPassword("correct horse")
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=65536,t=3,p=2$") {
		t.Fatalf("hash %q is not PHC argon2id", hash)
	}
	if hash == accounts.HashPassword("correct horse") {
		t.Error("two hashes of one password are equal: no salt")
	}
	parts := strings.Split(hash, "$")
	tests := []struct {
		name, hash, pw string
		want           bool
	}{
		{"right password", hash, "correct horse", true},
		{"wrong password", hash, "correct horse ", false},
		{"empty password", hash, "", false},
		{"empty hash", "", "", false},
		{"other algorithm", strings.Replace(hash, "argon2id", "argon2i", 1), "correct horse", false},
		{"truncated", strings.Join(parts[:5], "$"), "correct horse", false},
		{"bad salt", strings.Join([]string{"", parts[1], parts[2], parts[3], "!!", parts[5]}, "$"), "correct horse", false},
		{"empty key", strings.Join([]string{"", parts[1], parts[2], parts[3], parts[4], ""}, "$"), "correct horse", false},
		{"zero lanes", strings.Join([]string{"", parts[1], parts[2], "m=65536,t=3,p=0", parts[4], parts[5]}, "$"), "correct horse", false},
		{"absurd memory", strings.Join([]string{"", parts[1], parts[2], "m=4294967295,t=3,p=2", parts[4], parts[5]}, "$"), "correct horse", false},
		// "A malformed hash never matches" — and never panics (argon2
		// panics on zero passes).
		{"zero passes", strings.Join([]string{"", parts[1], parts[2], "m=65536,t=0,p=2", parts[4], parts[5]}, "$"), "correct horse", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("CheckPassword panicked: %v", p)
				}
			}()
			if got := accounts.CheckPassword(tc.hash, tc.pw); got != tc.want {
				t.Errorf("CheckPassword = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestNewPassword(t *testing.T) {
	form := regexp.MustCompile(`^[a-km-zA-HJ-NP-Z2-9]{6}(-[a-km-zA-HJ-NP-Z2-9]{6}){3}$`)
	seen := map[string]bool{}
	for range 50 {
		p := accounts.NewPassword()
		if !form.MatchString(p) || seen[p] {
			t.Fatalf("password %q: wrong form or repeated", p)
		}
		seen[p] = true
	}
}

func TestNormalizeEmail(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Alice@Example.COM", "alice@example.com"},
		{" bob@example.com ", "bob@example.com"},
		{"bob", ""},
		{"Bob <bob@example.com>", ""},
		{"bob@example.com, eve@example.com", ""},
		{"", ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := accounts.NormalizeEmail(tc.in)
			if (err == nil) != (tc.want != "") || got != tc.want {
				t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestCheckName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"  Acme  ", "Acme"},
		{"", ""},
		{"   ", ""},
		{strings.Repeat("a", 100), strings.Repeat("a", 100)},
		{strings.Repeat("a", 101), ""},
		{"a\nb", ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := accounts.CheckName(tc.in)
			if (err == nil) != (tc.want != "") || got != tc.want {
				t.Errorf("CheckName(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

// TestPasswordHashingGivesItsMemoryBack: argon2id's 64 MiB must neither
// stay with the process nor raise the next heap goal once a hash is done.
// Without the collection in idKey the goal after a hash is about 130 MiB
// and the 64 MiB are still mapped. Not parallel: another test's hash in
// flight would hold its own 64 MiB.
func TestPasswordHashingGivesItsMemoryBack(t *testing.T) {
	for _, check := range []func(){
		func() { accounts.HashPassword("correct horse battery staple") },
		func() { accounts.CheckPassword(accounts.HashPassword("a"), "b") },
	} {
		check()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		if m.NextGC > 48<<20 {
			t.Errorf("next heap goal after a hash: %d MiB, want under 48", m.NextGC>>20)
		}
		if kept := m.HeapSys - m.HeapReleased; kept > 48<<20 {
			t.Errorf("heap memory kept from the OS after a hash: %d MiB, want under 48", kept>>20)
		}
	}
}
