package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migration is one embedded, numbered, forward-only schema step.
type Migration struct {
	Version   int
	Name      string
	SQL       string
	AppliedOn *time.Time // nil when not applied yet
}

// Migrations lists the embedded migrations in order.
func Migrations() ([]Migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, e := range entries {
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration file %q is not named NNNN_name.sql", e.Name())
		}
		body, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version     INTEGER PRIMARY KEY,
	name        TEXT NOT NULL,
	applied_on  BIGINT NOT NULL
)`

// MigrationStatus returns every embedded migration with the time it was
// applied, if it was.
func (db *DB) MigrationStatus(ctx context.Context) ([]Migration, error) {
	all, err := Migrations()
	if err != nil {
		return nil, err
	}
	if _, err := db.ExecContext(ctx, createMigrationsTable); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	rows, err := db.QueryContext(ctx, `SELECT version, applied_on FROM schema_migrations`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	applied := map[int]time.Time{}
	for rows.Next() {
		var v int
		var at int64
		if err := rows.Scan(&v, &at); err != nil {
			return nil, err
		}
		applied[v] = time.UnixMicro(at).UTC()
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range all {
		if at, ok := applied[all[i].Version]; ok {
			all[i].AppliedOn = &at
		}
	}
	return all, nil
}

// Migrate applies every pending migration, each in its own transaction
// together with its schema_migrations row, so a failed step leaves nothing
// half-applied. PostgreSQL takes an advisory lock so instances starting
// together do not race; SQLite's write lock serialises them already.
func (db *DB) Migrate(ctx context.Context) (applied []Migration, err error) {
	if db.Dialect == Postgres {
		conn, err := db.Conn(ctx)
		if err != nil {
			return nil, err
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(7242019)`); err != nil {
			return nil, fmt.Errorf("take migration lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(7242019)`)
	}
	status, err := db.MigrationStatus(ctx)
	if err != nil {
		return nil, err
	}
	for _, m := range status {
		if m.AppliedOn != nil {
			continue
		}
		if err := db.apply(ctx, m); err != nil {
			return applied, err
		}
		applied = append(applied, m)
	}
	return applied, nil
}

func (db *DB) apply(ctx context.Context, m Migration) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		for _, stmt := range splitStatements(m.SQL) {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
			}
		}
		_, err := tx.ExecContext(ctx,
			`INSERT INTO schema_migrations (version, name, applied_on) VALUES ($1, $2, $3)`,
			m.Version, m.Name, time.Now().UnixMicro())
		if err != nil && IsUniqueViolation(err) {
			return fmt.Errorf("migration %04d applied concurrently by another instance; retry", m.Version)
		}
		return err
	})
}

// splitStatements cuts a migration on semicolons at line ends and drops
// comment-only chunks. Migrations are ours, so this simple rule is enough:
// no semicolons inside string literals or function bodies.
func splitStatements(script string) []string {
	var out []string
	for _, chunk := range strings.Split(script, ";\n") {
		var lines []string
		for _, l := range strings.Split(chunk, "\n") {
			if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "--") {
				lines = append(lines, l)
			}
		}
		if stmt := strings.TrimSuffix(strings.TrimSpace(strings.Join(lines, "\n")), ";"); stmt != "" {
			out = append(out, stmt)
		}
	}
	return out
}
