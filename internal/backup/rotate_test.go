package backup_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/internal/apptest"
	"github.com/ssogate/ssogate/internal/backup"
	"github.com/ssogate/ssogate/internal/config"
	"github.com/ssogate/ssogate/internal/idp/refop"
	"github.com/ssogate/ssogate/internal/secretbox"
	"github.com/ssogate/ssogate/internal/store/storetest"
)

// before runs an instance on dir in a subtest (so it is stopped after),
// sets acme up and signs alice in; it returns the site, an API token and
// the org token.
func before(t *testing.T, dir string, op *refop.Provider, opts ...apptest.Option) (s site, apiToken, orgToken string) {
	t.Helper()
	t.Run("before", func(t *testing.T) {
		env := start(t, dir, opts...)
		s = setUp(t, env, op)
		orgToken = signIn(t, env, s.idpID)
		apiToken = env.NewToken(s.accountID, "Account Settings Read")
	})
	if t.Failed() {
		t.FailNow()
	}
	return s, apiToken, orgToken
}

// sealedUnder fails unless every sealed value of cfg's database opens with
// key (want true) or none does (want false).
func sealedUnder(t *testing.T, cfg config.Config, key []byte, want bool) {
	t.Helper()
	db := openDB(t, cfg)
	total, failed, err := backup.CheckSealed(context.Background(), db, key)
	if err != nil {
		t.Fatal(err)
	}
	if total < 2 || (want && failed != 0) || (!want && failed != total) {
		t.Errorf("key %s: %d of %d sealed values do not open (want every one to %s)", backup.KeyID(key), failed, total,
			map[bool]string{true: "open", false: "fail"}[want])
	}
	db.Close()
}

func parseKey(t *testing.T, text string) []byte {
	t.Helper()
	k, err := secretbox.ParseKey(text)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestRotateSecretKey(t *testing.T) {
	ctx := testCtx(t)
	op := startOP(t)
	dir := t.TempDir()
	s, apiToken, orgToken := before(t, dir, op)
	cfg := configFor(dir)
	oldKey := parseKey(t, readKey(t, keyPath(dir)))

	release, err := backup.LockDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := backup.RotateSecretKey(ctx, cfg, backup.RotateOptions{}); !errors.Is(err, backup.ErrLocked) {
		t.Errorf("rotate beside a server: err = %v, want ErrLocked", err)
	}
	release()

	res, err := backup.RotateSecretKey(ctx, cfg, backup.RotateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res.Report())
	if res.Resealed["access_keys.private_key"] != 1 || res.Resealed["access_identity_providers.secret"] != 1 {
		t.Errorf("resealed %v, want one signing key and one client secret", res.Resealed)
	}
	newKey := parseKey(t, readKey(t, keyPath(dir)))
	if res.KeyFile != keyPath(dir) || backup.KeyID(newKey) != res.NewKeyID || backup.KeyID(oldKey) != res.OldKeyID {
		t.Errorf("result %+v does not match the key file", res)
	}
	if kept := readKey(t, res.OldKeyKept); string(parseKey(t, kept)) != string(oldKey) || !strings.Contains(res.OldKeyKept, "secret.key.old-") {
		t.Errorf("old key kept as %s: %q", res.OldKeyKept, kept)
	}
	if _, err := os.Stat(keyPath(dir) + ".new"); !os.IsNotExist(err) {
		t.Errorf("secret.key.new left behind: %v", err)
	}
	sealedUnder(t, cfg, newKey, true)
	sealedUnder(t, cfg, oldKey, false)

	env := start(t, dir)
	checkAlive(t, env, s, apiToken, orgToken)
	if n := countAudit(t, env, s.accountID, "secret_key_rotate"); n != 1 {
		t.Errorf("audit entries secret_key_rotate = %d, want 1", n)
	}
}

// A crash after the commit, before the key file is replaced, loses
// nothing: both keys are on disk, and start-up (or a second run)
// completes the rotation. A crash before the commit changes nothing.
func TestRotateSecretKeyCrash(t *testing.T) {
	errCrash := errors.New("simulated crash")
	crashAt := func(stage string) func() {
		return backup.SetTestHook(func(s string) error {
			if s == stage {
				return errCrash
			}
			return nil
		})
	}
	op := startOP(t)
	for _, tc := range []struct {
		name, stage string
		recover     func(ctx context.Context, cfg config.Config) (string, error)
		committed   bool
	}{
		{"after commit, finished at start-up", "committed", backup.FinishInterruptedRotation, true},
		{"after commit, finished by a rerun", "committed", func(ctx context.Context, cfg config.Config) (string, error) {
			res, err := backup.RotateSecretKey(ctx, cfg, backup.RotateOptions{})
			if err == nil && !res.Resumed {
				return "", errors.New("the rerun did not resume with the new key on disk")
			}
			return res.Instructions, err
		}, true},
		{"before commit", "key-written", backup.FinishInterruptedRotation, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t)
			dir := t.TempDir()
			s, apiToken, orgToken := before(t, dir, op)
			cfg := configFor(dir)
			oldKey := parseKey(t, readKey(t, keyPath(dir)))

			undo := crashAt(tc.stage)
			_, err := backup.RotateSecretKey(ctx, cfg, backup.RotateOptions{})
			undo()
			if !errors.Is(err, errCrash) {
				t.Fatalf("err = %v, want the simulated crash", err)
			}
			newKey := parseKey(t, readKey(t, keyPath(dir)+".new"))
			if got := parseKey(t, readKey(t, keyPath(dir))); string(got) != string(oldKey) {
				t.Fatalf("the key file changed before the crash point")
			}
			sealedUnder(t, cfg, newKey, tc.committed)
			sealedUnder(t, cfg, oldKey, !tc.committed)

			did, err := tc.recover(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Log(did)
			want := oldKey
			if tc.committed {
				want = newKey
			}
			if got := parseKey(t, readKey(t, keyPath(dir))); string(got) != string(want) {
				t.Errorf("after recovery the key file holds key %s, want %s", backup.KeyID(got), backup.KeyID(want))
			}
			if again, err := backup.FinishInterruptedRotation(ctx, cfg); err != nil || again != "" {
				t.Errorf("a second start-up still finds work: %q, %v", again, err)
			}
			sealedUnder(t, cfg, want, true)
			checkAlive(t, start(t, dir), s, apiToken, orgToken)
		})
	}
}

// With the key in SSOGATE_SECRET_KEY the new key goes to a file the
// operator names, and the instance starts with it in the variable.
func TestRotateEnvKey(t *testing.T) {
	ctx := testCtx(t)
	op := startOP(t)
	dir := t.TempDir()
	oldText := secretbox.EncodeKey(secretbox.NewKey())
	s, apiToken, orgToken := before(t, dir, op, apptest.WithSecretKey(oldText))
	cfg := configFor(dir)
	cfg.SecretKey = oldText

	if _, err := backup.RotateSecretKey(ctx, cfg, backup.RotateOptions{}); err == nil || !strings.Contains(err.Error(), backup.EnvKey) {
		t.Errorf("no new key file: err = %v", err)
	}
	newFile := filepath.Join(t.TempDir(), "new.key")
	res, err := backup.RotateSecretKey(ctx, cfg, backup.RotateOptions{NewKeyFile: newFile})
	if err != nil {
		t.Fatal(err)
	}
	if res.KeyFile != newFile || !strings.Contains(res.Instructions, backup.EnvKey) || !strings.Contains(res.Instructions, newFile) {
		t.Errorf("result %+v", res)
	}
	if st, err := os.Stat(newFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("new key file: %v %v", err, st.Mode())
	}
	newText := readKey(t, newFile)
	sealedUnder(t, cfg, parseKey(t, newText), true)
	sealedUnder(t, cfg, parseKey(t, oldText), false)
	checkAlive(t, start(t, dir, apptest.WithSecretKey(strings.TrimSpace(newText))), s, apiToken, orgToken)
}

// On PostgreSQL (instances share the database and SSOGATE_SECRET_KEY).
func TestRotateSecretKeyPostgres(t *testing.T) {
	storetest.NeedPostgres(t)
	ctx := testCtx(t)
	op := startOP(t)
	url := storetest.PostgresURL(t)
	oldText := secretbox.EncodeKey(secretbox.NewKey())
	s, apiToken, orgToken := before(t, t.TempDir(), op, apptest.WithDatabaseURL(url), apptest.WithSecretKey(oldText))
	cfg := configFor(t.TempDir())
	cfg.DatabaseURL, cfg.SecretKey = url, oldText

	newFile := filepath.Join(t.TempDir(), "new.key")
	res, err := backup.RotateSecretKey(ctx, cfg, backup.RotateOptions{NewKeyFile: newFile})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", res)
	newText := readKey(t, newFile)
	sealedUnder(t, cfg, parseKey(t, newText), true)
	sealedUnder(t, cfg, parseKey(t, oldText), false)
	checkAlive(t, start(t, t.TempDir(), apptest.WithDatabaseURL(url), apptest.WithSecretKey(strings.TrimSpace(newText))),
		s, apiToken, orgToken)
}

// On PostgreSQL with a key file (one instance, or files copied to each): a
// crash after the commit is finished at start-up as on SQLite.
func TestRotateSecretKeyPostgresKeyFileCrash(t *testing.T) {
	storetest.NeedPostgres(t)
	ctx := testCtx(t)
	op := startOP(t)
	url := storetest.PostgresURL(t)
	dir := t.TempDir()
	s, apiToken, orgToken := before(t, dir, op, apptest.WithDatabaseURL(url))
	cfg := configFor(dir)
	cfg.DatabaseURL = url
	oldKey := parseKey(t, readKey(t, keyPath(dir)))

	undo := backup.SetTestHook(func(stage string) error {
		if stage == "committed" {
			return errors.New("simulated crash")
		}
		return nil
	})
	_, err := backup.RotateSecretKey(ctx, cfg, backup.RotateOptions{})
	undo()
	if err == nil {
		t.Fatal("no simulated crash")
	}
	newKey := parseKey(t, readKey(t, keyPath(dir)+".new"))
	sealedUnder(t, cfg, newKey, true)
	sealedUnder(t, cfg, oldKey, false)
	if did, err := backup.FinishInterruptedRotation(ctx, cfg); err != nil || did == "" {
		t.Fatalf("finish: %q, %v", did, err)
	}
	if got := parseKey(t, readKey(t, keyPath(dir))); string(got) != string(newKey) {
		t.Errorf("the key file does not hold the new key")
	}
	checkAlive(t, start(t, dir, apptest.WithDatabaseURL(url)), s, apiToken, orgToken)
}
