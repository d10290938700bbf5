package store

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"
)

// OutageLogEvery is how often, at most, an outage adds a line to the log.
const OutageLogEvery = 10 * time.Second

// Retry-After bounds: clients retry quickly at first, as most outages are
// restarts and failovers of a few seconds, then back off as one persists,
// so the SDK's ten retries span about a minute rather than ten seconds.
const (
	minRetryAfter = time.Second
	maxRetryAfter = 30 * time.Second
)

// outage counts the requests refused while the database is unavailable, so
// that an outage is a few log lines instead of one per request (two
// five-second PostgreSQL outages were once 2,319 ERROR lines).
type outage struct {
	mu      sync.Mutex
	log     *slog.Logger
	since   time.Time   // first refusal of the current outage; zero when none
	refused int         // refusals not yet logged
	cause   error       // the latest refusal's error, shown in the next line
	timer   *time.Timer // the next line is due when it fires; nil when none is
	closed  bool

	every time.Duration    // zero: OutageLogEvery (tests shorten it)
	now   func() time.Time // nil: time.Now
}

// Unavailable records a request refused because the database is
// unavailable (IsUnavailable) and returns how long the client should wait
// before retrying. The first refusal of an outage is logged at once; later
// ones are summed into at most one line per OutageLogEvery.
func (db *DB) Unavailable(log *slog.Logger, err error) (retryAfter time.Duration) {
	o := &db.outage
	o.mu.Lock()
	defer o.mu.Unlock()
	now := time.Now()
	if o.now != nil {
		now = o.now()
	}
	if o.since.IsZero() {
		o.since = now
	}
	o.refused++
	o.log, o.cause = log, err
	if o.timer == nil && !o.closed {
		o.flushLocked()
		o.timer = time.AfterFunc(o.window(), o.tick)
	}
	return min(max(now.Sub(o.since)/2, minRetryAfter), maxRetryAfter)
}

// tick writes the refusals of the window that just ended; a window without
// any ends the outage.
func (o *outage) tick() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return
	}
	if o.refused == 0 {
		o.since, o.timer, o.cause = time.Time{}, nil, nil
		return
	}
	o.flushLocked()
	o.timer.Reset(o.window())
}

func (o *outage) window() time.Duration {
	if o.every > 0 {
		return o.every
	}
	return OutageLogEvery
}

func (o *outage) flushLocked() {
	if o.refused == 0 || o.log == nil {
		return
	}
	noun := "requests"
	if o.refused == 1 {
		noun = "request"
	}
	o.log.LogAttrs(context.Background(), slog.LevelError,
		fmt.Sprintf("database unavailable, %d %s refused in the last %s", o.refused, noun, seconds(o.window())),
		slog.Int("refused", o.refused), slog.Time("since", o.since), slog.String("error", o.cause.Error()))
	o.refused = 0
}

// seconds writes d as "10 s", or "0.05 s" for a test's short window.
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + " s"
}

// close writes what is still unlogged and stops the timer, so nothing is
// logged after the database is closed.
func (o *outage) close() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.flushLocked()
	o.closed = true
	if o.timer != nil {
		o.timer.Stop()
	}
}
