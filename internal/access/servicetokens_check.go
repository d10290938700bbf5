package access

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ssogate/ssogate/internal/access/policy"
	"github.com/ssogate/ssogate/internal/ids"
	"github.com/ssogate/ssogate/internal/store"
)

// Why CheckServiceToken refused a token. Each names a reason a client may
// be told in a header-safe word (ServiceTokenReason).
var (
	// ErrServiceTokenUnknown: no token of the account has this client id
	// (never created, deleted, or another account's).
	ErrServiceTokenUnknown = errors.New("access: unknown service token")
	// ErrServiceTokenSecret: the client id is known, the secret is not its
	// current one (nor a previous one still in its grace period).
	ErrServiceTokenSecret = errors.New("access: wrong service token secret")
	// ErrServiceTokenExpired: the secret is right, the token has expired
	// (refresh it).
	ErrServiceTokenExpired = errors.New("access: service token expired")
)

// ServiceTokenReason is a short token for a refusal, safe in a header or a
// log line: "unknown_token", "invalid_secret", "expired_token", else "".
func ServiceTokenReason(err error) string {
	switch {
	case errors.Is(err, ErrServiceTokenUnknown):
		return "unknown_token"
	case errors.Is(err, ErrServiceTokenSecret):
		return "invalid_secret"
	case errors.Is(err, ErrServiceTokenExpired):
		return "expired_token"
	}
	return ""
}

// Service-token request headers, as Cloudflare names them.
const (
	HeaderClientID     = "Cf-Access-Client-Id"
	HeaderClientSecret = "Cf-Access-Client-Secret"
)

// ServiceTokenCredentials reads the client id and secret a request
// presents: from the application's read_service_tokens_from_header when it
// names one (its value a JSON object {"cf-access-client-id": …,
// "cf-access-client-secret": …}), else from CF-Access-Client-Id and
// CF-Access-Client-Secret. ok is false when the request presents none; a
// request that presents only half, or a malformed single header, gives
// ok true with an empty part, which CheckServiceToken refuses.
func ServiceTokenCredentials(h http.Header, singleHeader string) (clientID, secret string, ok bool) {
	if singleHeader != "" {
		v := h.Get(singleHeader)
		if v == "" {
			return "", "", false
		}
		var pair map[string]string
		if err := json.Unmarshal([]byte(v), &pair); err != nil {
			return "", "", true
		}
		for k, val := range pair {
			switch strings.ToLower(k) {
			case "cf-access-client-id":
				clientID = val
			case "cf-access-client-secret":
				secret = val
			}
		}
		return strings.TrimSpace(clientID), strings.TrimSpace(secret), true
	}
	clientID, secret = strings.TrimSpace(h.Get(HeaderClientID)), strings.TrimSpace(h.Get(HeaderClientSecret))
	return clientID, secret, clientID != "" || secret != ""
}

// CheckServiceToken verifies a client id and secret presented to an
// application of accountID, from memory: the token must be the account's,
// the secret's SHA-256 must equal the stored hash (compared in constant
// time; a secret rotated away still counts until its
// previous_client_secret_expires_at), and the token must not have expired.
// The errors are ErrServiceTokenUnknown, ErrServiceTokenSecret and
// ErrServiceTokenExpired, checked in that order (only a caller holding the
// secret learns the token expired), or the snapshot's load error.
//
// A rotation, a deletion or a refresh reaches every instance through the
// change feed like any Access change; expiry needs no event. The returned
// token is a copy. A success records last_seen_at, asynchronously and at
// most once a minute per token on this instance.
func (s *Snapshot) CheckServiceToken(ctx context.Context, accountID, clientID, clientSecret string) (ServiceToken, error) {
	v, err := s.current(ctx)
	if err != nil {
		return ServiceToken{}, err
	}
	t := v.byClientID[clientID]
	if t == nil || t.AccountID != accountID || clientID == "" {
		return ServiceToken{}, ErrServiceTokenUnknown
	}
	now := s.svc.now()
	if !secretMatches(t, clientSecret, now) {
		return ServiceToken{}, ErrServiceTokenSecret
	}
	if t.ExpiresAt != nil && !now.Before(*t.ExpiresAt) {
		return ServiceToken{}, ErrServiceTokenExpired
	}
	s.seen.record(s.svc, t, now)
	return *t, nil
}

// LiveServiceToken is the account's service token with this client id if
// it still exists and has not expired: what an application token minted
// for it is checked against on later requests (with the secret version it
// was minted for, so a rotation ends those tokens too).
func (s *Snapshot) LiveServiceToken(ctx context.Context, accountID, clientID string) (ServiceToken, error) {
	v, err := s.current(ctx)
	if err != nil {
		return ServiceToken{}, err
	}
	t := v.byClientID[clientID]
	if t == nil || t.AccountID != accountID || clientID == "" {
		return ServiceToken{}, ErrServiceTokenUnknown
	}
	if t.ExpiresAt != nil && !s.svc.now().Before(*t.ExpiresAt) {
		return ServiceToken{}, ErrServiceTokenExpired
	}
	return *t, nil
}

// DecidablePolicies are the app's policies as the evaluator takes them.
func (a *App) DecidablePolicies() []policy.Policy {
	pols := make([]policy.Policy, len(a.Policies))
	for i, p := range a.Policies {
		pols[i] = p.Decidable()
	}
	return pols
}

// secretMatches compares the secret's hash with the current one and, while
// it lasts, the previous one, both in constant time.
func secretMatches(t *ServiceToken, secret string, now time.Time) bool {
	if secret == "" {
		return false
	}
	h := []byte(ids.HashToken(secret))
	cur := subtle.ConstantTimeCompare(h, []byte(t.secretHash))
	prev := 0
	if t.previousHash != "" && t.PreviousClientSecretExpiresAt != nil && now.Before(*t.PreviousClientSecretExpiresAt) {
		prev = subtle.ConstantTimeCompare(h, []byte(t.previousHash))
	}
	return cur|prev == 1
}

// lastSeen records service-token use without a write per request: at most
// once a minute per token, by a short-lived goroutine, at most
// maxSeenWriters at a time (a use that finds them all busy is simply not
// recorded; the next one a minute on will be). last_seen_at is
// bookkeeping, not configuration: the write is not announced on the change
// feed, which would reload the account's snapshot on every instance.
type lastSeen struct {
	mu      sync.Mutex
	at      map[string]time.Time // token id → last recorded here
	writers chan struct{}
}

const (
	seenEvery      = time.Minute
	maxSeenWriters = 4
	maxSeenEntries = 10000
)

func (l *lastSeen) record(svc *Service, t *ServiceToken, now time.Time) {
	l.mu.Lock()
	if l.at == nil {
		l.at, l.writers = map[string]time.Time{}, make(chan struct{}, maxSeenWriters)
	}
	if last, ok := l.at[t.ID]; ok && now.Sub(last) < seenEvery {
		l.mu.Unlock()
		return
	}
	select {
	case l.writers <- struct{}{}:
	default:
		l.mu.Unlock()
		return
	}
	if len(l.at) >= maxSeenEntries { // entries a minute old decide nothing
		for id, at := range l.at {
			if now.Sub(at) >= seenEvery {
				delete(l.at, id)
			}
		}
	}
	l.at[t.ID] = now
	l.mu.Unlock()
	accountID, id := t.AccountID, t.ID
	go func() {
		defer func() { <-l.writers }()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		// Info, not Warn: best-effort bookkeeping, and a write racing
		// shutdown (the database closing) is no incident.
		if err := touchServiceToken(ctx, svc.db, accountID, id, store.Micros(now)); err != nil && svc.log != nil {
			svc.log.Info("access: could not record a service token's last use", "service_token", id, "err", err)
		}
	}()
}
