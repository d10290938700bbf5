package backup_test

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/app"
	"github.com/ssogate/ssogate/internal/apptest"
	"github.com/ssogate/ssogate/internal/audit"
	"github.com/ssogate/ssogate/internal/backup"
	"github.com/ssogate/ssogate/internal/tokens"
)

// A backup taken while the instance keeps writing restores into a fresh
// data directory as a working instance: tokens, sessions and sealed
// secrets made before the backup all work there.
func TestBackupUnderWriteLoadRestoresAWorkingInstance(t *testing.T) {
	ctx := testCtx(t)
	op := startOP(t)
	dirA := t.TempDir()
	a := start(t, dirA)
	s := setUp(t, a, op)
	orgToken := signIn(t, a, s.idpID)
	apiToken := a.NewToken(s.accountID, "Account Settings Read")
	pad(t, a, s.accountID, 20000) // so the snapshot takes long enough to overlap writes

	var writes, during atomic.Int64
	var inBackup atomic.Bool
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var writeErr error
	wg.Add(1)
	go func() { // the load: token creations, each a token row and its audit entry in one transaction
		defer wg.Done()
		g, _ := tokens.GroupByName("Account Settings Read")
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			in := app.TokenInput(s.accountID, fmt.Sprintf("load %d", i), []tokens.GroupRef{{ID: g.ID}})
			if _, err := a.App.Tokens.Create(ctx, s.accountID, in, nil); err != nil {
				writeErr = err
				return
			}
			writes.Add(1)
			if inBackup.Load() {
				during.Add(1)
			}
		}
	}()
	for writes.Load() < 5 {
		time.Sleep(time.Millisecond)
	}
	file := filepath.Join(t.TempDir(), "ssogate.tar.gz")
	inBackup.Store(true)
	res, err := backup.Backup(ctx, a.App.Config, file, backup.BackupOptions{Key: backup.WithKey})
	inBackup.Store(false)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	if writeErr != nil {
		t.Fatalf("a write failed during the backup: %v", writeErr)
	}
	t.Logf("backup: %d bytes of database, %d writes during it, %d sealed values", res.Manifest.DatabaseSize, during.Load(), res.Manifest.SealedValues)
	if during.Load() == 0 {
		t.Errorf("no write happened during the backup: the test proves nothing about a live instance")
	}
	if st, err := os.Stat(file); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v, mode %v; want 0600", err, st.Mode())
	}

	dirB := t.TempDir()
	rres, err := backup.Restore(ctx, configFor(dirB), file, backup.RestoreOptions{})
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	if rres.KeyInstalled != keyPath(dirB) || readKey(t, keyPath(dirB)) != readKey(t, keyPath(dirA)) {
		t.Errorf("restore installed the key at %q, want the original at %s", rres.KeyInstalled, keyPath(dirB))
	}
	checkConsistent(t, dirB, s.accountID)
	b := start(t, dirB)
	checkAlive(t, b, s, apiToken, orgToken)
	checkAlive(t, b, s, s.token, orgToken) // the bootstrap token too
	if n := countAudit(t, b, s.accountID, "backup_restore"); n != 1 {
		t.Errorf("audit entries backup_restore = %d, want 1", n)
	}
}

// pad adds n audit entries, to give the database some size.
func pad(t *testing.T, env *apptest.Env, accountID string, n int) {
	t.Helper()
	ctx := context.Background()
	err := env.App.DB.Tx(ctx, func(tx *sql.Tx) error {
		for i := range n {
			if err := audit.Record(ctx, tx, audit.Event{AccountID: accountID, Action: "padding", Result: true,
				ResourceID: fmt.Sprint(i), Metadata: map[string]any{"text": strings.Repeat("x", 200)}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkConsistent fails unless every load token in the restored database
// has the audit entry of its transaction, and the reverse: the snapshot is
// of one moment, not a mix.
func checkConsistent(t *testing.T, dir, accountID string) {
	t.Helper()
	db := openDB(t, configFor(dir))
	var tokensN, audited, orphans int
	err := db.QueryRowContext(context.Background(), `SELECT
		(SELECT COUNT(*) FROM api_tokens WHERE name LIKE 'load %'),
		(SELECT COUNT(*) FROM api_tokens t JOIN audit_logs l ON l.resource_id = t.id AND l.action_type = 'token_create' WHERE t.name LIKE 'load %'),
		(SELECT COUNT(*) FROM audit_logs l WHERE l.action_type = 'token_create' AND NOT EXISTS (SELECT 1 FROM api_tokens t WHERE t.id = l.resource_id))`).
		Scan(&tokensN, &audited, &orphans)
	if err != nil {
		t.Fatal(err)
	}
	if tokensN == 0 || audited != tokensN || orphans != 0 {
		t.Errorf("restored load: %d tokens, %d with their audit entry, %d audit entries without a token", tokensN, audited, orphans)
	}
	db.Close()
}

func countAudit(t *testing.T, env *apptest.Env, accountID, action string) int {
	t.Helper()
	var n int
	if err := env.App.DB.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM audit_logs WHERE account_id = $1 AND action_type = $2`,
		accountID, action).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// entries lists an archive's entry names, gunzipping when needed.
func entries(t *testing.T, file string) []string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(file, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = gz
	}
	tr := tar.NewReader(r)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
	}
}

// The operator must choose whether the key goes into the backup; the
// archive then holds it or not, and an existing file is never replaced.
func TestBackupKeyChoice(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	env := start(t, dir)
	if _, err := env.App.Keys.Current(ctx, env.AccountID); err != nil { // a sealed signing key
		t.Fatal(err)
	}
	out := t.TempDir()

	_, err := backup.Backup(ctx, env.App.Config, filepath.Join(out, "none.tar"), backup.BackupOptions{})
	if err == nil || !strings.Contains(err.Error(), "--with-key") || !strings.Contains(err.Error(), "--without-key") ||
		!strings.Contains(err.Error(), keyPath(dir)) {
		t.Errorf("no key choice: err = %v; want both choices and where the key is", err)
	}
	if _, err := os.Stat(filepath.Join(out, "none.tar")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a refused backup left a file: %v", err)
	}

	with, err := backup.Backup(ctx, env.App.Config, filepath.Join(out, "with.tar"), backup.BackupOptions{Key: backup.WithKey})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(entries(t, with.File), " "); got != "manifest.json ssogate.db secret.key" || !with.Manifest.KeyIncluded {
		t.Errorf("with key: entries %q, key_included %t", got, with.Manifest.KeyIncluded)
	}
	without, err := backup.Backup(ctx, env.App.Config, filepath.Join(out, "without.tar.gz"), backup.BackupOptions{Key: backup.WithoutKey})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(entries(t, without.File), " "); got != "manifest.json ssogate.db" || without.Manifest.KeyIncluded {
		t.Errorf("without key: entries %q, key_included %t", got, without.Manifest.KeyIncluded)
	}
	if without.Manifest.KeyID == "" || without.Manifest.KeyID != with.Manifest.KeyID || without.Manifest.SealedValues != 1 ||
		len(without.Warnings) != 0 {
		t.Errorf("without key: manifest %+v, warnings %q; want the key's id and 1 sealed value", without.Manifest, without.Warnings)
	}
	if r := without.Report(); !strings.Contains(r, "keep the key file "+keyPath(dir)+" (id "+without.Manifest.KeyID+") too") {
		t.Errorf("without key, the report does not say which key to keep:\n%s", r)
	}
	if r := with.Report(); !strings.Contains(r, "is in the file") {
		t.Errorf("with key, the report does not say the key is in the file:\n%s", r)
	}
	for _, f := range []string{with.File, without.File} {
		if st, _ := os.Stat(f); st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", f, st.Mode())
		}
	}

	before, _ := os.ReadFile(with.File)
	if _, err := backup.Backup(ctx, env.App.Config, with.File, backup.BackupOptions{Key: backup.WithKey}); !errors.Is(err, fs.ErrExist) {
		t.Errorf("backup onto an existing file: err = %v, want fs.ErrExist", err)
	}
	if after, _ := os.ReadFile(with.File); string(after) != string(before) {
		t.Errorf("the existing file changed")
	}
	if left, _ := filepath.Glob(filepath.Join(out, ".ssogate-*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}

	pg := env.App.Config
	pg.DatabaseURL = "postgres://db.internal/ssogate"
	if _, err := backup.Backup(ctx, pg, filepath.Join(out, "pg.tar"), backup.BackupOptions{Key: backup.WithKey}); !errors.Is(err, backup.ErrPostgres) ||
		!strings.Contains(err.Error(), "pg_dump") || !strings.Contains(err.Error(), "key") {
		t.Errorf("PostgreSQL: err = %v; want pg_dump and the key named", err)
	}

	// With a key that does not open the data: WithKey refuses, WithoutKey warns.
	wrong := env.App.Config
	wrong.SecretKey = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	if _, err := backup.Backup(ctx, wrong, filepath.Join(out, "wrong.tar"), backup.BackupOptions{Key: backup.WithKey}); err == nil ||
		!strings.Contains(err.Error(), "does not open") {
		t.Errorf("WithKey and a wrong key: err = %v", err)
	}
	res, err := backup.Backup(ctx, wrong, filepath.Join(out, "wrong2.tar"), backup.BackupOptions{Key: backup.WithoutKey})
	if err != nil || len(res.Warnings) != 1 || res.Manifest.KeyID != "" {
		t.Errorf("WithoutKey and a wrong key: %v, warnings %q, key id %q", err, res.Warnings, res.Manifest.KeyID)
	}
}
