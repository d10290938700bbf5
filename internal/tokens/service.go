package tokens

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/audit"
	"github.com/ssogate/ssogate/internal/changes"
	"github.com/ssogate/ssogate/internal/ids"
	"github.com/ssogate/ssogate/internal/store"
)

// touchEvery bounds how often last_used_on is written for a busy token: a
// write per request would serialise every API call on SQLite's one writer.
const touchEvery = time.Minute

// Service is the token domain's entry point.
type Service struct {
	db        *store.DB
	log       *slog.Logger
	now       func() time.Time
	lastTouch sync.Map // token id → time.Time of the last last_used_on write
	cache     *authCache
	feed      *changes.Feed // nil: no other instance to tell
}

// AuthCacheTTL is how long an authenticated token is trusted without
// reading it again; a change made through another instance takes effect
// within this time.
const AuthCacheTTL = time.Second

// NewService returns a Service; now may be nil (time.Now).
func NewService(db *store.DB, log *slog.Logger, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	now = store.Clock(now)
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{db: db, log: log, now: now, cache: newAuthCache(AuthCacheTTL, 10000)}
}

// CacheStats are the authentication cache's hits and misses since start:
// a miss is a database read.
func (s *Service) CacheStats() (hits, misses uint64) {
	return s.cache.hits.Load(), s.cache.misses.Load()
}

// Authenticate implements api.Authenticator.
func (s *Service) Authenticate(ctx context.Context, secret string, ip netip.Addr) (*api.Principal, error) {
	hash := ids.HashToken(secret)
	t, ok := s.cache.get(hash, s.now())
	if !ok {
		gen := s.cache.generation()
		var err error
		t, err = findByHash(ctx, s.db, hash)
		if errors.Is(err, store.ErrNotFound) {
			return nil, api.InvalidToken("")
		}
		if err != nil {
			return nil, err
		}
		s.cache.put(hash, t, s.now(), gen)
	}
	if err := s.usable(ctx, t, ip); err != nil {
		return nil, err
	}
	s.touch(ctx, t.ID)
	return &api.Principal{TokenID: t.ID, TokenName: t.Name, AccountID: t.AccountID,
		Grants: grants{accountID: t.AccountID, policies: t.Policies}}, nil
}

// usable checks status, validity window and client IP. The holder proved
// they have the secret, so the refusal may say why; it is also audited.
func (s *Service) usable(ctx context.Context, t Token, ip netip.Addr) error {
	now := s.now()
	var refusal error
	switch {
	case t.Status == "disabled":
		refusal = api.InvalidToken("the token is disabled; re-enable it with PUT /accounts/{account_id}/tokens/{token_id} {\"status\":\"active\"}")
	case t.EffectiveStatus(now) == "expired":
		refusal = api.InvalidToken(fmt.Sprintf("the token expired on %s", t.ExpiresOn.Format(time.RFC3339)))
	case t.NotBefore != nil && now.Before(*t.NotBefore):
		refusal = api.InvalidToken(fmt.Sprintf("the token is not valid before %s", t.NotBefore.Format(time.RFC3339)))
	case !IPAllowed(t.Condition, ip):
		refusal = api.Errorf(http.StatusForbidden, api.CodeIPRestricted, "Cannot use the access token from location: %s", ip)
	default:
		return nil
	}
	ev := audit.Event{AccountID: t.AccountID, Action: "token_auth", Result: false, ResourceID: t.ID,
		ResourceType: "api_token", Actor: audit.Actor{ID: t.ID, Email: t.Name, IP: ip.String(), Type: "token", Interface: "API"},
		Metadata: map[string]any{"reason": refusal.Error()}}
	if err := audit.Record(ctx, s.db, ev); err != nil {
		s.log.Error("audit token refusal", "error", err)
	}
	return refusal
}

func (s *Service) touch(ctx context.Context, id string) {
	now := s.now()
	if last, ok := s.lastTouch.Load(id); ok && now.Sub(last.(time.Time)) < touchEvery {
		return
	}
	s.lastTouch.Store(id, now)
	if err := touch(ctx, s.db, id, now); err != nil {
		s.log.Warn("record token use", "token_id", id, "error", err)
	}
}

// Create makes a token for accountID from in, with a generated value.
// caller must itself hold every permission the new token is allowed (no
// escalation). The view returned carries the value, once.
func (s *Service) Create(ctx context.Context, accountID string, in Input, caller api.Grants) (View, error) {
	var v View
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		v, err = s.create(ctx, tx, accountID, in, caller, "")
		return err
	})
	return v, err
}

// CreateTx creates a token inside the caller's transaction, with no
// escalation check and an optional chosen value: for bootstrap and the admin
// commands that work on the database directly.
func (s *Service) CreateTx(ctx context.Context, q store.Querier, accountID string, in Input, value string) (View, error) {
	return s.create(ctx, q, accountID, in, nil, value)
}

func (s *Service) create(ctx context.Context, q store.Querier, accountID string, in Input, caller api.Grants, value string) (View, error) {
	now := s.now().UTC()
	t := Token{ID: ids.NewHex32(), AccountID: accountID, Status: "active", IssuedOn: now, ModifiedOn: now}
	if err := apply(&t, in, true, now); err != nil {
		return View{}, err
	}
	if err := checkEscalation(t, caller, "create"); err != nil {
		return View{}, err
	}
	if value == "" {
		value = ids.NewTokenValue()
	} else if !ids.WellFormedToken(value) {
		return View{}, api.Invalid("/value", "a token value must be 40 to 80 characters of A-Z a-z 0-9 _ -")
	}
	if err := insert(ctx, q, t, ids.HashToken(value)); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return View{}, api.Invalid("/value", "that token value is already in use; choose another")
		}
		return View{}, err
	}
	v := t.View(now)
	if err := audit.Record(ctx, q, audit.Event{AccountID: accountID, Action: "token_create", Result: true,
		ResourceID: t.ID, ResourceType: "api_token", NewValue: v}); err != nil {
		return View{}, err
	}
	v.Value = value
	return v, nil
}

// escalationRefusals say, per action, why a caller may not act on a token
// holding a group it lacks: a token it mints or edits would allow what it
// may not; rolling hands it the stronger token's secret; deleting lets it
// destroy, say, the Super Administrator's lock-out recovery token.
var escalationRefusals = map[string]string{
	"create": "a token cannot grant %q, which the token making the request does not hold",
	"update": "the token would hold %q, which the token making the request does not hold; " +
		"a token can only edit tokens within its own permissions",
	"roll": "the token holds %q, which the token making the request does not hold; " +
		"a token cannot roll a token stronger than itself (the new value would carry %[1]q)",
	"delete": "the token holds %q, which the token making the request does not hold; " +
		"a token cannot delete a token stronger than itself",
}

// checkEscalation refuses action on t when t allows a group caller does
// not hold. A nil caller is the bootstrap and admin commands: no check.
func checkEscalation(t Token, caller api.Grants, action string) error {
	if caller == nil {
		return nil
	}
	if g, ok := Beyond(t.Policies, t.AccountID, caller); ok {
		return api.Forbidden(fmt.Sprintf(escalationRefusals[action], g))
	}
	return nil
}

// Beyond returns the first group the allow policies grant that caller does
// not hold on accountID. Deny policies grant nothing, so they may name
// anything. A group is known by its id, as when a token is stored.
func Beyond(policies []Policy, accountID string, caller api.Grants) (string, bool) {
	for _, p := range policies {
		if p.Effect != "allow" {
			continue
		}
		for _, g := range p.PermissionGroups {
			name := g.Name
			if pg, ok := GroupByID(g.ID); ok {
				name = pg.Name
			}
			if !caller.Allows(name, accountID) {
				return name, true
			}
		}
	}
	return "", false
}

// Get returns one token of the account.
func (s *Service) Get(ctx context.Context, accountID, id string) (View, error) {
	t, err := get(ctx, s.db, accountID, id)
	if errors.Is(err, store.ErrNotFound) {
		return View{}, api.NotFound("API token %s was not found in this account", id)
	}
	return t.View(s.now()), err
}

// List returns a page of the account's tokens and the total.
func (s *Service) List(ctx context.Context, accountID string, desc bool, page api.Page) ([]View, int, error) {
	ts, total, err := list(ctx, s.db, accountID, desc, page.Offset(), page.PerPage)
	views := make([]View, len(ts))
	for i, t := range ts {
		views[i] = t.View(s.now())
	}
	return views, total, err
}

// Update merges in into the token.
func (s *Service) Update(ctx context.Context, accountID, id string, in Input, caller api.Grants) (View, error) {
	var out View
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		t, err := get(ctx, tx, accountID, id)
		if errors.Is(err, store.ErrNotFound) {
			return api.NotFound("API token %s was not found in this account", id)
		}
		if err != nil {
			return err
		}
		now := s.now().UTC()
		old := t.View(now)
		if err := apply(&t, in, false, now); err != nil {
			return err
		}
		if err := checkEscalation(t, caller, "update"); err != nil {
			return err
		}
		t.ModifiedOn = now
		if err := update(ctx, tx, t); err != nil {
			return err
		}
		out = t.View(now)
		if err := audit.Record(ctx, tx, audit.Event{AccountID: accountID, Action: "token_update", Result: true,
			ResourceID: id, ResourceType: "api_token", OldValue: old, NewValue: out}); err != nil {
			return err
		}
		return s.announce(ctx, tx, accountID, id)
	})
	s.cache.evict(id) // after the commit, so no reader can cache the old row again
	return out, err
}

// Roll replaces the token's secret and returns the new value; the old one
// stops working at once. Rolling hands the caller the token's secret, so
// the caller must hold every permission the token has (no escalation).
func (s *Service) Roll(ctx context.Context, accountID, id string, caller api.Grants) (string, error) {
	value := ids.NewTokenValue()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		t, err := get(ctx, tx, accountID, id)
		if errors.Is(err, store.ErrNotFound) {
			return api.NotFound("API token %s was not found in this account", id)
		}
		if err != nil {
			return err
		}
		if err := checkEscalation(t, caller, "roll"); err != nil {
			return err
		}
		err = setSecret(ctx, tx, accountID, id, ids.HashToken(value), s.now())
		if errors.Is(err, store.ErrNotFound) {
			return api.NotFound("API token %s was not found in this account", id)
		}
		if err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.Event{AccountID: accountID, Action: "token_roll", Result: true,
			ResourceID: id, ResourceType: "api_token"}); err != nil {
			return err
		}
		return s.announce(ctx, tx, accountID, id)
	})
	s.cache.evict(id)
	return value, err
}

// Delete removes the token. caller must hold every permission the token
// has (no escalation): otherwise an "Account API Tokens Write" token could
// destroy the Super Administrator's lock-out recovery token.
func (s *Service) Delete(ctx context.Context, accountID, id string, caller api.Grants) error {
	defer s.cache.evict(id)
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		t, err := get(ctx, tx, accountID, id)
		if errors.Is(err, store.ErrNotFound) {
			return api.NotFound("API token %s was not found in this account", id)
		}
		if err != nil {
			return err
		}
		if err := checkEscalation(t, caller, "delete"); err != nil {
			return err
		}
		err = remove(ctx, tx, accountID, id)
		if errors.Is(err, store.ErrNotFound) {
			return api.NotFound("API token %s was not found in this account", id)
		}
		if err != nil {
			return err
		}
		s.lastTouch.Delete(id)
		if err := audit.Record(ctx, tx, audit.Event{AccountID: accountID, Action: "token_delete", Result: true,
			ResourceID: id, ResourceType: "api_token"}); err != nil {
			return err
		}
		return s.announce(ctx, tx, accountID, id)
	})
}

// announce tells every instance, once tx commits, that the token changed:
// their authentication caches drop it at once.
func (s *Service) announce(ctx context.Context, tx *sql.Tx, accountID, id string) error {
	return s.feed.Publish(ctx, tx, changes.Event{Kind: changes.Tokens, AccountID: accountID, ID: id})
}

// SetFeed connects the service to the change feed: it announces token
// changes, and drops its cached copy of a token another instance changed
// (everything on All), so a disable or roll is enforced everywhere within
// a second even if AuthCacheTTL grows.
func (s *Service) SetFeed(f *changes.Feed) {
	s.feed = f
	f.Subscribe(func(ev changes.Event) {
		switch ev.Kind {
		case changes.Tokens:
			s.cache.evict(ev.ID)
		case changes.All:
			s.cache.clear()
		}
	})
}

// Verify returns the caller's own token for the verify endpoints.
func (s *Service) Verify(ctx context.Context, p *api.Principal) (View, error) {
	t, err := get(ctx, s.db, p.AccountID, p.TokenID)
	return t.View(s.now()), err
}
