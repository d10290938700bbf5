package dashboard

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/ssogate/ssogate/internal/sso"
	"github.com/ssogate/ssogate/internal/store"
)

// Session lifetimes. A dashboard session is a powerful credential (it can
// mint API tokens), so it ends after an hour of inactivity and after 12
// hours in any case, whatever the IdP's own session says.
const (
	SessionIdle     = time.Hour
	SessionAbsolute = 12 * time.Hour
	// touchEvery bounds how often last_seen_on is written: once a minute
	// is precise enough for an idle timeout of an hour.
	touchEvery = time.Minute
)

// Login methods recorded on a session.
const (
	MethodPassword = "password"
	MethodSSO      = "sso"
)

// Session is a signed-in dashboard user.
type Session struct {
	ID         string // SHA-256 of the cookie value
	UserID     string
	Email      string
	Method     string
	IP         string
	UserAgent  string
	CreatedOn  time.Time
	LastSeenOn time.Time
	ExpiresOn  time.Time
	// secret is the cookie value itself, known only while serving the
	// request that carries it; the CSRF token derives from it.
	secret string
}

var errNoSession = errors.New("not signed in")

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func hashSecret(v string) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:])
}

// startSession stores a new session for userID and returns its cookie value.
func (d *Dashboard) startSession(ctx context.Context, q store.Querier, userID, method, ip, ua string) (string, error) {
	secret := randomToken()
	now := d.now()
	if len(ua) > 200 {
		ua = ua[:200]
	}
	if _, err := q.ExecContext(ctx, `DELETE FROM dashboard_sessions WHERE expires_on < $1`, store.Micros(now)); err != nil {
		return "", err
	}
	_, err := q.ExecContext(ctx, `INSERT INTO dashboard_sessions (id, user_id, method, ip, user_agent,
		created_on, last_seen_on, expires_on) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
		hashSecret(secret), userID, method, ip, ua, store.Micros(now), store.Micros(now), store.Micros(now.Add(SessionAbsolute)))
	return secret, err
}

// session returns the live session a cookie value names: not revoked, not
// expired, not idle too long, and — for password sessions — the user's
// domain not SSO-enforced since.
func (d *Dashboard) session(ctx context.Context, secret string) (*Session, error) {
	if secret == "" || len(secret) > 100 {
		return nil, errNoSession
	}
	s := &Session{ID: hashSecret(secret), secret: secret}
	var created, seen, expires int64
	var revoked store.NullTime
	err := d.db.QueryRowContext(ctx, `SELECT s.user_id, u.email, s.method, s.ip, s.user_agent, s.created_on,
		s.last_seen_on, s.expires_on, s.revoked_on FROM dashboard_sessions s JOIN users u ON u.id = s.user_id
		WHERE s.id=$1`, s.ID).Scan(&s.UserID, &s.Email, &s.Method, &s.IP, &s.UserAgent, &created, &seen, &expires, &revoked)
	if err != nil {
		if err = store.Translate(err); errors.Is(err, store.ErrNotFound) {
			return nil, errNoSession
		}
		return nil, err
	}
	s.CreatedOn, s.LastSeenOn, s.ExpiresOn = store.FromMicros(created), store.FromMicros(seen), store.FromMicros(expires)
	now := d.now()
	if revoked.T != nil || now.After(s.ExpiresOn) || now.Sub(s.LastSeenOn) > SessionIdle {
		return nil, errNoSession
	}
	if s.Method == MethodPassword {
		enforced, err := ssoEnforced(ctx, d.db, s.Email)
		if err != nil {
			return nil, err
		}
		if enforced {
			return nil, errNoSession
		}
	}
	if now.Sub(s.LastSeenOn) > touchEvery {
		if _, err := d.db.ExecContext(ctx, `UPDATE dashboard_sessions SET last_seen_on=$2 WHERE id=$1`,
			s.ID, store.Micros(now)); err != nil {
			return nil, err
		}
		s.LastSeenOn = now
	}
	return s, nil
}

// ssoEnforced reports whether an enabled, verified connector covers the
// email's domain.
func ssoEnforced(ctx context.Context, q store.Querier, email string) (bool, error) {
	_, err := sso.EnabledForDomain(ctx, q, emailDomain(email))
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func emailDomain(email string) string {
	return strings.ToLower(email[strings.LastIndexByte(email, '@')+1:])
}

// revokeSession ends one session of a user.
func (d *Dashboard) revokeSession(ctx context.Context, q store.Querier, userID, id string) (bool, error) {
	res, err := q.ExecContext(ctx, `UPDATE dashboard_sessions SET revoked_on=$3 WHERE id=$1 AND user_id=$2
		AND revoked_on IS NULL`, id, userID, store.Micros(d.now()))
	if err := store.Affected(res, err); errors.Is(err, store.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return true, nil
}

// revokeAll ends every session of a user but keep (which may be empty).
func (d *Dashboard) revokeAll(ctx context.Context, q store.Querier, userID, keep string) error {
	_, err := q.ExecContext(ctx, `UPDATE dashboard_sessions SET revoked_on=$3 WHERE user_id=$1 AND id <> $2
		AND revoked_on IS NULL`, userID, keep, store.Micros(d.now()))
	return err
}

// liveSessions lists a user's sessions that are still usable.
func (d *Dashboard) liveSessions(ctx context.Context, userID string) ([]Session, error) {
	now := d.now()
	rows, err := d.db.QueryContext(ctx, `SELECT id, method, ip, user_agent, created_on, last_seen_on, expires_on
		FROM dashboard_sessions WHERE user_id=$1 AND revoked_on IS NULL AND expires_on > $2 AND last_seen_on > $3
		ORDER BY created_on DESC`, userID, store.Micros(now), store.Micros(now.Add(-SessionIdle)))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		s := Session{UserID: userID}
		var created, seen, expires int64
		if err := rows.Scan(&s.ID, &s.Method, &s.IP, &s.UserAgent, &created, &seen, &expires); err != nil {
			return nil, err
		}
		s.CreatedOn, s.LastSeenOn, s.ExpiresOn = store.FromMicros(created), store.FromMicros(seen), store.FromMicros(expires)
		out = append(out, s)
	}
	return out, rows.Err()
}

// Cookie names. With https the session cookie takes the __Host- prefix,
// which browsers only accept when Secure, host-only and Path=/.
const (
	sessionCookieName = "ssogate_session"
	preCookieName     = "ssogate_pre"
)

func (d *Dashboard) sessionCookie() string {
	if d.secure {
		return "__Host-" + sessionCookieName
	}
	return sessionCookieName
}

func (d *Dashboard) preCookie() string {
	if d.secure {
		return "__Host-" + preCookieName
	}
	return preCookieName
}

// setCookie sets an HttpOnly, SameSite=Lax cookie: for maxAge > 0 that
// long, for 0 until the browser closes; a negative maxAge deletes it.
func (d *Dashboard) setCookie(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	c := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, Secure: d.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(maxAge.Seconds())}
	if maxAge < 0 {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}
