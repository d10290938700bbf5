package refop

import (
	"errors"
	"time"
)

// errFull is returned when a store is at capacity even after dropping its
// expired entries: a flood of abandoned logins must not grow memory without
// bound.
var errFull = errors.New("refop: too many pending entries")

// sweepEvery bounds how often put walks the whole map; between walks an
// expired entry is still never returned, because get checks its deadline.
const sweepEvery = 30 * time.Second

type entry[V any] struct {
	value   V
	expires time.Time
}

// expiring is a map whose entries lapse at a deadline and whose size is
// capped. It is not safe for concurrent use: the storage lock guards it, so
// that related entries (an auth request and its code) change together.
type expiring[V any] struct {
	max       int
	entries   map[string]entry[V]
	lastSweep time.Time
}

func newExpiring[V any](max int) *expiring[V] {
	return &expiring[V]{max: max, entries: make(map[string]entry[V])}
}

func (m *expiring[V]) put(now time.Time, key string, value V, ttl time.Duration) error {
	if _, replacing := m.entries[key]; !replacing {
		if len(m.entries) >= m.max || now.Sub(m.lastSweep) >= sweepEvery {
			m.sweep(now)
		}
		if len(m.entries) >= m.max {
			return errFull
		}
	}
	m.entries[key] = entry[V]{value: value, expires: now.Add(ttl)}
	return nil
}

func (m *expiring[V]) get(now time.Time, key string) (V, bool) {
	e, ok := m.entries[key]
	if !ok || !now.Before(e.expires) {
		delete(m.entries, key)
		var zero V
		return zero, false
	}
	return e.value, true
}

func (m *expiring[V]) del(key string) { delete(m.entries, key) }

func (m *expiring[V]) sweep(now time.Time) {
	for k, e := range m.entries {
		if !now.Before(e.expires) {
			delete(m.entries, k)
		}
	}
	m.lastSweep = now
}

// each calls fn for every live entry; fn may delete the entry it is given.
func (m *expiring[V]) each(now time.Time, fn func(key string, value V)) {
	for k, e := range m.entries {
		if now.Before(e.expires) {
			fn(k, e.value)
		}
	}
}
