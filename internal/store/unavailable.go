package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrUnavailable means the database could not be reached or did not answer
// in time: the request was fine and may succeed if retried. Translate wraps
// connection-level driver errors in it; IsUnavailable also recognises the
// raw driver errors, because many queries Scan without translating.
var ErrUnavailable = errors.New("database unavailable")

// IsUnavailable reports whether err is a connection-level failure of either
// engine rather than a problem with the statement or the data: PostgreSQL
// refusing or dropping connections, a broken socket, a connection attempt
// or pool wait running out of time, SQLite busy or locked past its
// busy_timeout. Callers must check their own request's cancellation first:
// a context error here is otherwise taken as the database being too slow.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrUnavailable) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var connect *pgconn.ConnectError
	if errors.As(err, &connect) || pgconn.Timeout(err) {
		return true
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return unavailableState(pg.Code)
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		code := lite.Code() & 0xff // extended codes keep the primary one in the low byte
		return code == sqlite3.SQLITE_BUSY || code == sqlite3.SQLITE_LOCKED
	}
	return brokenConnection(err)
}

// unavailableState reports the SQLSTATEs of a server that is going away,
// starting up or full, as opposed to one refusing this statement.
func unavailableState(code string) bool {
	switch {
	case strings.HasPrefix(code, "08"): // connection exception
		return true
	case code == "57P01", code == "57P02", code == "57P03": // admin/crash shutdown, cannot connect now
		return true
	case code == "53300": // too many connections
		return true
	}
	return false
}

// brokenConnection recognises what pgconn passes through unwrapped when the
// socket fails mid-conversation: the server closing it (EOF), resets,
// refusals and other network errors. Only the database is reached through
// database/sql here; errors from other network peers (IdPs, origins) are
// turned into their own responses before they could reach the mapping.
func brokenConnection(err error) bool {
	var op *net.OpError
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &op) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
