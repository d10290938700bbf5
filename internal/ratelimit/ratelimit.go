package ratelimit

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/ssogate/ssogate/internal/store"
)

// Policy is one limit: Burst attempts at once, then one more every Every.
type Policy struct {
	// Name keeps the keys of different limits apart in the shared table
	// ("login-email", "api-auth-ip").
	Name  string
	Every time.Duration
	Burst int
}

// Limiter spends and checks attempts for keys of one policy.
type Limiter interface {
	// Take spends one attempt for key. When none is left it spends
	// nothing and says how long until the next one.
	Take(ctx context.Context, key string) (ok bool, retryAfter time.Duration)
	// Check says whether an attempt would be allowed now, spending none:
	// for limits on failures, checked before the attempt and taken only if
	// it fails.
	Check(ctx context.Context, key string) (ok bool, retryAfter time.Duration)
}

// Options configure a limiter; the zero value is usable.
type Options struct {
	Now func() time.Time // nil: time.Now
	Log *slog.Logger     // nil: discarded
	// MaxKeys bounds the memory table (0: DefaultMaxKeys).
	MaxKeys int
}

// DefaultMaxKeys bounds a memory table: about 15 MB at most per limiter.
const DefaultMaxKeys = 100_000

// New returns the limiter for db's engine: shared through the rate_limits
// table on PostgreSQL, in this process's memory on SQLite.
func New(db *store.DB, p Policy, o Options) Limiter {
	if db.Dialect == store.Postgres {
		return NewSQL(db, p, o)
	}
	return NewMemory(p, o)
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.MaxKeys <= 0 {
		o.MaxKeys = DefaultMaxKeys
	}
	return o
}

// validate panics on a policy that allows nothing: policies are constants
// in the code, so this is a programming error caught at start-up.
func (p Policy) validate() {
	if p.Name == "" || p.Every <= 0 || p.Burst < 1 {
		panic(fmt.Sprintf("ratelimit: invalid policy %+v", p))
	}
}

// step is GCRA: tat is the key's theoretical arrival time (zero: never
// seen). The attempt is allowed when the next tat is at most Burst
// intervals ahead of now; a refused attempt leaves tat as it was, so
// hammering a limited key does not lengthen its wait.
func (p Policy) step(tat, now time.Time) (next time.Time, ok bool, retryAfter time.Duration) {
	next = tat
	if now.After(next) {
		next = now
	}
	next = next.Add(p.Every)
	limit := p.limit(now)
	if next.After(limit) {
		return tat, false, next.Sub(limit)
	}
	return next, true, 0
}

// limit is the latest tat an allowed attempt may leave at now.
func (p Policy) limit(now time.Time) time.Time { return now.Add(time.Duration(p.Burst) * p.Every) }

// ClientKey is the key for a client address: an IPv4 address, or the /64
// of an IPv6 one, since one IPv6 host usually holds a whole /64 and could
// otherwise take a fresh key for every attempt.
func ClientKey(a netip.Addr) string {
	if !a.IsValid() {
		return "unknown"
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}
