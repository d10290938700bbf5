package ratelimit_test

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/ratelimit"
	"github.com/ssogate/ssogate/internal/store"
	"github.com/ssogate/ssogate/internal/store/storetest"
)

var policy = ratelimit.Policy{Name: "test", Every: time.Minute, Burst: 5}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

// limiters runs fn on the memory limiter and on the SQL limiter of every
// backend, each with its own clock.
func limiters(t *testing.T, fn func(t *testing.T, c *clock, mk func(ratelimit.Policy) ratelimit.Limiter)) {
	t.Run("memory", func(t *testing.T) {
		c := newClock()
		fn(t, c, func(p ratelimit.Policy) ratelimit.Limiter {
			return ratelimit.NewMemory(p, ratelimit.Options{Now: c.now})
		})
	})
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		c := newClock()
		fn(t, c, func(p ratelimit.Policy) ratelimit.Limiter {
			return ratelimit.NewSQL(db, p, ratelimit.Options{Now: c.now})
		})
	})
}

// TestBurstThenOneEvery: Burst attempts at once, then one per Every, as
// the token buckets this replaces allowed; a refused attempt does not
// lengthen the wait.
func TestBurstThenOneEvery(t *testing.T) {
	limiters(t, func(t *testing.T, c *clock, mk func(ratelimit.Policy) ratelimit.Limiter) {
		ctx := context.Background()
		l := mk(policy)
		for i := range 5 {
			if ok, _ := l.Take(ctx, "alice"); !ok {
				t.Fatalf("attempt %d refused", i+1)
			}
		}
		for range 3 {
			if ok, retry := l.Take(ctx, "alice"); ok || retry != time.Minute {
				t.Fatalf("6th attempt: ok=%v retry=%v, want refused for 1m", ok, retry)
			}
		}
		if ok, retry := l.Check(ctx, "alice"); ok || retry != time.Minute {
			t.Fatalf("Check: ok=%v retry=%v", ok, retry)
		}
		if ok, _ := l.Take(ctx, "bob"); !ok {
			t.Fatal("another key is limited too")
		}
		c.add(40 * time.Second)
		if ok, retry := l.Take(ctx, "alice"); ok || retry != 20*time.Second {
			t.Fatalf("after 40s: ok=%v retry=%v, want refused for 20s", ok, retry)
		}
		c.add(20 * time.Second)
		if ok, _ := l.Check(ctx, "alice"); !ok {
			t.Fatal("Check after a minute: refused")
		}
		if ok, _ := l.Take(ctx, "alice"); !ok {
			t.Fatal("after a minute: refused")
		}
		if ok, _ := l.Take(ctx, "alice"); ok {
			t.Fatal("two attempts allowed after one minute")
		}
		c.add(time.Hour)
		for i := range 5 {
			if ok, _ := l.Take(ctx, "alice"); !ok {
				t.Fatalf("after an hour, attempt %d refused", i+1)
			}
		}
	})
}

// TestCheckSpendsNothing: a limit on failures checks first and takes only
// on failure.
func TestCheckSpendsNothing(t *testing.T) {
	limiters(t, func(t *testing.T, c *clock, mk func(ratelimit.Policy) ratelimit.Limiter) {
		ctx := context.Background()
		l := mk(ratelimit.Policy{Name: "once", Every: time.Minute, Burst: 1})
		for range 10 {
			if ok, _ := l.Check(ctx, "k"); !ok {
				t.Fatal("Check refused a fresh key")
			}
		}
		if ok, _ := l.Take(ctx, "k"); !ok {
			t.Fatal("Take after Checks refused")
		}
		if ok, _ := l.Check(ctx, "k"); ok {
			t.Fatal("Check allowed a spent key")
		}
	})
}

// TestPoliciesDoNotShareKeys: two policies on one table keep apart.
func TestPoliciesDoNotShareKeys(t *testing.T) {
	limiters(t, func(t *testing.T, c *clock, mk func(ratelimit.Policy) ratelimit.Limiter) {
		ctx := context.Background()
		a := mk(ratelimit.Policy{Name: "a", Every: time.Minute, Burst: 1})
		b := mk(ratelimit.Policy{Name: "b", Every: time.Minute, Burst: 1})
		a.Take(ctx, "k")
		if ok, _ := b.Take(ctx, "k"); !ok {
			t.Fatal("policy b limited by policy a's attempt")
		}
	})
}

// TestSharedAcrossLimiters: two limiters on one database (two instances)
// allow together what one allows, also when attempts race.
func TestSharedAcrossLimiters(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := newClock()
		ls := []ratelimit.Limiter{
			ratelimit.NewSQL(db, policy, ratelimit.Options{Now: c.now}),
			ratelimit.NewSQL(db, policy, ratelimit.Options{Now: c.now}),
		}
		var mu sync.Mutex
		allowed := 0
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				if ok, _ := ls[i%2].Take(ctx, "alice"); ok {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if allowed != 5 {
			t.Fatalf("%d of 20 concurrent attempts through two limiters allowed, want 5", allowed)
		}
	})
}

// TestSweepDeletesOnlyExpiredRows: the occasional sweep removes rows whose
// wait ended over a minute ago, and keeps a limited key limited.
func TestSweepDeletesOnlyExpiredRows(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := newClock()
		l := ratelimit.NewSQL(db, policy, ratelimit.Options{Now: c.now})
		l.Take(ctx, "old") // sweeps the empty table: the first take of a limiter
		c.add(10 * time.Minute)
		for range 6 {
			l.Take(ctx, "limited") // a minute after the last sweep: sweeps "old"
		}
		var keys []string
		rows, err := db.QueryContext(ctx, `SELECT key FROM rate_limits ORDER BY key`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var k string
			rows.Scan(&k)
			keys = append(keys, k)
		}
		if fmt.Sprint(keys) != "[test:limited]" {
			t.Fatalf("rows after the sweep: %v, want [test:limited]", keys)
		}
		if ok, _ := l.Take(ctx, "limited"); ok {
			t.Fatal("the sweep reset a limited key")
		}
	})
}

// TestDatabaseErrorFallsBackToMemory: a database that does not answer
// neither locks everyone out nor lets attempts through unlimited: the
// limiter keeps counting in memory.
func TestDatabaseErrorFallsBackToMemory(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := ratelimit.NewSQL(db, policy, ratelimit.Options{Now: newClock().now})
		if _, err := db.ExecContext(ctx, `DROP TABLE rate_limits`); err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			if ok, _ := l.Take(ctx, "alice"); !ok {
				t.Fatalf("attempt %d refused while the table is missing", i+1)
			}
		}
		if ok, retry := l.Take(ctx, "alice"); ok || retry != time.Minute {
			t.Fatalf("6th attempt while the table is missing: ok=%v retry=%v", ok, retry)
		}
		if ok, _ := l.Check(ctx, "alice"); ok {
			t.Fatal("Check while the table is missing: allowed")
		}
	})
}

// TestFullTableKeepsALimitedKeyLimited: a spray of new keys that fills
// the memory table forgets the least recently used keys one at a time, so
// a key that is being hammered stays limited (the table it replaces
// cleared every bucket when full).
func TestFullTableKeepsALimitedKeyLimited(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	l := ratelimit.NewMemory(policy, ratelimit.Options{Now: c.now, MaxKeys: 100})
	for range 6 {
		l.Take(ctx, "victim")
		l.Take(ctx, "quiet")
	}
	for i := range 1000 {
		l.Take(ctx, fmt.Sprint("spray-", i))
		if i%50 == 0 { // the attacker keeps trying the victim's key
			if ok, _ := l.Take(ctx, "victim"); ok {
				t.Fatalf("victim's key allowed again after %d sprayed keys", i+1)
			}
		}
	}
	if n := l.Len(); n != 100 {
		t.Fatalf("table holds %d keys, want its bound of 100", n)
	}
	if ok, _ := l.Check(ctx, "victim"); ok {
		t.Fatal("victim's key allowed after the spray")
	}
	if ok, _ := l.Check(ctx, "quiet"); !ok {
		t.Fatal("a limited key untouched during the spray is still held: the table is not least-recently-used")
	}
	// The oldest keys were forgotten, the recent ones kept: the price of
	// the bound is that a limited key left alone while a full table's
	// worth of new keys arrived starts afresh.
	if ok, _ := l.Take(ctx, "spray-999"); !ok {
		t.Fatal("a recent key with attempts left refused")
	}
}

// TestExpiredKeysAreDropped: keys whose wait is over leave the memory
// table as it is used, so it does not keep every key ever seen.
func TestExpiredKeysAreDropped(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	l := ratelimit.NewMemory(policy, ratelimit.Options{Now: c.now})
	for i := range 50 {
		l.Take(ctx, fmt.Sprint("k", i))
	}
	c.add(2 * time.Minute) // one attempt each: over after a minute
	for i := range 30 {
		l.Take(ctx, fmt.Sprint("new", i))
	}
	if n := l.Len(); n != 30 {
		t.Fatalf("table holds %d keys, want the 30 live ones", n)
	}
}

func TestClientKey(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.9":                "203.0.113.9",
		"::ffff:203.0.113.9":         "203.0.113.9",
		"2001:db8:1:2:3:4:5:6":       "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff:ffff::99": "2001:db8:1:2::/64",
	} {
		if got := ratelimit.ClientKey(netip.MustParseAddr(in)); got != want {
			t.Errorf("ClientKey(%s) = %s, want %s", in, got, want)
		}
	}
	if got := ratelimit.ClientKey(netip.Addr{}); got != "unknown" {
		t.Errorf("ClientKey(invalid) = %s", got)
	}
}
