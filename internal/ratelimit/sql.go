package ratelimit

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ssogate/ssogate/internal/store"
)

// SQL is a limiter whose state is the rate_limits table, shared by every
// instance on the database. New uses it on PostgreSQL only; its SQL is
// portable, so its tests run on SQLite too.
type SQL struct {
	db  *store.DB
	p   Policy
	now func() time.Time
	log *slog.Logger
	// fallback limits while the database does not answer.
	fallback *Memory
	// lastSweep is when this limiter last deleted expired rows (unix µs).
	lastSweep atomic.Int64
	errs      errorLog
}

const (
	// sweepEvery is how often each limiter deletes rows whose wait is
	// over, at most sweepBatch of them: a bounded statement, paid by one
	// attempt a minute rather than by a background goroutine.
	sweepEvery = time.Minute
	sweepBatch = 1000
	// sweepGrace keeps rows a minute past their time, so an instance whose
	// clock runs a little ahead does not delete a row another instance
	// still counts as limiting.
	sweepGrace = time.Minute
)

// NewSQL returns a limiter for p kept in db's rate_limits table.
func NewSQL(db *store.DB, p Policy, o Options) *SQL {
	p.validate()
	o = o.withDefaults()
	return &SQL{db: db, p: p, now: o.Now, log: o.Log, fallback: NewMemory(p, o)}
}

// takeSQL is step in one statement. A new key starts at now+Every (the
// first attempt is always allowed); an existing one advances to
// max(tat, now)+Every if that is within the limit, and otherwise keeps its
// tat. The row lock of ON CONFLICT DO UPDATE serialises concurrent
// attempts on a key, from any instance. last_allowed carries the verdict
// out: the returned tat alone cannot tell an allowed last attempt from a
// refused one.
//
// $1 key, $2 now+Every, $3 Every, $4 the limit (now+Burst*Every); times in
// unix microseconds.
const takeSQL = `INSERT INTO rate_limits (key, tat, last_allowed) VALUES ($1, $2, TRUE)
ON CONFLICT (key) DO UPDATE SET
	last_allowed = (CASE WHEN rate_limits.tat + $3 > $2 THEN rate_limits.tat + $3 ELSE $2 END) <= $4,
	tat = CASE WHEN (CASE WHEN rate_limits.tat + $3 > $2 THEN rate_limits.tat + $3 ELSE $2 END) <= $4
		THEN (CASE WHEN rate_limits.tat + $3 > $2 THEN rate_limits.tat + $3 ELSE $2 END)
		ELSE rate_limits.tat END
RETURNING tat, last_allowed`

// Take implements Limiter.
func (l *SQL) Take(ctx context.Context, key string) (bool, time.Duration) {
	now := l.now()
	var tat int64
	var allowed bool
	err := l.db.QueryRowContext(ctx, takeSQL, l.key(key), store.Micros(now.Add(l.p.Every)),
		l.p.Every.Microseconds(), store.Micros(l.p.limit(now))).Scan(&tat, &allowed)
	if err != nil {
		l.errs.log(ctx, l.log, l.p.Name, err)
		return l.fallback.Take(ctx, key)
	}
	l.sweep(ctx, now)
	if allowed {
		return true, 0
	}
	_, _, retry := l.p.step(store.FromMicros(tat), now)
	return false, retry
}

// Check implements Limiter.
func (l *SQL) Check(ctx context.Context, key string) (bool, time.Duration) {
	now := l.now()
	var tat int64
	err := l.db.QueryRowContext(ctx, `SELECT tat FROM rate_limits WHERE key = $1`, l.key(key)).Scan(&tat)
	if errors.Is(err, sql.ErrNoRows) {
		return true, 0
	}
	if err != nil {
		l.errs.log(ctx, l.log, l.p.Name, err)
		return l.fallback.Check(ctx, key)
	}
	_, ok, retry := l.p.step(store.FromMicros(tat), now)
	return ok, retry
}

func (l *SQL) key(key string) string { return l.p.Name + ":" + key }

// sweep deletes up to sweepBatch rows whose wait ended more than
// sweepGrace ago, once per sweepEvery: such a row means the same as no
// row. Rows of every policy go, since they share the table.
func (l *SQL) sweep(ctx context.Context, now time.Time) {
	last := l.lastSweep.Load()
	if now.Sub(time.UnixMicro(last)) < sweepEvery || !l.lastSweep.CompareAndSwap(last, now.UnixMicro()) {
		return
	}
	_, err := l.db.ExecContext(ctx, `DELETE FROM rate_limits WHERE key IN
		(SELECT key FROM rate_limits WHERE tat < $1 LIMIT $2)`, store.Micros(now.Add(-sweepGrace)), sweepBatch)
	if err != nil {
		l.errs.log(ctx, l.log, l.p.Name, err)
	}
}

// errorLog logs database errors at most once a minute, with how many
// there were since the last line: during an outage every attempt fails.
// A request that was cancelled is not the database's fault, and is not
// logged.
type errorLog struct {
	mu     sync.Mutex
	last   time.Time
	missed int
}

func (e *errorLog) log(ctx context.Context, log *slog.Logger, policy string, err error) {
	if ctx.Err() != nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if time.Since(e.last) < time.Minute {
		e.missed++
		return
	}
	log.Warn("rate limit: the database did not answer; limiting on this instance's memory until it does",
		"policy", policy, "error", err, "errors_since_last_report", e.missed)
	e.last, e.missed = time.Now(), 0
}
