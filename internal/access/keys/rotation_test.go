package keys_test

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ssogate/ssogate/internal/access/keys"
	"github.com/ssogate/ssogate/internal/audit"
	"github.com/ssogate/ssogate/internal/store"
	"github.com/ssogate/ssogate/internal/store/storetest"
)

func TestRotation(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		acct, clk := newAccount(t, db), newClock()
		m := keys.NewManager(db, newBox(t), clk.Now, keys.Options{})
		first, err := m.Current(ctx, acct)
		if err != nil {
			t.Fatal(err)
		}
		oldTok := mustSign(t, m, acct, claimsFor(clk.Now(), 30*24*time.Hour))
		if _, err := m.VerifyCached(ctx, acct, oldTok); err != nil { // cached before the rotation
			t.Fatal(err)
		}

		clk.Advance(time.Hour)
		actx := audit.WithActor(ctx, audit.Actor{ID: "u1", Email: "admin@example.com", Type: "user", Interface: "API"})
		second, err := m.Rotate(actx, acct)
		if err != nil {
			t.Fatal(err)
		}
		if second.KID == first.KID || !second.Current() {
			t.Fatalf("Rotate returned %+v", second)
		}
		pub, err := m.Published(ctx, acct)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{second.KID, first.KID}, kids(pub)); diff != "" {
			t.Fatalf("published after rotation, newest first (-want +got):\n%s", diff)
		}
		wantRetire := clk.Now().Add(7 * 24 * time.Hour)
		if pub[1].RetireOn == nil || !pub[1].RetireOn.Equal(wantRetire) || pub[1].Current() {
			t.Fatalf("previous key: rotated %v, retire %v; want retire %v", pub[1].RotatedOn, pub[1].RetireOn, wantRetire)
		}
		doc, err := m.Certs(ctx, acct)
		if err != nil {
			t.Fatal(err)
		}
		if doc.PublicCert.KID != second.KID || len(doc.Keys) != 2 || len(doc.PublicCerts) != 2 {
			t.Fatalf("certs after rotation: public_cert %s, %d keys, %d certs", doc.PublicCert.KID, len(doc.Keys), len(doc.PublicCerts))
		}
		e := auditEntries(t, db, acct, "access_key_rotate")
		if len(e) != 1 || e[0].ResourceID != second.KID || e[0].ResourceType != "access_key" ||
			e[0].Actor.Email != "admin@example.com" || !strings.Contains(e[0].OldValue, first.KID) ||
			!strings.Contains(string(e[0].Metadata), `"manual"`) {
			t.Fatalf("rotation audit entries: %+v", e)
		}

		newTok := mustSign(t, m, acct, claimsFor(clk.Now(), 30*24*time.Hour))
		if h := header(t, newTok); h["kid"] != second.KID {
			t.Fatalf("token after rotation signed with %v, want %s", h["kid"], second.KID)
		}
		for name, tok := range map[string]string{"old": oldTok, "new": newTok} {
			if err := m.Verify(ctx, acct, tok, &keys.Claims{}); err != nil {
				t.Errorf("%s token during overlap: %v", name, err)
			}
			if _, err := m.VerifyCached(ctx, acct, tok); err != nil {
				t.Errorf("%s token during overlap (cached): %v", name, err)
			}
		}

		clk.Advance(7*24*time.Hour - time.Second)
		if pub, _ := m.Published(ctx, acct); len(pub) != 2 {
			t.Fatalf("one second before the overlap ends: %d keys published", len(pub))
		}
		clk.Advance(time.Second)
		pub, err = m.Published(ctx, acct)
		if err != nil || len(pub) != 1 || pub[0].KID != second.KID {
			t.Fatalf("after the overlap: published %v, %v; want only %s", kids(pub), err, second.KID)
		}
		if doc, _ := m.Certs(ctx, acct); len(doc.Keys) != 1 || doc.Keys[0].KID != second.KID {
			t.Fatalf("certs after the overlap: %+v", doc.Keys)
		}
		if err := m.Verify(ctx, acct, oldTok, &keys.Claims{}); !errors.Is(err, keys.ErrUnknownKey) {
			t.Errorf("old token after the overlap: %v, want ErrUnknownKey", err)
		}
		if _, err := m.VerifyCached(ctx, acct, oldTok); !errors.Is(err, keys.ErrUnknownKey) {
			t.Errorf("old token after the overlap (cached): %v, want ErrUnknownKey", err)
		}
		if err := m.Verify(ctx, acct, newTok, &keys.Claims{}); err != nil {
			t.Errorf("new token after the overlap: %v", err)
		}
		// A fresh instance agrees: retirement is in the database, not in memory.
		fresh := keys.NewManager(db, newBox(t), clk.Now, keys.Options{})
		if err := fresh.Verify(ctx, acct, oldTok, &keys.Claims{}); !errors.Is(err, keys.ErrUnknownKey) {
			t.Errorf("old token on another instance: %v", err)
		}
		if err := fresh.Verify(ctx, acct, newTok, &keys.Claims{}); err != nil {
			t.Errorf("new token on another instance: %v", err)
		}
	})
}

func TestAutomaticRotation(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		acct, clk, box := newAccount(t, db), newClock(), newBox(t)
		m := keys.NewManager(db, box, clk.Now, keys.Options{})
		other := keys.NewManager(db, box, clk.Now, keys.Options{}) // a second instance
		first, err := m.Current(ctx, acct)
		if err != nil {
			t.Fatal(err)
		}
		hook := lineUp(db, 2)
		m.SetHook(hook)
		other.SetHook(hook)
		clk.Advance(42*24*time.Hour - time.Second)
		if k, _ := m.Current(ctx, acct); k.KID != first.KID {
			t.Fatal("rotated before RotateEvery")
		}
		clk.Advance(time.Second)
		var wg sync.WaitGroup
		got := make([]keys.Key, 6)
		for i := range got {
			wg.Add(1)
			go func() {
				defer wg.Done()
				mm := m
				if i%2 == 1 {
					mm = other
				}
				got[i], _ = mm.Current(ctx, acct)
			}()
		}
		wg.Wait()
		for i := range got {
			if got[i].KID == "" || got[i].KID == first.KID || got[i].KID != got[0].KID {
				t.Fatalf("after RotateEvery, caller %d got %q (first %s, caller 0 %s)", i, got[i].KID, first.KID, got[0].KID)
			}
		}
		if n := countKeys(t, db, acct); n != 2 {
			t.Fatalf("%d keys stored after one scheduled rotation by racing instances, want 2", n)
		}
		e := auditEntries(t, db, acct, "access_key_rotate")
		if len(e) != 1 || !strings.Contains(string(e[0].Metadata), `"scheduled"`) || e[0].Actor.Type != "system" {
			t.Fatalf("scheduled rotation audit: %+v", e)
		}
		pub, _ := m.Published(ctx, acct)
		if diff := cmp.Diff([]string{got[0].KID, first.KID}, kids(pub)); diff != "" {
			t.Fatalf("published (-want +got):\n%s", diff)
		}
	})
}

func TestCustomIntervals(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		acct, clk := newAccount(t, db), newClock()
		m := keys.NewManager(db, newBox(t), clk.Now, keys.Options{RotateEvery: 21 * 24 * time.Hour, Overlap: -1})
		first, _ := m.Current(ctx, acct)
		clk.Advance(21 * 24 * time.Hour)
		second, err := m.Current(ctx, acct)
		if err != nil || second.KID == first.KID {
			t.Fatalf("no rotation after a custom RotateEvery: %v", err)
		}
		if pub, _ := m.Published(ctx, acct); len(pub) != 1 {
			t.Fatalf("negative Overlap: %d keys published, want the new one only", len(pub))
		}
	})
}

func TestCertsJSON(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		acct, clk := newAccount(t, db), newClock()
		m := keys.NewManager(db, newBox(t), clk.Now, keys.Options{})
		prev, _ := m.Current(ctx, acct)
		cur, err := m.Rotate(ctx, acct)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := m.Certs(ctx, acct)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatal(err)
		}
		jwk := func(k keys.Key) map[string]any {
			return map[string]any{"kid": k.KID, "kty": "RSA", "alg": "RS256", "use": "sig", "e": "AQAB", "n": k.JWK.N}
		}
		cert := func(k keys.Key) map[string]any { return map[string]any{"kid": k.KID, "cert": k.CertPEM} }
		want := map[string]any{
			"keys":         []any{jwk(cur), jwk(prev)},
			"public_cert":  cert(cur),
			"public_certs": []any{cert(cur), cert(prev)},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("certs JSON (-want +got):\n%s", diff)
		}
		if !strings.HasPrefix(string(raw), `{"keys":[{"kid":"`+cur.KID+`","kty":"RSA","alg":"RS256","use":"sig","e":"AQAB","n":"`) {
			t.Errorf("certs JSON field order differs from Cloudflare's: %.120s", raw)
		}
	})
}

func TestRotationAndAuditCommitTogether(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		acct, clk := newAccount(t, db), newClock()
		m := keys.NewManager(db, newBox(t), clk.Now, keys.Options{})
		first, err := m.Current(ctx, acct)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `ALTER TABLE audit_logs RENAME TO audit_logs_gone`); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Rotate(ctx, acct); err == nil || !strings.Contains(err.Error(), "audit") {
			t.Fatalf("Rotate without an audit log: %v, want the audit write's error", err)
		}
		if n := countKeys(t, db, acct); n != 1 {
			t.Fatalf("rotation committed without its audit entry: %d keys", n)
		}
		if k, err := m.Current(ctx, acct); err != nil || k.KID != first.KID {
			t.Fatalf("current key after a failed rotation: %s, %v", k.KID, err)
		}
	})
}

// An account's own interval (PUT /access/keys) wins over the instance
// default, for this instance at once and for others after a refresh.
func TestPerAccountInterval(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		acct, other, clk, box := newAccount(t, db), newAccount(t, db), newClock(), newBox(t)
		m := keys.NewManager(db, box, clk.Now, keys.Options{})
		first, _ := m.Current(ctx, acct)
		otherFirst, _ := m.Current(ctx, other)
		if err := m.SetRotationInterval(ctx, acct, 21); err != nil {
			t.Fatal(err)
		}
		if e := auditEntries(t, db, acct, "access_key_settings_update"); len(e) != 1 {
			t.Fatalf("audit entries: %d", len(e))
		}
		clk.Advance(21 * 24 * time.Hour)
		if k, _ := m.Current(ctx, acct); k.KID == first.KID {
			t.Fatal("no rotation after the account's 21-day interval")
		}
		if k, _ := m.Current(ctx, other); k.KID != otherFirst.KID {
			t.Fatal("the other account rotated before the default 42 days")
		}
		fresh := keys.NewManager(db, box, clk.Now, keys.Options{})
		clk.Advance(21 * 24 * time.Hour)
		cur, _ := m.Current(ctx, acct)
		if k, _ := fresh.Current(ctx, acct); k.KID != cur.KID {
			t.Fatalf("a second instance disagrees on the current key: %s vs %s", k.KID, cur.KID)
		}
	})
}

// TestUnknownKidReloadsAtOnce: a token signed with a key another instance
// created a moment ago verifies here at once — the unknown kid rereads the
// keys even when this instance loaded them a millisecond earlier — while a
// flood of made-up kids rereads at most once a second.
func TestUnknownKidReloadsAtOnce(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		acct, clk, box := newAccount(t, db), newClock(), newBox(t)
		a := keys.NewManager(db, box, clk.Now, keys.Options{})
		b := keys.NewManager(db, box, clk.Now, keys.Options{}) // another instance, no change feed
		if _, err := a.Current(ctx, acct); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Published(ctx, acct); err != nil { // b's view is fresh…
			t.Fatal(err)
		}
		if _, err := a.Rotate(ctx, acct); err != nil { // …and out of date
			t.Fatal(err)
		}
		tok := mustSign(t, a, acct, claimsFor(clk.Now(), time.Hour))
		if err := b.Verify(ctx, acct, tok, &keys.Claims{}); err != nil {
			t.Fatalf("a token of the key another instance just made: %v", err)
		}
		// A second new key within the same second is not reread for.
		if _, err := a.Rotate(ctx, acct); err != nil {
			t.Fatal(err)
		}
		tok2 := mustSign(t, a, acct, claimsFor(clk.Now(), time.Hour))
		if err := b.Verify(ctx, acct, tok2, &keys.Claims{}); !errors.Is(err, keys.ErrUnknownKey) {
			t.Fatalf("a second unknown kid within a second: %v, want ErrUnknownKey (rate limit)", err)
		}
		clk.Advance(time.Second)
		if err := b.Verify(ctx, acct, tok2, &keys.Claims{}); err != nil {
			t.Fatalf("the same token a second later: %v", err)
		}
	})
}
