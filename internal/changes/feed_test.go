package changes_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/apptest"
	"github.com/ssogate/ssogate/internal/changes"
	"github.com/ssogate/ssogate/internal/store"
	"github.com/ssogate/ssogate/internal/store/storetest"
)

var ctx = context.Background()

// recorder collects delivered events.
type recorder struct {
	mu  sync.Mutex
	evs []changes.Event
}

func (r *recorder) add(ev changes.Event) { r.mu.Lock(); r.evs = append(r.evs, ev); r.mu.Unlock() }
func (r *recorder) kinds() []changes.Kind {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []changes.Kind
	for _, ev := range r.evs {
		out = append(out, ev.Kind)
	}
	return out
}

// TestDeliveredOnlyAfterCommit: an event published in a transaction is
// delivered when it commits — after the commit, so a subscriber that
// rereads sees the change — and never when it rolls back.
func TestDeliveredOnlyAfterCommit(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		f, err := changes.New(ctx, db, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('probe', 'before')`); err != nil {
			t.Fatal(err)
		}
		var seen []string
		f.Subscribe(func(ev changes.Event) {
			var v string
			_ = db.QueryRowContext(ctx, `SELECT value FROM settings WHERE key='probe'`).Scan(&v)
			seen = append(seen, string(ev.Kind)+":"+v)
		})
		boom := errors.New("roll back")
		err = db.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE settings SET value='rolled back' WHERE key='probe'`); err != nil {
				return err
			}
			if err := f.Publish(ctx, tx, changes.Event{Kind: changes.Keys}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) || len(seen) != 0 {
			t.Fatalf("rolled-back transaction: err %v, delivered %v", err, seen)
		}
		err = db.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE settings SET value='after' WHERE key='probe'`); err != nil {
				return err
			}
			if err := f.Publish(ctx, tx, changes.Event{Kind: changes.Tokens}); err != nil {
				return err
			}
			if len(seen) != 0 {
				t.Errorf("delivered before the commit: %v", seen)
			}
			return nil
		})
		if err != nil || len(seen) != 1 || seen[0] != "tokens:after" {
			t.Fatalf("committed transaction: err %v, delivered %v (want tokens:after)", err, seen)
		}
	})
}

// TestInstancesAgreeWithinASecond: two instances on one PostgreSQL. A key
// rotation, a token disable and a rotation-interval change made through
// one are enforced by the other within a second (without the feed, keys
// took RefreshEvery, 30 s), and a token the first signs with its new key
// verifies on the second at once.
func TestInstancesAgreeWithinASecond(t *testing.T) {
	storetest.NeedPostgres(t)
	url, key := storetest.PostgresURL(t), base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	a := apptest.New(t, apptest.WithDatabaseURL(url), apptest.WithSecretKey(key))
	b := apptest.New(t, apptest.WithDatabaseURL(url), apptest.WithSecretKey(key))
	acct, token := a.AccountID, a.Token
	events := &recorder{}
	b.App.Feed.Subscribe(events.add)
	waitFor(t, "b listening", func() bool { return len(events.kinds()) > 0 }) // its first All

	// Keys: b knows the current key; a rotates; b's certs follow.
	first, err := b.App.Keys.Current(ctx, acct)
	if err != nil {
		t.Fatal(err)
	}
	if r := a.Do("POST", "/accounts/"+acct+"/access/keys/rotate", token, nil); r.Status != 200 {
		t.Fatalf("rotate: %d %s", r.Status, r.Body)
	}
	took := waitFor(t, "b's certs to show a's new key", func() bool {
		ks, err := b.App.Keys.Published(ctx, acct)
		return err == nil && len(ks) == 2 && ks[0].KID != first.KID
	})
	t.Logf("key rotation reached the other instance in %s", took)

	// A token signed with the new key on a verifies on b.
	claims := map[string]any{"iss": "test", "aud": []string{"x"}, "sub": "s", "exp": time.Now().Add(time.Hour).Unix(),
		"iat": time.Now().Unix(), "nbf": time.Now().Unix(), "email": "alice@acmecorp.company", "type": "app"}
	signed, err := a.App.Keys.Sign(ctx, acct, claims)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := b.App.Keys.Verify(ctx, acct, signed, &got); err != nil {
		t.Fatalf("a's freshly signed token on b: %v", err)
	}
	// And b signs with the same current key (it can open it: shared secret key).
	if cur, err := b.App.Keys.Current(ctx, acct); err != nil || cur.KID == first.KID {
		t.Fatalf("b's current key after a's rotation: %v %v", cur.KID, err)
	}

	// API tokens: b accepts T; a disables it; b refuses it.
	tok := a.NewToken(acct, "SSO Connector Read")
	if r := b.Do("GET", "/accounts/"+acct+"/sso_connectors", tok, nil); r.Status != 200 {
		t.Fatalf("b before the disable: %d %s", r.Status, r.Body)
	}
	id := tokenID(t, a, tok)
	if r := a.Do("PUT", "/accounts/"+acct+"/tokens/"+id, token, `{"status":"disabled"}`); r.Status != 200 {
		t.Fatalf("disable: %d %s", r.Status, r.Body)
	}
	took = waitFor(t, "b to refuse the disabled token", func() bool {
		return b.Do("GET", "/accounts/"+acct+"/sso_connectors", tok, nil).Status == http.StatusUnauthorized
	})
	t.Logf("token disable reached the other instance in %s", took)
}

// waitFor polls cond for up to a second, the guarantee, and returns how
// long it took.
func waitFor(t *testing.T, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > time.Second {
			t.Fatalf("waited more than 1s for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

// tokenID finds a token's id through the verify endpoint.
func tokenID(t *testing.T, env *apptest.Env, value string) string {
	t.Helper()
	r := env.Do("GET", "/user/tokens/verify", value, nil)
	res, _ := r.JSON(t)["result"].(map[string]any)
	id, _ := res["id"].(string)
	if r.Status != 200 || id == "" {
		t.Fatalf("verify: %d %s", r.Status, r.Body)
	}
	return id
}
