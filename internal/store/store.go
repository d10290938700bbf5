package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver (pure Go)
)

// Dialect names the SQL engine behind a DB.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Sentinel errors returned by every domain store.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
)

// DB is the shared database handle.
type DB struct {
	*sql.DB
	Dialect Dialect
	// Where is a redacted description of the database for logs and status output.
	Where string

	// stmts caches prepared statements by query text (SQLite only; pgx
	// caches its own). modernc's driver would otherwise parse every query
	// on every call, which costs more than running it.
	stmts     sync.Map
	stmtCount atomic.Int64

	// outage counts requests refused while the database is unavailable.
	outage outage

	// afterCommit holds, per open transaction, what AfterCommit asked to
	// run once it commits.
	afterCommit sync.Map // *sql.Tx → *[]func()

	// trace, when set, sees every statement run outside a transaction and
	// every transaction begun: how tests prove a path reads nothing.
	trace atomic.Pointer[func(query string)]
}

// SetTrace makes fn see the text of every statement run through db outside
// a transaction, and "BEGIN" for every transaction (nil: stop).
func (db *DB) SetTrace(fn func(query string)) {
	if fn == nil {
		db.trace.Store(nil)
		return
	}
	db.trace.Store(&fn)
}

func (db *DB) traced(query string) {
	if fn := db.trace.Load(); fn != nil {
		(*fn)(query)
	}
}

// maxCachedStmts bounds the cache; queries are constants, so it is never
// reached in practice, but a bug that builds query text must not grow it.
const maxCachedStmts = 512

func (db *DB) prepared(ctx context.Context, query string) *sql.Stmt {
	if db.Dialect != SQLite {
		return nil
	}
	if s, ok := db.stmts.Load(query); ok {
		return s.(*sql.Stmt)
	}
	if db.stmtCount.Load() >= maxCachedStmts {
		return nil
	}
	s, err := db.DB.PrepareContext(ctx, query)
	if err != nil {
		return nil // the unprepared call below reports the error
	}
	if prev, loaded := db.stmts.LoadOrStore(query, s); loaded {
		s.Close()
		return prev.(*sql.Stmt)
	}
	db.stmtCount.Add(1)
	return s
}

// QueryRowContext runs a query outside any transaction, prepared once.
func (db *DB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	db.traced(query)
	if s := db.prepared(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return db.DB.QueryRowContext(ctx, query, args...)
}

// QueryContext runs a query outside any transaction, prepared once.
func (db *DB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	db.traced(query)
	if s := db.prepared(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return db.DB.QueryContext(ctx, query, args...)
}

// ExecContext runs a statement outside any transaction, prepared once.
func (db *DB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	db.traced(query)
	if s := db.prepared(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return db.DB.ExecContext(ctx, query, args...)
}

// Close closes the cached statements and the database.
func (db *DB) Close() error {
	db.outage.close()
	db.stmts.Range(func(_, v any) bool { v.(*sql.Stmt).Close(); return true })
	return db.DB.Close()
}

// Querier is what both *sql.DB and *sql.Tx offer; store functions take it so
// the caller decides whether they run inside a transaction.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Open opens the database selected by databaseURL (postgres:// or
// postgresql://) or, when it is empty, the SQLite file ssogate.db inside
// dataDir, creating the directory.
func Open(ctx context.Context, databaseURL, dataDir string) (*DB, error) {
	if databaseURL != "" {
		return openPostgres(ctx, databaseURL)
	}
	return openSQLite(ctx, dataDir)
}

func openSQLite(ctx context.Context, dataDir string) (*DB, error) {
	if dataDir == "" {
		return nil, errors.New("no data directory given for the SQLite database")
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	path := filepath.Join(dataDir, "ssogate.db")
	if err := createPrivate(path); err != nil {
		return nil, err
	}
	// WAL lets readers run beside the single writer; busy_timeout makes a
	// writer wait for the lock instead of failing at once; foreign keys are
	// off by default in SQLite. synchronous=FULL fsyncs the WAL at every
	// commit: NORMAL survives a killed process but can lose the last
	// commits on power loss, and those include what a client was told
	// happened (a token shown once, a revocation). It costs ~1.3 ms per
	// commit instead of ~0.06 ms here; ssogate writes on changes and
	// sign-ins, not per proxied request (docs/operations.md).
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)&_txlock=immediate"
	sqldb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	sqldb.SetMaxOpenConns(8)
	sqldb.SetMaxIdleConns(8)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	db := &DB{DB: sqldb, Dialect: SQLite, Where: "sqlite " + path}
	if err := db.PingContext(ctx); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return db, nil
}

func openPostgres(ctx context.Context, databaseURL string) (*DB, error) {
	dsn, conns, err := PostgresDSN(databaseURL)
	if err != nil {
		return nil, err
	}
	sqldb, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres %s: %w", Redact(databaseURL), err)
	}
	// As many idle connections as open ones: with fewer, a burst beyond
	// the idle count closes connections only to open them again a moment
	// later (the pool churned 25 connections per 1,000 requests that way).
	sqldb.SetMaxOpenConns(conns)
	sqldb.SetMaxIdleConns(conns)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	db := &DB{DB: sqldb, Dialect: Postgres, Where: "postgres " + Redact(databaseURL)}
	if err := db.PingContext(ctx); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("connect to postgres %s: %w", Redact(databaseURL), err)
	}
	return db, nil
}

// DefaultPoolSize is the PostgreSQL connections an instance keeps, unless
// the URL's pool_max_conns says otherwise. Proxied requests use none (the
// gateway serves them from memory); logins, API calls and the worker do.
const DefaultPoolSize = 20

// PostgresDSN is what the driver gets for a database URL — ssogate's own
// parameters removed, a connect timeout added — and the pool size.
func PostgresDSN(databaseURL string) (dsn string, poolSize int, err error) {
	u, err := url.Parse(databaseURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", 0, fmt.Errorf("database URL must start with postgres:// or postgresql://")
	}
	if poolSize, err = poolSizeOf(u); err != nil {
		return "", 0, err
	}
	return withConnectTimeout(u), poolSize, nil
}

// poolSizeOf reads pool_max_conns, pgxpool's name for it, from the URL and
// removes it: the driver would send an unknown parameter to the server.
func poolSizeOf(u *url.URL) (int, error) {
	q := u.Query()
	if !q.Has("pool_max_conns") {
		return DefaultPoolSize, nil
	}
	n, err := strconv.Atoi(q.Get("pool_max_conns"))
	if err != nil || n < 1 || n > 1000 {
		return 0, fmt.Errorf("database URL: pool_max_conns must be a number from 1 to 1000, not %q", q.Get("pool_max_conns"))
	}
	q.Del("pool_max_conns")
	u.RawQuery = q.Encode()
	return n, nil
}

// withConnectTimeout bounds connection attempts (connect_timeout, unless
// the URL sets one): without it, a database host that drops packets holds
// every request for the kernel's TCP timeout, minutes, instead of failing
// over to a 503 the client retries.
func withConnectTimeout(u *url.URL) string {
	q := u.Query()
	if !q.Has("connect_timeout") {
		q.Set("connect_timeout", "5")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// Redact hides a database URL's secrets wherever libpq accepts them (the
// user info and the password/sslpassword query parameters) so it can be
// printed.
func Redact(databaseURL string) string {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return "(unparseable URL, redacted)"
	}
	q := u.Query()
	for _, k := range []string{"password", "sslpassword"} {
		if q.Has(k) {
			q.Set(k, "xxxxx")
			u.RawQuery = q.Encode()
		}
	}
	return u.Redacted()
}

// Tx runs fn in a transaction, committing when it returns nil. SQLite
// transactions begin IMMEDIATE (see the DSN) so two writers never deadlock on
// a lock upgrade; busy_timeout makes the second one wait.
func (db *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	db.traced("BEGIN")
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer db.afterCommit.Delete(tx)
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return Translate(fmt.Errorf("commit: %w", err))
	}
	if fns, ok := db.afterCommit.Load(tx); ok {
		for _, f := range *fns.(*[]func()) {
			f()
		}
	}
	return nil
}

// AfterCommit runs f once tx — a transaction of Tx — has committed, and
// never if it rolls back: how a change announces itself (package changes)
// only when it has happened. Tx runs the functions on its own goroutine.
func (db *DB) AfterCommit(tx *sql.Tx, f func()) {
	fns, _ := db.afterCommit.LoadOrStore(tx, &[]func(){})
	list := fns.(*[]func())
	*list = append(*list, f) // a transaction is used by one goroutine at a time
}

// Translate maps driver errors onto the sentinel errors: unique and
// foreign-key violations become ErrConflict (wrapping the original so the
// constraint name stays in logs), sql.ErrNoRows becomes ErrNotFound,
// connection-level failures wrap ErrUnavailable.
func Translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if IsUniqueViolation(err) {
		return fmt.Errorf("%w: %v", ErrConflict, err)
	}
	if IsUnavailable(err) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

// IsUniqueViolation reports a UNIQUE/PRIMARY KEY violation on either engine.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	var coded interface{ SQLState() string }
	if errors.As(err, &coded) {
		return coded.SQLState() == "23505"
	}
	// modernc's error type carries the extended code; its text is stable.
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") ||
		strings.Contains(msg, "PRIMARY KEY constraint failed")
}

// UniqueViolationOn reports whether err is a unique violation of the named
// column or index, so callers can tell which invariant was hit.
func UniqueViolationOn(err error, column string) bool {
	return IsUniqueViolation(err) && strings.Contains(err.Error(), column)
}

// Affected turns the result of an UPDATE or DELETE that names one row into
// ErrNotFound when no row matched.
func Affected(res sql.Result, err error) error {
	if err != nil {
		return Translate(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}
