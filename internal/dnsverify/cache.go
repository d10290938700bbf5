package dnsverify

import (
	"sync"
	"time"
)

// maxCacheTTL caps how long zone data is trusted, whatever its TTL says, so a
// re-delegated domain is picked up within the hour.
const maxCacheTTL = time.Hour

// maxCacheEntries bounds each cache; a sweep of many domains must not grow
// memory without limit.
const maxCacheEntries = 16384

// ttlCache is a small bounded map with per-entry expiry, safe for concurrent
// use. It holds zone cuts, NS sets and NS addresses: never TXT verdicts,
// which must always come fresh from the servers.
type ttlCache[V any] struct {
	mu    sync.Mutex
	limit int
	now   func() time.Time
	m     map[string]cacheEntry[V]
}

type cacheEntry[V any] struct {
	val     V
	expires time.Time
}

func newCache[V any](limit int, now func() time.Time) *ttlCache[V] {
	return &ttlCache[V]{limit: limit, now: now, m: make(map[string]cacheEntry[V])}
}

func (c *ttlCache[V]) get(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok {
		var zero V
		return zero, false
	}
	if !c.now().Before(e.expires) {
		delete(c.m, key)
		var zero V
		return zero, false
	}
	return e.val, true
}

// put stores val for min(ttl, maxCacheTTL); a zero TTL means "do not cache",
// as DNS intends.
func (c *ttlCache[V]) put(key string, val V, ttl time.Duration) {
	if ttl <= 0 {
		return
	}
	ttl = min(ttl, maxCacheTTL)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, exists := c.m[key]; !exists && len(c.m) >= c.limit {
		c.evictLocked()
	}
	c.m[key] = cacheEntry[V]{val: val, expires: c.now().Add(ttl)}
}

func (c *ttlCache[V]) remove(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, key)
}

// evictLocked drops expired entries, then, if the cache is still full, a
// quarter of it in map order (effectively random). Doing it in bulk keeps the
// O(n) sweep rare.
func (c *ttlCache[V]) evictLocked() {
	now := c.now()
	for k, e := range c.m {
		if !now.Before(e.expires) {
			delete(c.m, k)
		}
	}
	excess := len(c.m) - c.limit*3/4
	for k := range c.m {
		if excess <= 0 {
			break
		}
		delete(c.m, k)
		excess--
	}
}
