package dashboard

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter is a set of token buckets by key (an email, a client address).
// It lives in memory: with several instances each enforces its own share,
// which still bounds guessing to a small multiple of the single-instance
// rate.
type limiter struct {
	mu      sync.Mutex
	every   time.Duration
	burst   int
	buckets map[string]*rate.Limiter
}

// maxBuckets bounds memory under a spray of keys; full buckets (keys not
// seen for burst*every) are dropped first, and as a last resort all.
const maxBuckets = 100_000

func newLimiter(every time.Duration, burst int) *limiter {
	return &limiter{every: every, burst: burst, buckets: map[string]*rate.Limiter{}}
}

// take spends one attempt for key at now. When none is left it returns
// false and how long until the next.
func (l *limiter) take(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			l.prune(now)
		}
		b = rate.NewLimiter(rate.Every(l.every), l.burst)
		l.buckets[key] = b
	}
	if b.AllowN(now, 1) {
		return true, 0
	}
	missing := 1 - b.TokensAt(now)
	return false, time.Duration(missing * float64(l.every))
}

func (l *limiter) prune(now time.Time) {
	for k, b := range l.buckets {
		if b.TokensAt(now) >= float64(l.burst) {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= maxBuckets {
		clear(l.buckets)
	}
}
