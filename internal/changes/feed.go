package changes

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ssogate/ssogate/internal/ids"
	"github.com/ssogate/ssogate/internal/store"
)

// Kind says what changed.
type Kind string

const (
	Keys     Kind = "keys"     // an account's signing keys or their rotation setting
	Tokens   Kind = "tokens"   // an API token was changed, rolled, disabled or deleted
	Access   Kind = "access"   // an account's organization, identity providers, apps or policies
	Sessions Kind = "sessions" // Access sessions revoked: revoke_user, logout, revoke_tokens
	All      Kind = "*"        // anything may have changed (a notification may have been missed)
)

// Event is one change. AccountID and ID narrow it when set; a subscriber
// that cannot narrow simply drops more.
type Event struct {
	Kind      Kind   `json:"k"`
	AccountID string `json:"a,omitempty"`
	ID        string `json:"i,omitempty"`
	// Origin is the publishing instance (set by Publish), so it skips its
	// own notification: it delivered the event locally already.
	Origin string `json:"o,omitempty"`
}

// Feed publishes and delivers events. The zero of *Feed (nil) publishes
// nothing and delivers nothing, so packages work without one in tests.
type Feed struct {
	db       *store.DB
	log      *slog.Logger
	instance string
	channel  string // PostgreSQL only

	mu   sync.RWMutex
	subs []func(Event)
}

// New returns the feed of db. On PostgreSQL the channel is named after the
// current schema, so deployments (and test schemas) sharing one database
// do not hear each other.
func New(ctx context.Context, db *store.DB, log *slog.Logger) (*Feed, error) {
	f := &Feed{db: db, log: log, instance: ids.NewHex32()}
	if db.Dialect != store.Postgres {
		return f, nil
	}
	var schema string
	if err := db.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return nil, fmt.Errorf("change feed: %w", err)
	}
	f.channel = channelFor(schema)
	return f, nil
}

// channelFor is a valid, bounded channel name for a schema.
func channelFor(schema string) string {
	var sb strings.Builder
	for _, c := range strings.ToLower(schema) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' {
			sb.WriteRune(c)
		}
	}
	name := "ssogate_changes_" + sb.String()
	if len(name) > 63 {
		name = name[:63]
	}
	return name
}

// Subscribe registers fn for every event delivered from now on. fn runs on
// the delivering goroutine: it must be quick (drop a cache entry).
func (f *Feed) Subscribe(fn func(Event)) {
	if f == nil {
		return
	}
	f.mu.Lock()
	f.subs = append(f.subs, fn)
	f.mu.Unlock()
}

// Publish announces ev. Given the writer's transaction (from store.DB.Tx),
// the event is delivered only if and when it commits: on PostgreSQL the
// NOTIFY is part of the transaction, and this instance delivers it to its
// own subscribers after the commit. Given the database itself, it is
// delivered at once.
func (f *Feed) Publish(ctx context.Context, q store.Querier, ev Event) error {
	if f == nil {
		return nil
	}
	ev.Origin = f.instance
	if f.channel != "" {
		payload, _ := json.Marshal(ev)
		if _, err := q.ExecContext(ctx, `SELECT pg_notify($1, $2)`, f.channel, string(payload)); err != nil {
			return fmt.Errorf("publish %s change: %w", ev.Kind, err)
		}
	}
	if tx, ok := q.(*sql.Tx); ok {
		f.db.AfterCommit(tx, func() { f.deliver(ev) })
		return nil
	}
	f.deliver(ev)
	return nil
}

func (f *Feed) deliver(ev Event) {
	f.mu.RLock()
	subs := f.subs
	f.mu.RUnlock()
	for _, fn := range subs {
		fn(ev)
	}
}

// Run keeps this instance listening until ctx ends. On PostgreSQL it holds
// a LISTEN connection (reconnecting with backoff) and delivers other
// instances' events; on every connection, and every refresh, it delivers
// All, because what was missed meanwhile cannot be known. On SQLite there
// is nothing to listen to and it only waits.
func (f *Feed) Run(ctx context.Context, databaseURL string, refresh time.Duration) {
	if f == nil || f.channel == "" {
		<-ctx.Done()
		return
	}
	go f.tick(ctx, refresh)
	backoff, failures := 100*time.Millisecond, 0
	for ctx.Err() == nil {
		err := f.listen(ctx, databaseURL, func() {
			if failures > 0 {
				f.log.Info("change feed: listening again", "failed_attempts", failures)
			}
			backoff, failures = 100*time.Millisecond, 0
		})
		if ctx.Err() != nil {
			return
		}
		// One line when listening stops, then one a minute: during a
		// database outage every attempt fails, and the store already
		// reports the outage.
		if failures++; failures == 1 || failures%12 == 0 {
			f.log.Warn("change feed: not listening; caches fall back to the 30 s refresh until it reconnects",
				"error", err, "failed_attempts", failures)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// tick delivers All every refresh: the safety net for a lost notification.
func (f *Feed) tick(ctx context.Context, refresh time.Duration) {
	if refresh <= 0 {
		return
	}
	t := time.NewTicker(refresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f.deliver(Event{Kind: All})
		}
	}
}

// listen holds one LISTEN connection until it fails or ctx ends.
func (f *Feed) listen(ctx context.Context, databaseURL string, connected func()) error {
	dsn, _, err := store.PostgresDSN(databaseURL)
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{f.channel}.Sanitize()); err != nil {
		return err
	}
	connected()
	f.deliver(Event{Kind: All}) // whatever happened while this instance was not listening
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		var ev Event
		if json.Unmarshal([]byte(n.Payload), &ev) != nil {
			ev = Event{Kind: All} // unreadable: assume the worst
		}
		if ev.Origin != f.instance {
			f.deliver(ev)
		}
	}
}
