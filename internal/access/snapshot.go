package access

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ssogate/ssogate/internal/changes"
	"github.com/ssogate/ssogate/internal/store"
)

// Snapshot serves what every gateway and team-domain request reads —
// which application protects a host and path, an application by its AUD,
// an account's organization, an organization by its team domain — from
// memory, so an admitted request costs no database round trip.
//
// It is one immutable view of every account's organization, applications
// (with their policies) and service tokens, swapped atomically. The change
// feed keeps it true: an Access event marks its account dirty, All (a
// reconnection, the periodic safety net) marks everything dirty; the next
// request that reads it reloads what is dirty first — one account's rows,
// or everything — while other readers wait for that reload rather than
// see the old view. So a change is visible on this instance as soon as
// its transaction commits (the event is delivered before the writer's
// request returns) and on every other instance as soon as the
// notification arrives; and a reader never caches what it read before a
// change it has not yet heard of, because a change heard during a reload
// leaves the view dirty.
//
// The views it returns are shared: callers must not modify them.
type Snapshot struct {
	svc *Service

	view  atomic.Pointer[view]
	clean atomic.Bool // no change heard since view was built

	mu    sync.Mutex      // guards dirty and all
	dirty map[string]bool // accounts changed since view was built
	all   bool            // everything may have changed

	reload sync.Mutex // one reload at a time; readers of a dirty view wait

	seen lastSeen // service tokens' last use, recorded at most once a minute
}

// view is one consistent picture, indexed for the lookups.
type view struct {
	accounts    map[string]*accountView
	byHost      map[string][]*App // self-hosted apps by host, longest domain first
	byAUD       map[string]*App
	orgByDomain map[string]*Organization
	byClientID  map[string]*ServiceToken
}

// accountView is what one account contributes.
type accountView struct {
	org    *Organization // nil: no Access organization
	apps   []*App
	tokens []*ServiceToken
}

// NewSnapshot returns the snapshot of svc's configuration, kept current by
// feed (nil: the process's own writes only reach it through Invalidate).
func NewSnapshot(svc *Service, feed *changes.Feed) *Snapshot {
	s := &Snapshot{svc: svc, dirty: map[string]bool{}, all: true}
	feed.Subscribe(func(ev changes.Event) {
		switch ev.Kind {
		case changes.Access:
			s.Invalidate(ev.AccountID)
		case changes.All:
			s.Invalidate("")
		}
	})
	return s
}

// Invalidate marks an account's configuration changed ("" for every
// account): the next read reloads it.
func (s *Snapshot) Invalidate(accountID string) {
	s.mu.Lock()
	if accountID == "" {
		s.all = true
	} else {
		s.dirty[accountID] = true
	}
	s.clean.Store(false)
	s.mu.Unlock()
}

// current returns the view, reloading what changed first.
func (s *Snapshot) current(ctx context.Context) (*view, error) {
	if s.clean.Load() {
		return s.view.Load(), nil
	}
	s.reload.Lock()
	defer s.reload.Unlock()
	if s.clean.Load() { // another reader reloaded while this one waited
		return s.view.Load(), nil
	}
	s.mu.Lock()
	dirty, all := s.dirty, s.all
	s.dirty, s.all = map[string]bool{}, false
	s.mu.Unlock()

	v, err := s.build(ctx, s.view.Load(), dirty, all)
	if err != nil {
		s.mu.Lock() // hand the work back to the next reader
		s.all = s.all || all
		for id := range dirty {
			s.dirty[id] = true
		}
		s.mu.Unlock()
		return nil, err
	}
	s.view.Store(v)
	s.mu.Lock()
	// A change heard during the reload may have been read or not: only a
	// reload that began after it can say, so the view stays dirty.
	s.clean.Store(len(s.dirty) == 0 && !s.all)
	s.mu.Unlock()
	return v, nil
}

// build loads what changed and indexes the result: everything when all
// (or on the first read), else the dirty accounts over the old view.
func (s *Snapshot) build(ctx context.Context, old *view, dirty map[string]bool, all bool) (*view, error) {
	var accounts map[string]*accountView
	if all || old == nil {
		loaded, err := s.svc.loadAccounts(ctx, "")
		if err != nil {
			return nil, err
		}
		accounts = loaded
	} else {
		accounts = make(map[string]*accountView, len(old.accounts)+len(dirty))
		for id, av := range old.accounts {
			if !dirty[id] {
				accounts[id] = av
			}
		}
		for id := range dirty {
			loaded, err := s.svc.loadAccounts(ctx, id)
			if err != nil {
				return nil, err
			}
			if av := loaded[id]; av != nil {
				accounts[id] = av
			}
		}
	}
	return index(accounts), nil
}

// index builds the lookup maps of a set of accounts.
func index(accounts map[string]*accountView) *view {
	v := &view{accounts: accounts, byHost: map[string][]*App{}, byAUD: map[string]*App{},
		orgByDomain: map[string]*Organization{}, byClientID: map[string]*ServiceToken{}}
	for _, av := range accounts {
		if av.org != nil {
			v.orgByDomain[av.org.AuthDomain] = av.org
		}
		for _, t := range av.tokens {
			v.byClientID[t.ClientID] = t
		}
		for _, a := range av.apps {
			v.byAUD[a.AUD] = a
			if a.Type == TypeSelfHosted {
				host := AppHost(a.Domain)
				v.byHost[host] = append(v.byHost[host], a)
			}
		}
	}
	for _, apps := range v.byHost {
		slices.SortFunc(apps, func(a, b *App) int { return len(b.Domain) - len(a.Domain) })
	}
	return v
}

// AppForHost is the self-hosted application that protects host and path:
// the one whose domain is the host, or the host and the longest matching
// path prefix. An empty path matches any path (the gateway's own
// /cdn-cgi/access/ endpoints). nil when none does.
func (s *Snapshot) AppForHost(ctx context.Context, host, path string) (*App, error) {
	v, err := s.current(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range v.byHost[host] { // longest domain first
		_, prefix, _ := strings.Cut(a.Domain, "/")
		if prefix == "" || path == "" || path == "/"+prefix || strings.HasPrefix(path, "/"+prefix+"/") {
			return a, nil
		}
	}
	return nil, nil
}

// AppByAUD finds an application by its audience tag, in any account
// (store.ErrNotFound when none has it).
func (s *Snapshot) AppByAUD(ctx context.Context, aud string) (*App, error) {
	v, err := s.current(ctx)
	if err != nil {
		return nil, err
	}
	if a := v.byAUD[aud]; a != nil {
		return a, nil
	}
	return nil, store.ErrNotFound
}

// AppOfType is the account's application of a singleton type (app_launcher,
// dash_sso), or nil when there is none.
func (s *Snapshot) AppOfType(ctx context.Context, accountID, typ string) (*App, error) {
	v, err := s.current(ctx)
	if err != nil {
		return nil, err
	}
	if av := v.accounts[accountID]; av != nil {
		for _, a := range av.apps { // in creation order, as the query's LIMIT 1
			if a.Type == typ {
				return a, nil
			}
		}
	}
	return nil, nil
}

// Apps are the account's applications, in creation order.
func (s *Snapshot) Apps(ctx context.Context, accountID string) ([]*App, error) {
	v, err := s.current(ctx)
	if err != nil || v.accounts[accountID] == nil {
		return nil, err
	}
	return v.accounts[accountID].apps, nil
}

// Organization is the account's organization (store.ErrNotFound when it
// has none).
func (s *Snapshot) Organization(ctx context.Context, accountID string) (*Organization, error) {
	v, err := s.current(ctx)
	if err != nil {
		return nil, err
	}
	if av := v.accounts[accountID]; av != nil && av.org != nil {
		return av.org, nil
	}
	return nil, store.ErrNotFound
}

// OrganizationByDomain is the organization a team domain belongs to
// (store.ErrNotFound when none).
func (s *Snapshot) OrganizationByDomain(ctx context.Context, authDomain string) (*Organization, error) {
	v, err := s.current(ctx)
	if err != nil {
		return nil, err
	}
	if o := v.orgByDomain[strings.ToLower(authDomain)]; o != nil {
		return o, nil
	}
	return nil, store.ErrNotFound
}

// loadAccounts reads the organizations, applications (with their
// policies) and service tokens of one account, or of every account when
// accountID is "", in four queries whatever their number.
func (s *Service) loadAccounts(ctx context.Context, accountID string) (map[string]*accountView, error) {
	where, args := "", []any{}
	if accountID != "" {
		where, args = " WHERE account_id=$1", []any{accountID}
	}
	out := map[string]*accountView{}
	get := func(id string) *accountView {
		if out[id] == nil {
			out[id] = &accountView{}
		}
		return out[id]
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+orgColumns+` FROM access_organizations`+where, args...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		get(o.AccountID).org = &o
	}
	if err := closeRows(rows); err != nil {
		return nil, err
	}
	byID := map[string]*App{}
	rows, err = s.db.QueryContext(ctx, `SELECT `+appColumns+`, tokens_revoked_on FROM access_apps`+where+
		` ORDER BY created_on, id`, args...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		a, err := scanApp(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		a.Policies = []Policy{}
		byID[a.ID] = &a
		av := get(a.AccountID)
		av.apps = append(av.apps, &a)
	}
	if err := closeRows(rows); err != nil {
		return nil, err
	}
	tokens, err := listServiceTokens(ctx, s.db, accountID)
	if err != nil {
		return nil, err
	}
	for i := range tokens {
		av := get(tokens[i].AccountID)
		av.tokens = append(av.tokens, &tokens[i])
	}
	return out, s.loadLinkedPolicies(ctx, accountID, byID)
}

// loadLinkedPolicies fills in each application's policies, in precedence
// order, as AppPolicies reads them.
func (s *Service) loadLinkedPolicies(ctx context.Context, accountID string, apps map[string]*App) error {
	where, args := "", []any{}
	if accountID != "" {
		where, args = " WHERE p.account_id=$1", []any{accountID}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+policyColumns+`, 0, l.precedence, l.app_id
		FROM access_app_policies l JOIN access_policies p ON p.id = l.policy_id`+where+
		` ORDER BY l.app_id, l.precedence`, args...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var count, precedence int
		var appID string
		p, err := scanPolicy(rows, &count, &precedence, &appID)
		if err != nil {
			rows.Close()
			return err
		}
		p.AppCount, p.Precedence = count, precedence
		if a := apps[appID]; a != nil {
			a.Policies = append(a.Policies, p)
		}
	}
	return closeRows(rows)
}

func closeRows(rows interface {
	Err() error
	Close() error
}) error {
	err := rows.Err()
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	return err
}
