package backup

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"time"

	"github.com/ssogate/ssogate/internal/config"
	"github.com/ssogate/ssogate/internal/secretbox"
	"github.com/ssogate/ssogate/internal/store"
)

// FinishInterruptedRotation completes or undoes a key rotation that a crash
// interrupted, which left <key file>.new beside the key file. The server
// calls it before it reads the key (after LockDataDir on SQLite). It
// judges by the data, not by the files: if the new key opens every sealed
// value the rotation committed, and the new key replaces the key file (the
// old one is kept as <key file>.old-<time>); if the old key opens every one
// it did not, and the unused new key is renamed to <key file>.new.unused-
// <time>. Values under both keys (an instance sealed something with the
// old key after the rotation committed) are refused: running
// RotateSecretKey again re-seals them all. Nothing is ever deleted.
//
// It returns what it did, or "" when there was nothing to do (no .new
// file, or the key comes from SSOGATE_SECRET_KEY, which it cannot change).
func FinishInterruptedRotation(ctx context.Context, cfg config.Config) (string, error) {
	src := sourceOf(cfg)
	newPath := src.path + ".new"
	if ok, _ := exists(newPath); src.env || !ok {
		return "", nil
	}
	newKey, err := readKeyFile(newPath)
	if err != nil {
		return "", fmt.Errorf("an interrupted key rotation left %s, which cannot be read: %w", newPath, err)
	}
	oldKey, oldErr := readKeyFile(src.path)
	vals, err := sealedValuesWaiting(ctx, cfg)
	if err != nil {
		return "", fmt.Errorf("finish an interrupted key rotation: %w", err)
	}
	underNew, underOld := opened(vals, newKey), 0
	if oldErr == nil {
		underOld = opened(vals, oldKey)
	}
	ts := stamp(time.Now())
	switch {
	case underNew == len(vals):
		kept, err := switchKeyFile(src.path, newPath, newKey, ts)
		if err != nil {
			return "", fmt.Errorf("finish an interrupted key rotation: %w", err)
		}
		return fmt.Sprintf("finished an interrupted key rotation: %s now holds the new key (id %s); the old one is kept as %s",
			src.path, KeyID(newKey), kept), nil
	case underOld == len(vals):
		unused := newPath + ".unused-" + ts
		if err := os.Rename(newPath, unused); err != nil {
			return "", fmt.Errorf("set aside the key of an interrupted rotation: %w", err)
		}
		return fmt.Sprintf("a key rotation was interrupted before it changed anything: the key in %s still opens every secret; "+
			"the unused new key was moved to %s", src.path, unused), nil
	}
	return "", fmt.Errorf("an interrupted key rotation left %d sealed values that only the new key (%s) opens and %d that only "+
		"the current one (%s) opens: run `ssogate admin rotate-secret-key` to re-seal them all with the new key",
		len(vals)-underOld, newPath, len(vals)-underNew, src.path)
}

// sealedValuesWaiting reads every sealed value; on PostgreSQL it first
// waits for a rotation in progress elsewhere to end.
func sealedValuesWaiting(ctx context.Context, cfg config.Config) ([]sealedValue, error) {
	if cfg.DatabaseURL == "" {
		if ok, _ := exists(dbPath(cfg.DataDir)); !ok {
			return nil, nil
		}
	}
	db, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var vals []sealedValue
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		if db.Dialect == store.Postgres {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, rotationLock); err != nil {
				return err
			}
		}
		var err error
		vals, err = readSealed(ctx, tx)
		return err
	})
	return vals, err
}

// opened counts the values key opens.
func opened(vals []sealedValue, key []byte) int {
	box, err := secretbox.New(key)
	if err != nil {
		return 0
	}
	n := 0
	for _, v := range vals {
		if _, err := box.Open(v.sealed, v.col.AAD(v.key)); err == nil {
			n++
		}
	}
	return n
}
