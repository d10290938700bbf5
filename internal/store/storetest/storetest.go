package storetest

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/internal/ids"
	"github.com/ssogate/ssogate/internal/store"
)

// EnvURL names the PostgreSQL server tests may use.
const EnvURL = "SSOGATE_TEST_DATABASE_URL"

// Backends lists the engines to test on this machine.
func Backends() []store.Dialect {
	if os.Getenv(EnvURL) != "" {
		return []store.Dialect{store.SQLite, store.Postgres}
	}
	return []store.Dialect{store.SQLite}
}

// ForEach runs fn as a subtest on a fresh database of every backend.
func ForEach(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, d := range Backends() {
		t.Run(string(d), func(t *testing.T) { fn(t, Open(t, d)) })
	}
}

// Open returns a fresh migrated database of the dialect, closed at cleanup.
func Open(t testing.TB, d store.Dialect) *store.DB {
	t.Helper()
	ctx := context.Background()
	dir, dsn := t.TempDir(), ""
	if d == store.Postgres {
		dsn = PostgresURL(t)
	}
	db, err := store.Open(ctx, dsn, dir)
	if err != nil {
		t.Fatalf("open %s: %v", d, err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate %s: %v", d, err)
	}
	return db
}

// NeedPostgres skips a test that needs PostgreSQL when EnvURL is not set,
// except in CI (CI set), where it fails: CI must not pass by skipping.
func NeedPostgres(t testing.TB) {
	t.Helper()
	if os.Getenv(EnvURL) != "" {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not set: CI must run this on PostgreSQL", EnvURL)
	}
	t.Skipf("needs PostgreSQL (%s)", EnvURL)
}

// PostgresURL creates an empty schema on the test server and returns a URL
// whose search_path selects it. The schema is dropped at cleanup.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		t.Fatalf("%s is not set", EnvURL)
	}
	schema := "t_" + ids.NewHex32()[:16]
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("postgres at %s: create schema: %v", store.Redact(base), err)
	}
	t.Cleanup(func() {
		if db, err := sql.Open("pgx", base); err == nil {
			_, _ = db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
			db.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", EnvURL, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return strings.Replace(u.String(), "postgresql://", "postgres://", 1)
}
