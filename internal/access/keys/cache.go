package keys

import (
	"sync"
	"sync/atomic"
	"time"
)

// maxCacheTrust bounds how long a cached verification is reused, so a
// rotation done by another instance (learnt on the next reread of the
// account's keys) reaches cached tokens too.
const maxCacheTrust = 5 * time.Minute

// maxCachedToken keeps oversized tokens out of the cache: the key is the
// token itself, and a token that large is not ours anyway.
const maxCachedToken = 8 << 10

// VerifiedCache remembers tokens whose signature verified, with their
// claims, so a token presented on every request is checked with RSA once.
// It holds at most its size; an entry is dropped at the token's exp, after
// five minutes, or when its key leaves the certs document, whichever comes
// first. When full it evicts expired entries and then random ones (Go's
// map iteration order), which needs no bookkeeping on the hit path.
type VerifiedCache struct {
	mu      sync.RWMutex
	max     int
	entries map[string]*cacheEntry // by token
	// hits and misses count lookups, for the metrics: a miss is an RSA
	// verification.
	hits, misses atomic.Uint64
}

type cacheEntry struct {
	accountID string
	claims    Claims
	until     int64 // unix micros
	key       *keyState
}

// NewVerifiedCache returns an empty cache holding at most size tokens.
func NewVerifiedCache(size int) *VerifiedCache {
	if size < 1 {
		size = 1
	}
	return &VerifiedCache{max: size, entries: make(map[string]*cacheEntry)}
}

// Stats returns the cache's hits and misses since it was made.
func (c *VerifiedCache) Stats() (hits, misses uint64) { return c.hits.Load(), c.misses.Load() }

// Len returns the number of cached tokens.
func (c *VerifiedCache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}

func (c *VerifiedCache) get(accountID, token string, now time.Time) (Claims, bool) {
	c.mu.RLock()
	e := c.entries[token]
	c.mu.RUnlock()
	if e == nil || e.accountID != accountID {
		c.misses.Add(1)
		return Claims{}, false
	}
	us := now.UnixMicro()
	if us >= e.until || !e.key.publishedAt(us) {
		c.mu.Lock()
		if c.entries[token] == e {
			delete(c.entries, token)
		}
		c.mu.Unlock()
		c.misses.Add(1)
		return Claims{}, false
	}
	c.hits.Add(1)
	return e.claims, true
}

func (c *VerifiedCache) put(accountID, token string, claims Claims, k *keyState, now time.Time) {
	if claims.Expiry == 0 || len(token) > maxCachedToken {
		return
	}
	us := now.UnixMicro()
	until := min(claims.Expiry*1e6, now.Add(maxCacheTrust).UnixMicro())
	if until <= us {
		return
	}
	e := &cacheEntry{accountID: accountID, claims: claims, until: until, key: k}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[token]; !ok && len(c.entries) >= c.max {
		c.evict(us)
	}
	c.entries[token] = e
}

// evict makes room for one entry: expired entries among a sample first,
// then whatever the randomised iteration offers. Callers hold mu.
func (c *VerifiedCache) evict(us int64) {
	const sample = 32
	n, victim := 0, ""
	for tok, e := range c.entries {
		if us >= e.until || !e.key.publishedAt(us) {
			delete(c.entries, tok)
		} else if victim == "" {
			victim = tok
		}
		if n++; n == sample {
			break
		}
	}
	if len(c.entries) >= c.max && victim != "" {
		delete(c.entries, victim)
	}
}
