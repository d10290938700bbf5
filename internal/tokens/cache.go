package tokens

import (
	"sync"
	"sync/atomic"
	"time"
)

// authCache keeps recently authenticated tokens for a short time, keyed by
// the secret's hash, so a busy client does not cost a database lookup and a
// policy decode on every request (together about two thirds of a cached
// GET; docs/benchmarks.md). Changes made through this instance (update,
// roll, delete) evict the token at once; a change made through another
// instance is seen within ttl. Unknown secrets are never cached, so
// guessing cannot fill the cache.
type authCache struct {
	ttl     time.Duration
	max     int
	mu      sync.Mutex
	entries map[string]cachedToken // secret hash → token
	// gen counts evictions: a reader that looked the token up before an
	// eviction must not store what it read after it (put with a stale gen).
	gen uint64
	// hits and misses count lookups, for the metrics.
	hits, misses atomic.Uint64
}

type cachedToken struct {
	token   Token
	fetched time.Time
}

func newAuthCache(ttl time.Duration, max int) *authCache {
	return &authCache{ttl: ttl, max: max, entries: make(map[string]cachedToken)}
}

func (c *authCache) get(hash string, now time.Time) (Token, bool) {
	if c.ttl <= 0 {
		return Token{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[hash]
	if !ok || now.Sub(e.fetched) >= c.ttl || now.Before(e.fetched) {
		c.misses.Add(1)
		return Token{}, false
	}
	c.hits.Add(1)
	return e.token, true
}

// generation returns the eviction counter to pass to put.
func (c *authCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *authCache) put(hash string, t Token, now time.Time, gen uint64) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return // an eviction happened while the caller was reading
	}
	if len(c.entries) >= c.max {
		for k := range c.entries { // map order is random: a cheap random eviction
			delete(c.entries, k)
			break
		}
	}
	c.entries[hash] = cachedToken{token: t, fetched: now}
}

// evict forgets every entry of the token id.
func (c *authCache) evict(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for k, e := range c.entries {
		if e.token.ID == id {
			delete(c.entries, k)
		}
	}
}

// clear forgets every entry.
func (c *authCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.entries)
}
