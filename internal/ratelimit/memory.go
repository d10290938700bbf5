package ratelimit

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// Memory is a limiter in this process's memory: a table of at most MaxKeys
// keys in least-recently-used order. Used keys move to the front; when the
// table is full the key at the back is forgotten, one per new key, so a
// key that is being hammered (and so is always near the front) keeps its
// state however many other keys arrive. Keys whose wait is over are
// dropped from the back as the limiter is used, which is the expiry sweep.
type Memory struct {
	p   Policy
	now func() time.Time
	max int

	mu   sync.Mutex
	keys map[string]*list.Element // of *entry
	lru  *list.List               // front: used most recently
}

type entry struct {
	key string
	tat time.Time
}

// expiredPerUse is how many keys whose wait is over one use may drop: a
// small constant, so no attempt pays for a large sweep, yet more than one
// so that the table shrinks while traffic lasts.
const expiredPerUse = 2

// NewMemory returns a memory limiter for p.
func NewMemory(p Policy, o Options) *Memory {
	p.validate()
	o = o.withDefaults()
	return &Memory{p: p, now: o.Now, max: o.MaxKeys, keys: map[string]*list.Element{}, lru: list.New()}
}

// Take implements Limiter.
func (m *Memory) Take(_ context.Context, key string) (bool, time.Duration) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dropExpired(now)
	el := m.touch(key)
	var tat time.Time
	if el != nil {
		tat = el.Value.(*entry).tat
	}
	next, ok, retry := m.p.step(tat, now)
	if !ok {
		return false, retry
	}
	if el != nil {
		el.Value.(*entry).tat = next
		return true, 0
	}
	m.keys[key] = m.lru.PushFront(&entry{key: key, tat: next})
	for m.lru.Len() > m.max {
		m.remove(m.lru.Back())
	}
	return true, 0
}

// Check implements Limiter.
func (m *Memory) Check(_ context.Context, key string) (bool, time.Duration) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	el := m.touch(key)
	if el == nil {
		return true, 0
	}
	_, ok, retry := m.p.step(el.Value.(*entry).tat, now)
	return ok, retry
}

// Len is the number of keys held.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lru.Len()
}

// touch finds key and moves it to the front (nil: not held).
func (m *Memory) touch(key string) *list.Element {
	el, ok := m.keys[key]
	if !ok {
		return nil
	}
	m.lru.MoveToFront(el)
	return el
}

// dropExpired forgets up to expiredPerUse keys at the back whose wait is
// over: their state is the same as no state.
func (m *Memory) dropExpired(now time.Time) {
	for range expiredPerUse {
		el := m.lru.Back()
		if el == nil || el.Value.(*entry).tat.After(now) {
			return
		}
		m.remove(el)
	}
}

func (m *Memory) remove(el *list.Element) {
	m.lru.Remove(el)
	delete(m.keys, el.Value.(*entry).key)
}
