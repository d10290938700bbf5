package backup

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ssogate/ssogate/internal/audit"
	"github.com/ssogate/ssogate/internal/config"
	"github.com/ssogate/ssogate/internal/secretbox"
	"github.com/ssogate/ssogate/internal/store"
)

// RotateOptions are RotateSecretKey's choices.
type RotateOptions struct {
	// NewKeyFile is where the new key is written when the current one
	// comes from SSOGATE_SECRET_KEY; required then. A file left there by
	// an interrupted rotation is used again. With a key file the new key
	// goes to <key file>.new and then replaces the key file; NewKeyFile is
	// ignored.
	NewKeyFile string
	Now        func() time.Time // nil: time.Now
}

// RotateResult is what RotateSecretKey did.
type RotateResult struct {
	Resealed map[string]int // per sealed column ("table.column"), values re-sealed
	OldKeyID string
	NewKeyID string
	KeyFile  string // the file that holds the new key
	// OldKeyKept is where the old key was kept (key file mode): backups
	// made before the rotation need it.
	OldKeyKept string
	// Resumed reports that a new key left by an interrupted rotation was
	// used.
	Resumed bool
	// Instructions tell the operator what to do next.
	Instructions string
}

// testHook, when set by tests, runs at the named stages ("key-written":
// the new key is on disk, nothing re-sealed; "committed": every value is
// re-sealed, the key file not yet replaced). An error it returns stops
// RotateSecretKey there, as a crash would.
var testHook func(stage string) error

func hook(stage string) error {
	if testHook == nil {
		return nil
	}
	return testHook(stage)
}

// rotationLock is the PostgreSQL advisory lock the rotation's transaction
// holds, so FinishInterruptedRotation on another process waits for it to
// commit or roll back instead of judging a half-done rotation.
const rotationLock = 7242020

// RotateSecretKey re-seals every sealed value under a new key in one
// transaction, on SQLite (no server may hold the data directory) or on
// PostgreSQL (every instance must be stopped: one still running would
// keep sealing with the old key).
//
// The new key is on disk, fsynced, before anything is re-sealed: in
// <key file>.new, or opts.NewKeyFile when the key comes from
// SSOGATE_SECRET_KEY. After the commit the old key file is kept as
// <key file>.old-<time> and the new key replaces it. A crash at any point
// leaves both keys on disk and every value under one of them;
// FinishInterruptedRotation (at start-up) or running this again completes
// the rotation.
func RotateSecretKey(ctx context.Context, cfg config.Config, opts RotateOptions) (RotateResult, error) {
	var res RotateResult
	src := sourceOf(cfg)
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	if cfg.DatabaseURL == "" {
		if _, err := os.Stat(dbPath(cfg.DataDir)); err != nil {
			return res, fmt.Errorf("no database to rotate the key of: %w", err)
		}
		release, err := LockDataDir(cfg.DataDir)
		if err != nil {
			return res, fmt.Errorf("rotating the key needs a stopped instance: %w", err)
		}
		defer release()
	}
	oldKey, err := src.load(cfg)
	if err != nil {
		return res, fmt.Errorf("the current key: %w", err)
	}
	newPath := src.path + ".new"
	if src.env {
		if opts.NewKeyFile == "" {
			return res, fmt.Errorf("the key comes from %s, so ssogate cannot replace it: name a file for the new key (--new-key-file)", EnvKey)
		}
		newPath = opts.NewKeyFile
	}
	newKey, resumed, err := newKeyAt(newPath)
	if err != nil {
		return res, err
	}
	if bytes.Equal(newKey, oldKey) {
		return res, fmt.Errorf("%s holds the current key; remove it or name another file", newPath)
	}
	res = RotateResult{OldKeyID: KeyID(oldKey), NewKeyID: KeyID(newKey), KeyFile: newPath, Resumed: resumed}
	if err := hook("key-written"); err != nil {
		return res, err
	}
	if res.Resealed, err = resealAll(ctx, cfg, oldKey, newKey, now()); err != nil {
		return res, err
	}
	if err := hook("committed"); err != nil {
		return res, err
	}
	if !src.env {
		if res.OldKeyKept, err = switchKeyFile(src.path, newPath, newKey, stamp(now())); err != nil {
			return res, fmt.Errorf("every secret is sealed with the new key (id %s), which is in %s, but installing it failed: %w; "+
				"run the rotation again, or move %s to %s yourself", res.NewKeyID, newPath, err, newPath, src.path)
		}
		res.KeyFile = src.path
	}
	res.Instructions = instructions(cfg, src, res)
	return res, nil
}

// newKeyAt reads the key an interrupted rotation left at path, or writes
// a fresh one there (0600, fsynced, directory fsynced).
func newKeyAt(path string) (key []byte, resumed bool, err error) {
	if ok, _ := exists(path); ok {
		k, err := readKeyFile(path)
		if err != nil {
			return nil, false, fmt.Errorf("%s exists (an interrupted rotation?) but cannot be used: %w", path, err)
		}
		return k, true, nil
	}
	k := secretbox.NewKey()
	if err := writeNewFile(path, keyText(k)); err != nil {
		return nil, false, fmt.Errorf("write the new key to %s: %w", path, err)
	}
	return k, false, nil
}

// resealAll re-seals every sealed value in one transaction, with an audit
// entry per account.
func resealAll(ctx context.Context, cfg config.Config, oldKey, newKey []byte, now time.Time) (map[string]int, error) {
	db, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if err := checkSchema(ctx, db); err != nil {
		return nil, err
	}
	box, err := secretbox.NewWithOld(newKey, oldKey) // opens either: a rerun after a crash finds values under both
	if err != nil {
		return nil, err
	}
	var counts map[string]int
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		if err := lockSealedTables(ctx, db, tx); err != nil {
			return err
		}
		if counts, err = reseal(ctx, tx, box); err != nil {
			return err
		}
		accts, err := accountIDs(ctx, tx)
		if err != nil {
			return err
		}
		for _, id := range accts {
			if err := audit.Record(ctx, tx, audit.Event{AccountID: id, When: now, Actor: adminActor, Action: "secret_key_rotate",
				Result: true, ResourceType: "secret_key", OldValue: map[string]string{"key_id": KeyID(oldKey)},
				NewValue: map[string]string{"key_id": KeyID(newKey)}, Metadata: map[string]any{"resealed": counts}}); err != nil {
				return err
			}
		}
		return nil
	})
	return counts, err
}

// openStore opens the configured database; on SQLite only an existing one.
func openStore(ctx context.Context, cfg config.Config) (*store.DB, error) {
	if cfg.DatabaseURL == "" {
		if _, err := os.Stat(dbPath(cfg.DataDir)); err != nil {
			return nil, fmt.Errorf("no database: %w", err)
		}
	}
	return store.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
}

// checkSchema refuses a database not at this build's schema: the list of
// sealed columns is this build's.
func checkSchema(ctx context.Context, db *store.DB) error {
	latest, err := latestSchema()
	if err != nil {
		return err
	}
	v, err := schemaVersion(ctx, db)
	if err != nil {
		return err
	}
	if v != latest {
		return fmt.Errorf("the database's schema is version %d, this ssogate's is %d: rotate the key with the ssogate version "+
			"that runs on it (start this version once to migrate the database first)", v, latest)
	}
	return nil
}

// lockSealedTables keeps other PostgreSQL sessions from writing sealed
// columns until the commit (SQLite's transactions take the write lock at
// BEGIN already).
func lockSealedTables(ctx context.Context, db *store.DB, tx *sql.Tx) error {
	if db.Dialect != store.Postgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, rotationLock); err != nil {
		return err
	}
	seen := map[string]bool{}
	var tables []string
	for _, c := range sealedColumns {
		if !seen[c.Table] {
			seen[c.Table] = true
			tables = append(tables, c.Table)
		}
	}
	_, err := tx.ExecContext(ctx, `LOCK TABLE `+strings.Join(tables, ", ")+` IN SHARE ROW EXCLUSIVE MODE`)
	return err
}

// switchKeyFile keeps the old key file as <path>.old-<ts> and puts key in
// its place, written from memory (so it works whatever became of newPath),
// then removes newPath.
func switchKeyFile(path, newPath string, key []byte, ts string) (string, error) {
	kept := ""
	old, err := readKeyFile(path)
	switch {
	case err == nil && bytes.Equal(old, key):
		// already switched (a rerun after a crash past this point)
	case err == nil:
		kept = path + ".old-" + ts
		if err := keepCopy(path, kept, old); err != nil {
			return "", err
		}
	case !errors.Is(err, fs.ErrNotExist):
		return "", err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".ssogate-tmp-*")
	if err != nil {
		return kept, err
	}
	defer os.Remove(tmp.Name())
	if err := writeAll(tmp, keyText(key)); err != nil {
		return kept, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return kept, err
	}
	if err := syncDir(dir); err != nil {
		return kept, err
	}
	if err := os.Remove(newPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return kept, err
	}
	return kept, syncDir(filepath.Dir(newPath))
}

// keepCopy makes kept a copy of the key file at path (a hard link where
// possible), accepting one already there with the same key.
func keepCopy(path, kept string, key []byte) error {
	err := os.Link(path, kept)
	if errors.Is(err, fs.ErrExist) {
		if k, rerr := readKeyFile(kept); rerr == nil && bytes.Equal(k, key) {
			return nil
		}
		return fmt.Errorf("keep the old key: %s exists and holds something else", kept)
	}
	if err != nil {
		err = copyFile(path, kept)
	}
	if err != nil {
		return fmt.Errorf("keep the old key as %s: %w", kept, err)
	}
	return nil
}

func instructions(cfg config.Config, src keySource, res RotateResult) string {
	var b strings.Builder
	if src.env {
		fmt.Fprintf(&b, "Every secret is now sealed with the new key (id %s), which is in %s. Every instance must stay stopped "+
			"until it has it: set %s to the content of that file on every instance, then start them; delete the file once the "+
			"key is stored where your other secrets are. ", res.NewKeyID, res.KeyFile, EnvKey)
	} else {
		fmt.Fprintf(&b, "Every secret is now sealed with the new key (id %s) in %s. ", res.NewKeyID, res.KeyFile)
		if cfg.DatabaseURL != "" {
			fmt.Fprintf(&b, "Copy that file to every other instance on this database before starting them. ")
		}
	}
	b.WriteString("Backups made before now need the old key (id " + res.OldKeyID + ")")
	if res.OldKeyKept != "" {
		b.WriteString(", kept as " + res.OldKeyKept + "; delete it once you no longer need those backups")
	}
	b.WriteString(".")
	return b.String()
}
