package keys

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/ssogate/ssogate/internal/audit"
	"github.com/ssogate/ssogate/internal/changes"
	"github.com/ssogate/ssogate/internal/secretbox"
	"github.com/ssogate/ssogate/internal/store"
)

// Options tunes a Manager. Zero fields take the defaults.
type Options struct {
	// RotateEvery is the age at which the current key is replaced.
	// Default 42 days (Cloudflare's six weeks).
	RotateEvery time.Duration
	// Overlap is how long a replaced key stays published and verifying.
	// Default 7 days; negative means it retires at once (a compromised key).
	Overlap time.Duration
	// RefreshEvery is how long an instance trusts its in-memory view of an
	// account's keys before rereading them. Default 30 seconds.
	RefreshEvery time.Duration
	// CacheSize bounds VerifyCached's cache. Default 10,000 tokens.
	CacheSize int
}

const (
	defaultRotateEvery  = 42 * 24 * time.Hour
	defaultOverlap      = 7 * 24 * time.Hour
	defaultRefreshEvery = 30 * time.Second
	defaultCacheSize    = 10000
	// unknownKidReload is the least time between two rereads caused by
	// tokens naming kids we do not know.
	unknownKidReload = time.Second
	// changeAttempts bounds retries after losing a race to another instance.
	changeAttempts = 4
)

// Manager creates, rotates and publishes signing keys and signs and
// verifies tokens with them. It is safe for concurrent use; several
// instances may share one database.
type Manager struct {
	db    *store.DB
	box   *secretbox.Box
	now   func() time.Time
	opts  Options
	cache *VerifiedCache

	mu       sync.RWMutex
	accounts map[string]*view
	states   map[string]*keyState // by kid: every key of a current view
	flights  map[string]*flight
	reloaded map[string]time.Time // account → last reread caused by an unknown kid

	// feed announces this instance's key changes and brings other
	// instances' (nil: none, as in unit tests).
	feed *changes.Feed

	// hook, when set by a test, runs at the named stages of a key change
	// ("generated": before the transaction; "read": inside it, after the
	// current key was read), so tests can line instances up on the race.
	hook func(stage string)
}

// view is an instance's picture of one account's unretired keys.
type view struct {
	loaded time.Time
	keys   []*keyState // newest first, the current key (if any) first of all
	// rotateEvery is the account's rotation interval: its own setting,
	// else the instance default.
	rotateEvery time.Duration
}

func (v *view) current() *keyState {
	for _, k := range v.keys {
		if k.current() {
			return k
		}
	}
	return nil
}

func (v *view) find(kid string, now time.Time) *keyState {
	us := store.Micros(now)
	for _, k := range v.keys {
		if k.kid == kid && k.publishedAt(us) {
			return k
		}
	}
	return nil
}

// flight is a first-use or scheduled key change in progress on this
// instance, so concurrent requests wait for one RSA generation.
type flight struct {
	done chan struct{}
	key  *keyState
	err  error
}

// NewManager returns a Manager. box opens and seals private keys; now is
// the clock (time.Now in production).
func NewManager(db *store.DB, box *secretbox.Box, now func() time.Time, opts Options) *Manager {
	if now == nil {
		now = time.Now
	}
	if opts.RotateEvery <= 0 {
		opts.RotateEvery = defaultRotateEvery
	}
	switch {
	case opts.Overlap == 0:
		opts.Overlap = defaultOverlap
	case opts.Overlap < 0:
		opts.Overlap = 0
	}
	if opts.RefreshEvery <= 0 {
		opts.RefreshEvery = defaultRefreshEvery
	}
	if opts.CacheSize <= 0 {
		opts.CacheSize = defaultCacheSize
	}
	return &Manager{db: db, box: box, now: store.Clock(now), opts: opts,
		cache:    NewVerifiedCache(opts.CacheSize),
		accounts: map[string]*view{}, states: map[string]*keyState{}, flights: map[string]*flight{},
		reloaded: map[string]time.Time{}}
}

// maxReloadTracked bounds the unknown-kid rate limiter's memory.
const maxReloadTracked = 10000

// SetFeed makes the manager announce its key changes on the change feed
// and forget an account's keys when another instance changes them, so a
// rotation reaches every instance's certs and verifier within a second
// instead of RefreshEvery.
func (m *Manager) SetFeed(f *changes.Feed) {
	m.feed = f
	f.Subscribe(func(ev changes.Event) {
		switch ev.Kind {
		case changes.Keys:
			m.forget(ev.AccountID)
		case changes.All:
			m.forget("")
		}
	})
}

// forget drops the in-memory view of an account's keys (every account's
// when accountID is empty); the next use rereads them. Opened private keys
// stay in states, so nothing is decrypted again.
func (m *Manager) forget(accountID string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if accountID == "" {
		clear(m.accounts)
		return
	}
	delete(m.accounts, accountID)
}

// Current returns the account's signing key, creating it on first use and
// rotating it when it is RotateEvery old. It fails when the private key
// cannot be decrypted, so a wrong secretbox key is reported here, not as
// tokens nobody can verify.
func (m *Manager) Current(ctx context.Context, accountID string) (Key, error) {
	k, err := m.ensureCurrent(ctx, accountID)
	if err != nil {
		return Key{}, err
	}
	if _, err := k.signerFor(m.box); err != nil {
		return Key{}, err
	}
	return k.snapshot(), nil
}

// Rotate replaces the account's current key now. The replaced key stays
// published until now+Overlap. The rotation is audited as
// "access_key_rotate" in the same transaction, with the context's actor.
// Every call rotates: two concurrent calls make two rotations. Unlike a
// scheduled rotation it works when the current key cannot be decrypted,
// which is the way out after the secretbox key was lost.
func (m *Manager) Rotate(ctx context.Context, accountID string) (Key, error) {
	k, err := m.change(ctx, accountID, modeManual, "")
	if err != nil {
		return Key{}, err
	}
	return k.snapshot(), nil
}

// SetRotationInterval sets the account's own key rotation interval, in the
// audit log as "access_key_settings_update", and rereads the account's
// keys so this instance applies it at once (others when the change feed
// tells them, within a second).
func (m *Manager) SetRotationInterval(ctx context.Context, accountID string, days int) error {
	err := m.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO access_key_settings (account_id, rotate_every_days) VALUES ($1,$2)
			ON CONFLICT (account_id) DO UPDATE SET rotate_every_days = excluded.rotate_every_days`, accountID, days); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.Event{AccountID: accountID, Action: "access_key_settings_update", Result: true,
			ResourceType: "access_keys", NewValue: map[string]int{"key_rotation_interval_days": days}}); err != nil {
			return err
		}
		return m.feed.Publish(ctx, tx, changes.Event{Kind: changes.Keys, AccountID: accountID})
	})
	if err != nil {
		return err
	}
	_, err = m.view(ctx, accountID, true)
	return err
}

// Published returns the keys origins may verify against: the current key
// and every replaced key not yet retired, newest first. It creates the
// first key and performs a due rotation, like Current.
func (m *Manager) Published(ctx context.Context, accountID string) ([]Key, error) {
	if _, err := m.ensureCurrent(ctx, accountID); err != nil {
		return nil, err
	}
	v, err := m.view(ctx, accountID, false)
	if err != nil {
		return nil, err
	}
	us := store.Micros(m.now())
	var out []Key
	for _, k := range v.keys {
		if k.publishedAt(us) {
			out = append(out, k.snapshot())
		}
	}
	return out, nil
}

// ensureCurrent returns the current key, creating or rotating it as due.
func (m *Manager) ensureCurrent(ctx context.Context, accountID string) (*keyState, error) {
	v, err := m.view(ctx, accountID, false)
	if err != nil {
		return nil, err
	}
	cur := v.current()
	switch {
	case cur == nil:
		return m.autoChange(ctx, accountID, modeFirst, "")
	case !m.now().Before(cur.created.Add(v.rotateEvery)):
		// An instance that cannot open the current key has the wrong
		// secretbox key; letting it rotate would leave the account with a
		// key no other instance can use.
		if _, err := cur.signerFor(m.box); err != nil {
			return nil, fmt.Errorf("scheduled rotation refused: %w", err)
		}
		return m.autoChange(ctx, accountID, modeScheduled, cur.kid)
	}
	return cur, nil
}

// autoChange runs a first-use or scheduled change once per instance and
// account, however many requests ask for it at the same moment.
func (m *Manager) autoChange(ctx context.Context, accountID string, mode changeMode, expect string) (*keyState, error) {
	m.mu.Lock()
	if f, ok := m.flights[accountID]; ok {
		m.mu.Unlock()
		select {
		case <-f.done:
			return f.key, f.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f := &flight{done: make(chan struct{})}
	m.flights[accountID] = f
	m.mu.Unlock()

	f.key, f.err = m.change(context.WithoutCancel(ctx), accountID, mode, expect)
	m.mu.Lock()
	delete(m.flights, accountID)
	m.mu.Unlock()
	close(f.done)
	return f.key, f.err
}

// change generates a key and applies mode in a transaction, retrying when
// another instance got there first, then returns the account's current key
// as the database now has it.
func (m *Manager) change(ctx context.Context, accountID string, mode changeMode, expect string) (*keyState, error) {
	now := m.now()
	mat, err := newMaterial(m.box, accountID, now)
	if err != nil {
		return nil, err
	}
	m.runHook("generated")
	for attempt := 1; ; attempt++ {
		err = m.db.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := changeTx(ctx, tx, accountID, mode, expect, mat, now, m.opts.Overlap, m.runHook); err != nil {
				return err
			}
			return m.feed.Publish(ctx, tx, changes.Event{Kind: changes.Keys, AccountID: accountID})
		})
		if !errors.Is(err, errLostRace) && !errors.Is(err, store.ErrConflict) {
			break
		}
		if attempt == changeAttempts {
			return nil, fmt.Errorf("change access key of account %s: %w", accountID, err)
		}
		// Retry: a first-use or scheduled change then finds the winner's key
		// and stops; a manual rotation rotates the winner's key.
	}
	if err != nil {
		return nil, err
	}
	if _, err := mat.state.setSigner(mat.priv); err != nil {
		return nil, err
	}
	v, err := m.load(ctx, accountID, mat.state)
	if err != nil {
		return nil, err
	}
	if cur := v.current(); cur != nil {
		return cur, nil
	}
	return nil, fmt.Errorf("account %s has no current access key after a key change", accountID)
}

func (m *Manager) runHook(stage string) {
	if m.hook != nil {
		m.hook(stage)
	}
}

// view returns the account's keys as this instance knows them, rereading
// them when the picture is older than RefreshEvery or force is set.
func (m *Manager) view(ctx context.Context, accountID string, force bool) (*view, error) {
	now := m.now()
	m.mu.RLock()
	v := m.accounts[accountID]
	m.mu.RUnlock()
	if v != nil && !force && now.Sub(v.loaded) < m.opts.RefreshEvery && !now.Before(v.loaded) {
		return v, nil
	}
	return m.load(ctx, accountID, nil)
}

// load rereads the account's keys; fresh is a key this instance just made
// (its private key already open). Each kid has one state per Manager, kept
// while the key is published, so the opened private key survives rereads
// and every cached token sees its key retire.
func (m *Manager) load(ctx context.Context, accountID string, fresh *keyState) (*view, error) {
	now := m.now()
	rows, err := loadRows(ctx, m.db, accountID, now)
	if err != nil {
		return nil, err
	}
	every, err := loadRotateEvery(ctx, m.db, accountID, m.opts.RotateEvery)
	if err != nil {
		return nil, err
	}
	parsed, err := m.parseUnknown(accountID, rows, fresh)
	if err != nil {
		return nil, err
	}
	v := &view{loaded: now, rotateEvery: every}
	m.mu.Lock()
	defer m.mu.Unlock()
	listed := map[string]bool{}
	for _, r := range rows {
		k := m.states[r.kid]
		if k == nil {
			if k = parsed[r.kid]; k == nil { // dropped by a concurrent load since parseUnknown
				if k, err = stateOf(accountID, r); err != nil {
					return nil, err
				}
			}
			m.states[r.kid] = k
		}
		listed[r.kid] = true
		// Rotation times go from NULL to a value once and never back, so a
		// read that started before a rotation must not undo what a later
		// one recorded.
		k.rotatedOn.CompareAndSwap(0, r.rotated.Int64)
		k.retireOn.CompareAndSwap(0, r.retire.Int64)
		v.keys = append(v.keys, k)
	}
	sort.SliceStable(v.keys, func(i, j int) bool {
		a, b := v.keys[i], v.keys[j]
		if a.current() != b.current() {
			return a.current()
		}
		return a.created.After(b.created)
	})
	old := m.accounts[accountID]
	if old != nil && old.loaded.After(now) {
		return v, nil // a newer read finished first; keep it
	}
	if old != nil {
		// Keys the database no longer lists have retired; cached tokens
		// still point at their states, so mark them before letting go.
		us := store.Micros(now)
		for _, k := range old.keys {
			if !listed[k.kid] {
				if r := k.retireOn.Load(); r == 0 || r > us {
					k.retireOn.Store(us)
				}
				delete(m.states, k.kid)
			}
		}
	}
	m.accounts[accountID] = v
	return v, nil
}

// parseUnknown builds states for the rows this Manager has none for yet,
// outside the lock: parsing hashes and checks every key.
func (m *Manager) parseUnknown(accountID string, rows []row, fresh *keyState) (map[string]*keyState, error) {
	var unknown []row
	m.mu.RLock()
	for _, r := range rows {
		if m.states[r.kid] == nil {
			unknown = append(unknown, r)
		}
	}
	m.mu.RUnlock()
	parsed := map[string]*keyState{}
	for _, r := range unknown {
		if fresh != nil && fresh.kid == r.kid {
			parsed[r.kid] = fresh
			continue
		}
		k, err := stateOf(accountID, r)
		if err != nil {
			return nil, err
		}
		parsed[r.kid] = k
	}
	return parsed, nil
}

func stateOf(accountID string, r row) (*keyState, error) {
	pub, jwk, err := parsePublic(r.kid, r.jwk)
	if err != nil {
		return nil, err
	}
	return &keyState{kid: r.kid, accountID: accountID, pub: pub, jwk: jwk, certPEM: r.cert,
		created: store.FromMicros(r.created), sealed: r.sealed}, nil
}
