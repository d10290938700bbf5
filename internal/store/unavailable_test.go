package store

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestIsUnavailable(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"no rows", sql.ErrNoRows, false},
		{"not found", ErrNotFound, false},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"syntax error", &pgconn.PgError{Code: "42601"}, false},
		{"plain error", errors.New("boom"), false},
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, true},
		{"starting up", fmt.Errorf("query: %w", &pgconn.PgError{Code: "57P03"}), true},
		{"connection failure", &pgconn.PgError{Code: "08006"}, true},
		{"too many connections", &pgconn.PgError{Code: "53300"}, true},
		{"bad conn", driver.ErrBadConn, true},
		{"conn done", sql.ErrConnDone, true},
		{"pgconn closed", fmt.Errorf("x: %w", pgconn.ErrConnClosed), true},
		{"refused", refused, true},
		{"reset", fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{"eof", fmt.Errorf("receive message failed: %w", io.ErrUnexpectedEOF), true},
		{"pool wait deadline", fmt.Errorf("begin transaction: %w", context.DeadlineExceeded), true},
		{"translated", fmt.Errorf("%w: boom", ErrUnavailable), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsUnavailable(tc.err); got != tc.want {
				t.Errorf("IsUnavailable(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

// A real connection attempt to a port nobody listens on: pgx's ConnectError.
func TestIsUnavailableConnectRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = Open(context.Background(), "postgres://ssogate@"+addr+"/x?sslmode=disable", "")
	var connect *pgconn.ConnectError
	if !errors.As(err, &connect) || !IsUnavailable(err) {
		t.Fatalf("open on a closed port: %v (%T); want a ConnectError that IsUnavailable", err, errors.Unwrap(err))
	}
	if !errors.Is(Translate(err), ErrUnavailable) {
		t.Errorf("Translate(%v) does not wrap ErrUnavailable", err)
	}
}

// SQLite busy past busy_timeout: another connection holds the write lock.
func TestIsUnavailableSQLiteBusy(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(context.Background(), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	holder, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "ssogate.db")+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	tx, err := holder.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	db.SetMaxOpenConns(1) // one connection, so the pragma below is the one used
	if _, err := db.ExecContext(context.Background(), "PRAGMA busy_timeout = 100"); err != nil {
		t.Fatal(err)
	}
	err = db.Tx(context.Background(), func(*sql.Tx) error { return nil })
	if !IsUnavailable(err) {
		t.Fatalf("write while another connection holds the lock: %v, want IsUnavailable", err)
	}
}

func TestCreatedPrivate(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(context.Background(), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ssogate.db", "ssogate.db-wal", "ssogate.db-shm"} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %04o, want 0600", name, st.Mode().Perm())
		}
	}
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) lines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Split(strings.TrimSpace(b.buf.String()), "\n")
}

func TestOutageLogsOnceAWindow(t *testing.T) {
	var out lockedBuffer
	log := slog.New(slog.NewTextHandler(&out, nil))
	now := time.Unix(1000, 0)
	db := &DB{}
	db.outage.every = 100 * time.Millisecond
	db.outage.now = func() time.Time { return now }
	cause := errors.New("connection refused")

	if got := db.Unavailable(log, cause); got != time.Second {
		t.Errorf("first Retry-After %v, want 1s", got)
	}
	for range 99 {
		db.Unavailable(log, cause)
	}
	if l := out.lines(); len(l) != 1 || !strings.Contains(l[0], "database unavailable, 1 request refused in the last 0.1 s") {
		t.Fatalf("after 100 refusals, want the first one logged at once, got %q", l)
	}
	l := waitLines(t, &out, 2) // the window ends: one line for the other 99
	if !strings.Contains(l[1], "database unavailable, 99 requests refused") || !strings.Contains(l[1], "refused=99") {
		t.Fatalf("after one window, want a line for 99 refusals, got %q", l[1])
	}
	now = now.Add(20 * time.Second)
	if got := db.Unavailable(log, cause); got != 10*time.Second {
		t.Errorf("Retry-After 20 s into an outage %v, want 10s", got)
	}
	waitLines(t, &out, 3)
	waitFor(t, func() bool { // a window without refusals ends the outage
		db.outage.mu.Lock()
		defer db.outage.mu.Unlock()
		return db.outage.timer == nil
	})
	if got := db.Unavailable(log, cause); got != time.Second {
		t.Errorf("Retry-After of a new outage %v, want 1s", got)
	}
	db.outage.close()
	if l := out.lines(); len(l) != 4 {
		t.Fatalf("want 4 lines (first, 99, 1, the new outage's first), got %d: %q", len(l), l)
	}
	db.Unavailable(log, cause) // after Close: counted, never logged
	time.Sleep(150 * time.Millisecond)
	if l := out.lines(); len(l) != 4 {
		t.Fatalf("logged after close: %q", l[4:])
	}
}

func waitLines(t *testing.T, out *lockedBuffer, n int) []string {
	t.Helper()
	waitFor(t, func() bool { return len(out.lines()) >= n })
	l := out.lines()
	if len(l) != n {
		t.Fatalf("want %d lines, got %q", n, l)
	}
	return l
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5 s")
		}
	}
}
