package secretbox_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ssogate/ssogate/internal/secretbox"
)

func mustBox(t *testing.T, key []byte, old ...[]byte) *secretbox.Box {
	t.Helper()
	b, err := secretbox.NewWithOld(key, old...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSealOpen(t *testing.T) {
	b := mustBox(t, secretbox.NewKey())
	for _, pt := range [][]byte{nil, []byte("x"), []byte("-----BEGIN PRIVATE KEY-----\nabc\n"), bytes.Repeat([]byte{0}, 4096)} {
		sealed := b.Seal(pt, "access_key:k1")
		if !strings.HasPrefix(sealed, "sb1:") || !secretbox.IsSealed(sealed) {
			t.Fatalf("Seal = %q, want sb1: prefix", sealed)
		}
		if len(pt) >= 8 && strings.Contains(sealed, string(pt)) { // short ones may occur in base64 by chance
			t.Fatalf("sealed value contains the plaintext")
		}
		got, err := b.Open(sealed, "access_key:k1")
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("Open = %q, %v; want %q", got, err, pt)
		}
	}
	if a, c := b.Seal([]byte("same"), "r"), b.Seal([]byte("same"), "r"); a == c {
		t.Error("two seals of the same plaintext are equal: nonce reused")
	}
}

func TestOpenRefuses(t *testing.T) {
	key, other := secretbox.NewKey(), secretbox.NewKey()
	b := mustBox(t, key)
	sealed := b.Seal([]byte("client secret"), "idp:1:client_secret")
	raw, _ := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(sealed, "sb1:"))
	flip := func(i int) string {
		c := bytes.Clone(raw)
		c[i] ^= 1
		return "sb1:" + base64.RawURLEncoding.EncodeToString(c)
	}
	tests := []struct {
		name   string
		box    *secretbox.Box
		sealed string
		aad    string
		want   error
	}{
		{"wrong aad (copied to another row)", b, sealed, "idp:2:client_secret", secretbox.ErrOpen},
		{"empty aad", b, sealed, "", secretbox.ErrOpen},
		{"wrong key", mustBox(t, other), sealed, "idp:1:client_secret", secretbox.ErrOpen},
		{"tampered nonce", b, flip(0), "idp:1:client_secret", secretbox.ErrOpen},
		{"tampered ciphertext", b, flip(13), "idp:1:client_secret", secretbox.ErrOpen},
		{"tampered tag", b, flip(len(raw) - 1), "idp:1:client_secret", secretbox.ErrOpen},
		{"truncated", b, sealed[:len(sealed)-4], "idp:1:client_secret", secretbox.ErrOpen},
		{"too short", b, "sb1:AAAA", "idp:1:client_secret", secretbox.ErrFormat},
		{"plaintext", b, "client secret", "idp:1:client_secret", secretbox.ErrFormat},
		{"unknown version", b, "sb2:" + strings.TrimPrefix(sealed, "sb1:"), "idp:1:client_secret", secretbox.ErrFormat},
		{"bad base64", b, "sb1:!!!!", "idp:1:client_secret", secretbox.ErrFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.box.Open(tt.sealed, tt.aad)
			if !errors.Is(err, tt.want) || got != nil {
				t.Fatalf("Open = %q, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestKeyRotation(t *testing.T) {
	oldKey, newKey := secretbox.NewKey(), secretbox.NewKey()
	sealedOld := mustBox(t, oldKey).Seal([]byte("s3cret"), "row")
	rotating := mustBox(t, newKey, oldKey)
	got, err := rotating.Open(sealedOld, "row")
	if err != nil || string(got) != "s3cret" {
		t.Fatalf("open old value with rotating box = %q, %v", got, err)
	}
	resealed := rotating.Seal(got, "row")
	if _, err := mustBox(t, oldKey).Open(resealed, "row"); !errors.Is(err, secretbox.ErrOpen) {
		t.Fatalf("re-sealed value opens with the old key alone (%v): Seal did not use the current key", err)
	}
	if got, err := mustBox(t, newKey).Open(resealed, "row"); err != nil || string(got) != "s3cret" {
		t.Fatalf("re-sealed value with new key alone = %q, %v", got, err)
	}
	if _, err := mustBox(t, newKey).Open(sealedOld, "row"); !errors.Is(err, secretbox.ErrOpen) {
		t.Fatalf("old value opens without the old key: %v", err)
	}
}

func TestNewRejectsBadKeys(t *testing.T) {
	for _, k := range [][]byte{nil, make([]byte, 16), make([]byte, 31), make([]byte, 33)} {
		if _, err := secretbox.New(k); err == nil {
			t.Errorf("New(%d bytes) succeeded", len(k))
		}
	}
	if _, err := secretbox.NewWithOld(secretbox.NewKey(), make([]byte, 5)); err == nil || !strings.Contains(err.Error(), "old key 1") {
		t.Errorf("NewWithOld with a short old key: %v", err)
	}
}

func TestParseKey(t *testing.T) {
	k := secretbox.NewKey()
	k[0], k[1] = 0xfb, 0xff // forces '+' '/' vs '-' '_' to differ between alphabets
	for name, s := range map[string]string{
		"std":           base64.StdEncoding.EncodeToString(k),
		"url":           base64.URLEncoding.EncodeToString(k),
		"raw std":       base64.RawStdEncoding.EncodeToString(k),
		"raw url":       base64.RawURLEncoding.EncodeToString(k),
		"with newline":  secretbox.EncodeKey(k) + "\n",
		"EncodeKey out": secretbox.EncodeKey(k),
	} {
		got, err := secretbox.ParseKey(s)
		if err != nil || !bytes.Equal(got, k) {
			t.Errorf("%s: ParseKey = %x, %v", name, got, err)
		}
	}
	secretText := "c2VjcmV0LXZhbHVlLXRoYXQtaXMtdG9vLXNob3J0"
	for _, s := range []string{"", "   ", secretText, "not base64 at all!", base64.StdEncoding.EncodeToString(make([]byte, 64))} {
		_, err := secretbox.ParseKey(s)
		if err == nil {
			t.Errorf("ParseKey(%q) succeeded", s)
		} else if strings.TrimSpace(s) != "" && strings.Contains(err.Error(), s) {
			t.Errorf("ParseKey error echoes the key: %v", err)
		}
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "secretbox.key")
	k1, err := secretbox.LoadOrCreateKeyFile(path)
	if err != nil || len(k1) != secretbox.KeySize {
		t.Fatalf("create: %x, %v", k1, err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("created file mode %v, %v; want 0600", st.Mode(), err)
	}
	k2, err := secretbox.LoadOrCreateKeyFile(path)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("reload gave another key (%v)", err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "sub", ".secretbox-key-*")); len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}

	t.Run("concurrent creators agree", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "k")
		keys := make([][]byte, 8)
		var wg sync.WaitGroup
		for i := range keys {
			wg.Add(1)
			go func() { defer wg.Done(); keys[i], _ = secretbox.LoadOrCreateKeyFile(p) }()
		}
		wg.Wait()
		for i := range keys {
			if len(keys[i]) != 32 || !bytes.Equal(keys[i], keys[0]) {
				t.Fatalf("creator %d got %x, creator 0 got %x", i, keys[i], keys[0])
			}
		}
	})
	t.Run("raw 32 bytes accepted", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "k")
		raw := secretbox.NewKey()
		if err := os.WriteFile(p, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		if got, err := secretbox.LoadOrCreateKeyFile(p); err != nil || !bytes.Equal(got, raw) {
			t.Fatalf("got %x, %v", got, err)
		}
	})
	refuse := []struct {
		name    string
		content string
		mode    os.FileMode
		want    string
	}{
		{"group readable", secretbox.EncodeKey(secretbox.NewKey()), 0o640, "chmod 600"},
		{"world readable", secretbox.EncodeKey(secretbox.NewKey()), 0o604, "chmod 600"},
		{"wrong size", base64.StdEncoding.EncodeToString(make([]byte, 16)), 0o600, "16 bytes, want 32"},
		{"empty", "", 0o600, "empty key"},
		{"garbage", "this is not a key", 0o600, "not base64"},
	}
	for _, tt := range refuse {
		t.Run("refuses "+tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "k")
			if err := os.WriteFile(p, []byte(tt.content), tt.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, tt.mode); err != nil {
				t.Fatal(err)
			}
			k, err := secretbox.LoadOrCreateKeyFile(p)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), p) {
				t.Fatalf("got %x, %v; want an error naming the file and %q", k, err, tt.want)
			}
			if after, _ := os.ReadFile(p); string(after) != tt.content {
				t.Fatalf("refused file was modified")
			}
		})
	}
	t.Run("directory refused", func(t *testing.T) {
		p := t.TempDir()
		if _, err := secretbox.LoadOrCreateKeyFile(p); err == nil {
			t.Fatal("a directory was accepted as key file")
		}
	})
}

func BenchmarkOpen(b *testing.B) {
	box, _ := secretbox.New(secretbox.NewKey())
	sealed := box.Seal(bytes.Repeat([]byte("k"), 1700), "access_key:x")
	for b.Loop() {
		if _, err := box.Open(sealed, "access_key:x"); err != nil {
			b.Fatal(err)
		}
	}
}
