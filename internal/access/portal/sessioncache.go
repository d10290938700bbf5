package portal

import (
	"context"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/ssogate/ssogate/internal/changes"
)

// sessionState is what a token's check needs of its session row.
type sessionState struct {
	live     bool // the row exists and is not revoked
	expires  time.Time
	identity Identity
}

// sessionCache keeps the state of recently used Access sessions in memory,
// so checking a valid token reads no row. It is bounded (least recently
// used first out; a miss only costs a read) and follows the change feed:
// a revocation (logout, revoke_user) drops the session — or all of the
// account's — on every instance, and the next check reads the revoked row.
//
// A read that races a revocation must not cache what it read before it:
// every event bumps gen, and a read stores its result only if gen did not
// move while it ran.
type sessionCache struct {
	lru *lru.Cache[sessionKey, sessionState]
	gen atomic.Uint64
	// hits and misses are read by the metrics at scrape time.
	hits, misses atomic.Uint64
}

// sessionKey names a session; a struct rather than a joined string, so a
// lookup allocates nothing.
type sessionKey struct{ account, nonce string }

const defaultSessionCacheSize = 20_000

func newSessionCache(size int, feed *changes.Feed) *sessionCache {
	if size <= 0 {
		size = defaultSessionCacheSize
	}
	c, _ := lru.New[sessionKey, sessionState](size) // size > 0: no error
	sc := &sessionCache{lru: c}
	feed.Subscribe(func(ev changes.Event) {
		switch {
		case ev.Kind == changes.Sessions && ev.ID != "":
			sc.forget(sessionKey{ev.AccountID, ev.ID})
		case ev.Kind == changes.Sessions || ev.Kind == changes.All:
			sc.forgetAccount(ev.AccountID)
		}
	})
	return sc
}

// get returns the state of a session, read by load on a miss.
func (c *sessionCache) get(ctx context.Context, accountID, nonce string,
	load func(ctx context.Context, accountID, nonce string) (sessionState, error)) (sessionState, error) {
	key := sessionKey{accountID, nonce}
	if st, ok := c.lru.Get(key); ok {
		c.hits.Add(1)
		return st, nil
	}
	c.misses.Add(1)
	gen := c.gen.Load()
	st, err := load(ctx, accountID, nonce)
	if err != nil {
		return st, err
	}
	if c.gen.Load() == gen {
		c.lru.Add(key, st)
	}
	return st, nil
}

func (c *sessionCache) forget(key sessionKey) {
	c.gen.Add(1)
	c.lru.Remove(key)
}

// forgetAccount drops an account's sessions ("": everyone's).
func (c *sessionCache) forgetAccount(accountID string) {
	c.gen.Add(1)
	if accountID == "" {
		c.lru.Purge()
		return
	}
	for _, k := range c.lru.Keys() {
		if k.account == accountID {
			c.lru.Remove(k)
		}
	}
}
