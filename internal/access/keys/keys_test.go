package keys_test

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/access/keys"
	"github.com/ssogate/ssogate/internal/audit"
	"github.com/ssogate/ssogate/internal/ids"
	"github.com/ssogate/ssogate/internal/secretbox"
	"github.com/ssogate/ssogate/internal/store"
	"github.com/ssogate/ssogate/internal/store/storetest"
)

var ctx = context.Background()

// clock is a settable time source shared by the managers of a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now().UTC().Truncate(time.Second)} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newBox(t testing.TB) *secretbox.Box {
	t.Helper()
	b, err := secretbox.New(secretbox.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newAccount inserts an account row directly, so these tests depend on the
// schema only, not on the accounts service.
func newAccount(t testing.TB, db *store.DB) string {
	t.Helper()
	id := ids.NewHex32()
	if _, err := db.ExecContext(ctx, `INSERT INTO accounts (id, name, created_on) VALUES ($1, $2, $3)`,
		id, "acct "+id[:6], store.Micros(time.Now())); err != nil {
		t.Fatal(err)
	}
	return id
}

func countKeys(t *testing.T, db *store.DB, accountID string) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM access_keys WHERE account_id = $1`, accountID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func auditEntries(t *testing.T, db *store.DB, accountID, action string) []audit.Entry {
	t.Helper()
	entries, _, err := audit.List(ctx, db, accountID, audit.Filter{Action: action, Ascending: true})
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

func kids(ks []keys.Key) []string {
	var out []string
	for _, k := range ks {
		out = append(out, k.KID)
	}
	return out
}

// barrier returns a function that blocks until n goroutines have called it
// (or ten seconds passed, so a bug cannot hang the run).
func barrier(n int) func() {
	var mu sync.Mutex
	arrived, all := 0, make(chan struct{})
	return func() {
		mu.Lock()
		if arrived++; arrived == n {
			close(all)
		}
		mu.Unlock()
		select {
		case <-all:
		case <-time.After(10 * time.Second):
		}
	}
}

// lineUp makes n instances changing keys at once collide as hard as the
// engine allows: all generate their key, then all start the transaction;
// on PostgreSQL all also read "no current key" before any of them writes,
// so every loser takes the unique-violation path. (SQLite transactions
// hold the write lock from BEGIN, so waiting inside one would only stall.)
func lineUp(db *store.DB, n int) func(stage string) {
	generated, read := barrier(n), barrier(n)
	return func(stage string) {
		switch {
		case stage == "generated":
			generated()
		case stage == "read" && db.Dialect == store.Postgres:
			read()
		}
	}
}

func TestFirstUseCreatesOneKey(t *testing.T) {
	setups := []struct {
		name     string
		managers int // goroutine i uses manager i % managers
	}{
		{"one manager, 8 goroutines", 1},
		{"two managers, 8 goroutines", 2},
		{"8 managers", 8},
	}
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		box, clk := newBox(t), newClock()
		for _, s := range setups {
			t.Run(s.name, func(t *testing.T) {
				acct := newAccount(t, db)
				var ms []*keys.Manager
				hook := lineUp(db, s.managers)
				for range s.managers {
					m := keys.NewManager(db, box, clk.Now, keys.Options{})
					m.SetHook(hook)
					ms = append(ms, m)
				}
				got := make([]string, 8)
				errs := make([]error, 8)
				start := make(chan struct{})
				var wg sync.WaitGroup
				for i := range got {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						k, err := ms[i%len(ms)].Current(ctx, acct)
						got[i], errs[i] = k.KID, err
					}()
				}
				close(start)
				wg.Wait()
				for i := range got {
					if errs[i] != nil {
						t.Fatalf("goroutine %d: %v", i, errs[i])
					}
					if got[i] != got[0] {
						t.Fatalf("goroutine %d got key %s, goroutine 0 got %s", i, got[i], got[0])
					}
				}
				if n := countKeys(t, db, acct); n != 1 {
					t.Fatalf("%d keys stored, want 1", n)
				}
				if e := auditEntries(t, db, acct, "access_key_create"); len(e) != 1 || e[0].ResourceID != got[0] || e[0].Actor.Type != "system" {
					t.Fatalf("audit entries for the first key: %+v", e)
				}
			})
		}
	})
}

func TestKeyShape(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		acct := newAccount(t, db)
		m := keys.NewManager(db, newBox(t), newClock().Now, keys.Options{})
		k, err := m.Current(ctx, acct)
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.MarshalPKIXPublicKey(k.Public)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(der)
		if k.KID != hex.EncodeToString(sum[:]) {
			t.Errorf("kid %s is not the SHA-256 of the DER public key", k.KID)
		}
		if k.Public.N.BitLen() != 2048 || k.Public.E != 65537 {
			t.Errorf("key is %d bits, e=%d; want RSA-2048, e=65537", k.Public.N.BitLen(), k.Public.E)
		}
		block, _ := pem.Decode([]byte(k.CertPEM))
		if block == nil || block.Type != "CERTIFICATE" {
			t.Fatalf("CertPEM is not a PEM certificate: %q", k.CertPEM)
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		if !k.Public.Equal(cert.PublicKey) || cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature) != nil {
			t.Errorf("certificate is not self-signed by the key")
		}
		if !k.Current() || k.RetireOn != nil {
			t.Errorf("new key: current=%v retire=%v", k.Current(), k.RetireOn)
		}
		again, err := m.Current(ctx, acct)
		if err != nil || again.KID != k.KID {
			t.Errorf("second Current = %s, %v; want the same key", again.KID, err)
		}
	})
}

func TestUnknownAccount(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		m := keys.NewManager(db, newBox(t), nil, keys.Options{})
		if _, err := m.Current(ctx, ids.NewHex32()); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Current for a missing account: %v, want ErrNotFound", err)
		}
	})
}
