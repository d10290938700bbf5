package backup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/ssogate/ssogate/internal/store"
)

// DBFile is the SQLite database's name in the data directory (package
// store opens the same).
const DBFile = "ssogate.db"

func dbPath(dataDir string) string { return filepath.Join(dataDir, DBFile) }

// openFile opens an existing SQLite file outside package store, which
// would create a missing one. mode is SQLite's URI mode: "ro" or "rw".
func openFile(ctx context.Context, path, mode string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode="+mode+"&_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// snapshot copies the live database at src into the new file dst with
// VACUUM INTO: one read transaction, so a consistent state as of its start
// while the server keeps writing (WAL: readers and the writer do not wait
// for each other). dst is switched to a rollback journal so it is one
// self-contained file, and checked.
func snapshot(ctx context.Context, src, dst string) error {
	live, err := openFile(ctx, src, "rw")
	if err != nil {
		return err
	}
	_, err = live.ExecContext(ctx, `VACUUM INTO $1`, dst)
	live.Close()
	if err != nil {
		return fmt.Errorf("snapshot %s: %w", src, err)
	}
	snap, err := openFile(ctx, dst, "rw")
	if err != nil {
		return err
	}
	defer snap.Close()
	var mode string
	if err := snap.QueryRowContext(ctx, `PRAGMA journal_mode=DELETE`).Scan(&mode); err != nil {
		return fmt.Errorf("snapshot journal mode: %w", err)
	}
	return integrity(ctx, snap)
}

// integrity runs SQLite's full check.
func integrity(ctx context.Context, db *sql.DB) error {
	var res string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check(1)`).Scan(&res); err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	if res != "ok" {
		return fmt.Errorf("integrity check failed: %s", res)
	}
	return nil
}

// schemaVersion is the newest migration applied to q's database.
func schemaVersion(ctx context.Context, q store.Querier) (int, error) {
	var v sql.NullInt64
	if err := q.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	if !v.Valid {
		return 0, errors.New("the database has no migrations applied")
	}
	return int(v.Int64), nil
}

// latestSchema is the newest migration this build knows.
func latestSchema() (int, error) {
	ms, err := store.Migrations()
	if err != nil || len(ms) == 0 {
		return 0, fmt.Errorf("embedded migrations: %v", err)
	}
	return ms[len(ms)-1].Version, nil
}
