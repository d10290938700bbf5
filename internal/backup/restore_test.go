package backup_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/internal/backup"
	"github.com/ssogate/ssogate/internal/secretbox"
)

// backups makes an instance with sealed values (a signing key and an IdP
// client secret) and backs it up with and without its key.
func backups(t *testing.T) (dir, withKey, withoutKey string) {
	t.Helper()
	ctx := testCtx(t)
	dir, out := t.TempDir(), t.TempDir()
	t.Run("setup", func(t *testing.T) { // the instance stops when the subtest ends
		env := start(t, dir)
		op := startOP(t)
		setUp(t, env, op)
		if _, err := env.App.Keys.Current(ctx, env.AccountID); err != nil {
			t.Fatal(err)
		}
		w, err := backup.Backup(ctx, env.App.Config, filepath.Join(out, "with.tar"), backup.BackupOptions{Key: backup.WithKey})
		if err != nil {
			t.Fatal(err)
		}
		wo, err := backup.Backup(ctx, env.App.Config, filepath.Join(out, "without.tar"), backup.BackupOptions{Key: backup.WithoutKey})
		if err != nil {
			t.Fatal(err)
		}
		withKey, withoutKey = w.File, wo.File
	})
	if t.Failed() {
		t.FailNow()
	}
	return dir, withKey, withoutKey
}

func TestRestoreRefusals(t *testing.T) {
	ctx := testCtx(t)
	src, withKey, withoutKey := backups(t)

	t.Run("while a server holds the data directory", func(t *testing.T) {
		dir := t.TempDir()
		release, err := backup.LockDataDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		_, err = backup.Restore(ctx, configFor(dir), withKey, backup.RestoreOptions{Force: true})
		if !errors.Is(err, backup.ErrLocked) || !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
			t.Errorf("err = %v; want ErrLocked naming pid %d", err, os.Getpid())
		}
		if _, err := os.Stat(filepath.Join(dir, "ssogate.db")); err == nil {
			t.Errorf("a database appeared")
		}
	})

	t.Run("an existing database without force", func(t *testing.T) {
		dir := t.TempDir()
		if _, err := backup.Restore(ctx, configFor(dir), withKey, backup.RestoreOptions{}); err != nil {
			t.Fatal(err)
		}
		_, err := backup.Restore(ctx, configFor(dir), withKey, backup.RestoreOptions{})
		if !errors.Is(err, backup.ErrExists) || !strings.Contains(err.Error(), "--force") {
			t.Errorf("err = %v; want ErrExists naming --force", err)
		}
		res, err := backup.Restore(ctx, configFor(dir), withKey, backup.RestoreOptions{Force: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.MovedAside) != 1 || !strings.Contains(res.MovedAside[0], "ssogate.db.before-restore-") {
			t.Fatalf("moved aside: %q", res.MovedAside)
		}
		if _, err := os.Stat(res.MovedAside[0]); err != nil {
			t.Errorf("the old database is gone: %v", err)
		}
		if res.KeyInstalled != "" {
			t.Errorf("the same key was installed again at %s", res.KeyInstalled)
		}
		if r := res.Report(); !strings.Contains(r, "Kept the previous file as "+res.MovedAside[0]) {
			t.Errorf("report:\n%s", r)
		}
	})

	t.Run("a key that does not open the data", func(t *testing.T) {
		dir := t.TempDir()
		other := secretbox.EncodeKey(secretbox.NewKey()) + "\n"
		if err := os.WriteFile(keyPath(dir), []byte(other), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := backup.Restore(ctx, configFor(dir), withoutKey, backup.RestoreOptions{Force: true})
		if !errors.Is(err, backup.ErrWrongKey) || !strings.Contains(err.Error(), keyPath(dir)) ||
			!strings.Contains(err.Error(), "opens 0 of the 2 sealed values") || !strings.Contains(err.Error(), "Nothing was changed") {
			t.Errorf("err = %v", err)
		}
		if _, err := os.Stat(filepath.Join(dir, "ssogate.db")); err == nil {
			t.Errorf("a database appeared")
		}
		if readKey(t, keyPath(dir)) != other {
			t.Errorf("the key file changed")
		}
		// The environment variable wins over the backup's own key: say so.
		cfg := configFor(t.TempDir())
		cfg.SecretKey = secretbox.EncodeKey(secretbox.NewKey())
		_, err = backup.Restore(ctx, cfg, withKey, backup.RestoreOptions{})
		if !errors.Is(err, backup.ErrWrongKey) || !strings.Contains(err.Error(), "unset it") {
			t.Errorf("env key: err = %v", err)
		}
		// No key anywhere.
		_, err = backup.Restore(ctx, configFor(t.TempDir()), withoutKey, backup.RestoreOptions{})
		if !errors.Is(err, backup.ErrWrongKey) || !strings.Contains(err.Error(), "no secret key at") {
			t.Errorf("no key: err = %v", err)
		}
		// The right key, put where the server reads it: restored.
		right := t.TempDir()
		if err := os.WriteFile(keyPath(right), []byte(readKey(t, keyPath(src))), 0o600); err != nil {
			t.Fatal(err)
		}
		if res, err := backup.Restore(ctx, configFor(right), withoutKey, backup.RestoreOptions{}); err != nil || res.SealedValues != 2 {
			t.Errorf("the right key: %v (%d sealed values)", err, res.SealedValues)
		}
	})

	t.Run("a different key file without force", func(t *testing.T) {
		dir := t.TempDir()
		other := secretbox.EncodeKey(secretbox.NewKey()) + "\n"
		if err := os.WriteFile(keyPath(dir), []byte(other), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := backup.Restore(ctx, configFor(dir), withKey, backup.RestoreOptions{}); !errors.Is(err, backup.ErrExists) {
			t.Errorf("err = %v, want ErrExists", err)
		}
		res, err := backup.Restore(ctx, configFor(dir), withKey, backup.RestoreOptions{Force: true})
		if err != nil {
			t.Fatal(err)
		}
		if readKey(t, keyPath(dir)) != readKey(t, keyPath(src)) || len(res.MovedAside) != 1 || readKey(t, res.MovedAside[0]) != other {
			t.Errorf("key %q installed, old kept as %q", readKey(t, keyPath(dir)), res.MovedAside)
		}
	})

	t.Run("a damaged archive", func(t *testing.T) {
		good, err := os.ReadFile(withKey)
		if err != nil {
			t.Fatal(err)
		}
		flipped := append([]byte(nil), good...)
		flipped[len(flipped)/2] ^= 0x55 // inside the database
		for name, b := range map[string][]byte{"flipped": flipped, "truncated": good[:len(good)*2/3], "not a backup": []byte("hello")} {
			f := filepath.Join(t.TempDir(), "damaged.tar")
			if err := os.WriteFile(f, b, 0o600); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if _, err := backup.Restore(ctx, configFor(dir), f, backup.RestoreOptions{}); !errors.Is(err, backup.ErrDamaged) {
				t.Errorf("%s: err = %v, want ErrDamaged", name, err)
			}
			if left, _ := filepath.Glob(filepath.Join(dir, "*.db*")); len(left) != 0 {
				t.Errorf("%s: left %v", name, left)
			}
		}
	})

	t.Run("on PostgreSQL", func(t *testing.T) {
		cfg := configFor(t.TempDir())
		cfg.DatabaseURL = "postgres://db.internal/ssogate"
		if _, err := backup.Restore(context.Background(), cfg, withKey, backup.RestoreOptions{}); !errors.Is(err, backup.ErrPostgres) ||
			!strings.Contains(err.Error(), "pg_restore") {
			t.Errorf("err = %v", err)
		}
	})
}

// LockDataDir is exclusive until released, and names the holder.
func TestLockDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new")
	release, err := backup.LockDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := backup.LockDataDir(dir); !errors.Is(err, backup.ErrLocked) {
		t.Errorf("second lock: %v, want ErrLocked", err)
	}
	release()
	again, err := backup.LockDataDir(dir)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	again()
}
