package portal

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/ssogate/ssogate/internal/access/keys"
	"github.com/ssogate/ssogate/internal/changes"
	"github.com/ssogate/ssogate/internal/store"
)

// Cookie names, as Cloudflare Access names them.
const (
	sessionCookie = "CF_Session"       // binds a login in progress to this browser
	authCookie    = "CF_Authorization" // the org token on the team domain
)

// loginTTL bounds how long a user may take at the IdP.
const loginTTL = 10 * time.Minute

// login is the state of one login in progress.
type login struct {
	AccountID string `json:"account_id"`
	IdPID     string `json:"idp_id"`
	AppAUD    string `json:"app_aud"`
	Redirect  string `json:"redirect"`
	// AppHost and AppSessionHash are set for a self-hosted application:
	// the login ends at that host's /authorized, bound to its
	// CF_AppSession by the hash.
	AppHost        string `json:"app_host,omitempty"`
	AppSessionHash string `json:"app_session_hash,omitempty"`
	State          string `json:"state"`
	Nonce          string `json:"nonce"`
	Verifier       string `json:"verifier"`
	// Test marks an administrator's "test this IdP" login: the callback
	// shows the claims received and starts no session.
	Test bool `json:"test,omitempty"`
}

// Identity is what a session remembers of a signed-in user; get-identity
// answers it.
type Identity struct {
	Email         string         `json:"email"`
	Name          string         `json:"name,omitempty"`
	UserUUID      string         `json:"user_uuid"`
	AccountID     string         `json:"account_id"`
	IdP           IdPRef         `json:"idp"`
	Groups        []string       `json:"groups"`
	Custom        map[string]any `json:"custom,omitempty"`
	IP            string         `json:"ip"`
	IAT           int64          `json:"iat"`
	IdentityNonce string         `json:"identity_nonce"`
	Version       int            `json:"version"`
}

// IdPRef names the identity provider of a session.
type IdPRef struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func hashCookie(v string) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:])
}

// saveLogin stores l under a fresh cookie value and sweeps expired logins.
func (p *Portal) saveLogin(ctx context.Context, l login) (cookie string, err error) {
	cookie = randomToken()
	data, _ := json.Marshal(l)
	now := p.now()
	if _, err := p.db.ExecContext(ctx, `DELETE FROM access_logins WHERE expires_on < $1`, store.Micros(now)); err != nil {
		return "", err
	}
	_, err = p.db.ExecContext(ctx, `INSERT INTO access_logins (id, account_id, data, expires_on) VALUES ($1,$2,$3,$4)`,
		hashCookie(cookie), l.AccountID, string(data), store.Micros(now.Add(loginTTL)))
	return cookie, err
}

// takeLogin reads and deletes the login bound to cookie: a callback can
// complete a login once.
func (p *Portal) takeLogin(ctx context.Context, accountID, cookie string) (login, error) {
	var l login
	var data string
	var expires int64
	id := hashCookie(cookie)
	err := p.db.QueryRowContext(ctx, `SELECT data, expires_on FROM access_logins WHERE id=$1 AND account_id=$2`, id, accountID).
		Scan(&data, &expires)
	if err != nil {
		return l, store.Translate(err)
	}
	res, err := p.db.ExecContext(ctx, `DELETE FROM access_logins WHERE id=$1`, id)
	if err := store.Affected(res, err); err != nil {
		return l, err // another request completed it first
	}
	if p.now().After(store.FromMicros(expires)) {
		return l, store.ErrNotFound
	}
	return l, json.Unmarshal([]byte(data), &l)
}

// startSession stores an identity and signs the org token for it.
func (p *Portal) startSession(ctx context.Context, org orgInfo, id Identity, ttl time.Duration) (string, error) {
	now := p.now()
	data, _ := json.Marshal(id)
	_, err := p.db.ExecContext(ctx, `INSERT INTO access_sessions (identity_nonce, account_id, email, identity,
		created_on, expires_on) VALUES ($1,$2,$3,$4,$5,$6)`, id.IdentityNonce, org.AccountID, id.Email, string(data),
		store.Micros(now), store.Micros(now.Add(ttl)))
	if err != nil {
		return "", err
	}
	claims := keys.Claims{Audience: keys.Audience{org.AuthDomain}, Email: id.Email, Issuer: org.TeamURL,
		Type: "org", IdentityNonce: id.IdentityNonce, Subject: id.UserUUID, IssuedAt: now.Unix(),
		NotBefore: now.Unix(), Expiry: now.Add(ttl).Unix()}
	return p.keys.Sign(ctx, org.AccountID, claims)
}

// errNoSession means the browser is not signed in (or its session ended).
var errNoSession = errors.New("not signed in")

// currentIdentity returns the signed-in identity of the request: a valid
// org token for this team domain whose session is neither expired nor
// revoked.
func (p *Portal) currentIdentity(r *http.Request, org orgInfo) (Identity, error) {
	c, err := r.Cookie(authCookie)
	if err != nil || c.Value == "" {
		return Identity{}, errNoSession
	}
	claims, err := p.keys.VerifyCached(r.Context(), org.AccountID, c.Value)
	if err != nil {
		return Identity{}, errNoSession
	}
	if err := keys.ValidateStandard(claims, org.TeamURL, org.AuthDomain, p.now(), p.leeway); err != nil || claims.Type != "org" {
		return Identity{}, errNoSession
	}
	return p.session(r.Context(), org.AccountID, claims.IdentityNonce)
}

// session returns the identity of a live session: from the session cache,
// else read from the database (and then cached).
func (p *Portal) session(ctx context.Context, accountID, nonce string) (Identity, error) {
	st, err := p.sessions.get(ctx, accountID, nonce, p.readSession)
	if err != nil {
		if store.IsUnavailable(err) {
			return Identity{}, err
		}
		return Identity{}, errNoSession
	}
	if !st.live || p.now().After(st.expires) {
		return Identity{}, errNoSession
	}
	return st.identity, nil
}

// readSession reads a session's row. A missing row is a state too (not
// live): a forged-but-signed nonce must not cost a query per request.
func (p *Portal) readSession(ctx context.Context, accountID, nonce string) (sessionState, error) {
	var data string
	var expires int64
	var revoked store.NullTime
	err := p.db.QueryRowContext(ctx, `SELECT identity, expires_on, revoked_on FROM access_sessions
		WHERE identity_nonce=$1 AND account_id=$2`, nonce, accountID).Scan(&data, &expires, &revoked)
	if errors.Is(store.Translate(err), store.ErrNotFound) {
		return sessionState{}, nil
	}
	if err != nil {
		return sessionState{}, store.Translate(err)
	}
	st := sessionState{live: revoked.T == nil, expires: store.FromMicros(expires)}
	if err := json.Unmarshal([]byte(data), &st.identity); err != nil {
		return sessionState{}, err
	}
	return st, nil
}

// revoke ends a session: every token carrying its nonce stops working, on
// every instance once the change feed delivers the event.
func (p *Portal) revoke(ctx context.Context, accountID, nonce string) error {
	return p.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE access_sessions SET revoked_on=$3 WHERE identity_nonce=$1 AND account_id=$2`,
			nonce, accountID, store.Micros(p.now())); err != nil {
			return err
		}
		return p.feed.Publish(ctx, tx, changes.Event{Kind: changes.Sessions, AccountID: accountID, ID: nonce})
	})
}
