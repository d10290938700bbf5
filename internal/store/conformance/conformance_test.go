package conformance

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/accounts"
	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/app"
	"github.com/ssogate/ssogate/internal/audit"
	"github.com/ssogate/ssogate/internal/config"
	"github.com/ssogate/ssogate/internal/dnsverify"
	"github.com/ssogate/ssogate/internal/domains"
	"github.com/ssogate/ssogate/internal/sso"
	"github.com/ssogate/ssogate/internal/store"
	"github.com/ssogate/ssogate/internal/store/storetest"
	"github.com/ssogate/ssogate/internal/tokens"
)

var ctx = context.Background()

var quiet = slog.New(slog.DiscardHandler)

func newAccount(t *testing.T, db *store.DB, name string) accounts.Account {
	t.Helper()
	a, err := accounts.NewService(db).CreateAccount(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestMigrations(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		applied, err := db.Migrate(ctx)
		if err != nil || len(applied) != 0 {
			t.Fatalf("second migrate applied %d (%v); want none", len(applied), err)
		}
		status, err := db.MigrationStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		all, _ := store.Migrations()
		if len(status) != len(all) || len(all) == 0 {
			t.Fatalf("status lists %d of %d migrations", len(status), len(all))
		}
		for _, m := range status {
			if m.AppliedOn == nil {
				t.Errorf("migration %04d not applied", m.Version)
			}
		}
	})
}

func TestBootstrapRunsOnce(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		tok := tokens.NewService(db, quiet, nil)
		cfg := config.Default()
		cfg.BootstrapToken = "abcdefghijabcdefghijabcdefghijabcdefghij"
		var wg sync.WaitGroup
		results := make([]*app.BootstrapResult, 4)
		errs := make([]error, 4)
		for i := range results { // instances starting together
			wg.Add(1)
			go func() { defer wg.Done(); results[i], errs[i] = app.Bootstrap(ctx, db, tok, cfg) }()
		}
		wg.Wait()
		done := 0
		for i := range results {
			if errs[i] != nil {
				t.Fatalf("bootstrap %d: %v", i, errs[i])
			}
			if results[i] != nil {
				done++
			}
		}
		var n int
		_ = db.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts`).Scan(&n)
		if done != 1 || n != 1 {
			t.Fatalf("%d bootstraps created %d accounts; want exactly one", done, n)
		}
		p, err := tok.Authenticate(ctx, cfg.BootstrapToken, netip.MustParseAddr("127.0.0.1"))
		if err != nil || !p.Grants.Allows(tokens.SSOWrite, n2s(db)) {
			t.Fatalf("bootstrap token: %v", err)
		}
	})
}

func n2s(db *store.DB) string {
	var id string
	_ = db.QueryRowContext(ctx, `SELECT id FROM accounts`).Scan(&id)
	return id
}

func TestTokens(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		svc := tokens.NewService(db, quiet, nil)
		a, b := newAccount(t, db, "A"), newAccount(t, db, "B")
		in := app.TokenInput(a.ID, "reader", []tokens.GroupRef{{ID: mustGroup(t, tokens.SSORead)}})
		v, err := svc.Create(ctx, a.ID, in, nil)
		if err != nil {
			t.Fatal(err)
		}
		p, err := svc.Authenticate(ctx, v.Value, netip.MustParseAddr("127.0.0.1"))
		if err != nil || p.TokenID != v.ID || p.AccountID != a.ID {
			t.Fatalf("authenticate: %v %+v", err, p)
		}
		if _, err := svc.Get(ctx, b.ID, v.ID); !isStatus(err, 404) {
			t.Fatalf("token of A read through B: %v", err)
		}
		if err := svc.Delete(ctx, b.ID, v.ID, nil); !isStatus(err, 404) {
			t.Fatalf("token of A deleted through B: %v", err)
		}
		got, err := svc.Get(ctx, a.ID, v.ID)
		if err != nil || got.Name != "reader" || len(got.Policies) != 1 || got.Policies[0].PermissionGroups[0].Name != tokens.SSORead {
			t.Fatalf("get: %v %+v", err, got)
		}
		if !got.IssuedOn.Equal(v.IssuedOn) {
			t.Errorf("issued_on changed across a round trip: %s vs %s", got.IssuedOn, v.IssuedOn)
		}
		for i := 0; i < 6; i++ {
			if _, err := svc.Create(ctx, a.ID, in, nil); err != nil {
				t.Fatal(err)
			}
		}
		page, total, err := svc.List(ctx, a.ID, false, api.Page{Number: 2, PerPage: 5})
		if err != nil || total != 7 || len(page) != 2 {
			t.Fatalf("page 2: %d of %d (%v)", len(page), total, err)
		}
		if list, total, _ := svc.List(ctx, b.ID, false, api.Page{Number: 1, PerPage: 50}); total != 0 || len(list) != 0 {
			t.Fatalf("B sees %d tokens of A", total)
		}
		value, err := svc.Roll(ctx, a.ID, v.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Authenticate(ctx, v.Value, netip.MustParseAddr("127.0.0.1")); !isStatus(err, 401) {
			t.Fatalf("old value after roll: %v", err)
		}
		if _, err := svc.Authenticate(ctx, value, netip.MustParseAddr("127.0.0.1")); err != nil {
			t.Fatalf("new value after roll: %v", err)
		}
		// The stored secret is a hash: the value appears nowhere in the table.
		var leaked int
		_ = db.QueryRowContext(ctx, `SELECT COUNT(*) FROM api_tokens WHERE secret_hash=$1 OR policies LIKE $2`, value, "%"+value+"%").Scan(&leaked)
		if leaked != 0 {
			t.Fatal("token value stored in clear")
		}
	})
}

func TestOneLiveClaimPerDomain(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		a, b := newAccount(t, db, "A"), newAccount(t, db, "B")
		svc := sso.NewService(db, found{}, sso.Config{Policy: domains.DefaultPolicy()}, quiet)
		if _, err := svc.Create(ctx, a.ID, sso.CreateInput{EmailDomain: ptr("acmecorp.company")}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Create(ctx, b.ID, sso.CreateInput{EmailDomain: ptr("acmecorp.company")}); !isStatus(err, 400) {
			t.Fatalf("second claim: %v", err)
		}
		// The constraint holds below the service too: a raw insert fails.
		_, err := db.ExecContext(ctx, `INSERT INTO sso_connectors (id, account_id, email_domain, claim_domain,
			verification_code, status, created_on, updated_on) VALUES ('x', $1, 'acmecorp.company', 'acmecorp.company', 'c', 'pending', 0, 0)`, b.ID)
		if !store.IsUniqueViolation(err) {
			t.Fatalf("raw duplicate claim: %v", err)
		}
		// Racing creates: exactly one wins.
		var wins atomic.Int64
		var wg sync.WaitGroup
		for i := 0; i < 6; i++ {
			acct := newAccount(t, db, fmt.Sprint("racer", i))
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := svc.Create(ctx, acct.ID, sso.CreateInput{EmailDomain: ptr("race.company")}); err == nil {
					wins.Add(1)
				} else if !isStatus(err, 400) {
					t.Errorf("racing create: %v", err)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d racing claims won", wins.Load())
		}
	})
}

func TestLeasedSweeps(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		a := newAccount(t, db, "A")
		chk := &counting{}
		// Created now, swept two minutes later: every first check is due.
		var later atomic.Bool
		now := func() time.Time {
			if later.Load() {
				return time.Now().Add(2 * time.Minute)
			}
			return time.Now()
		}
		svc := sso.NewService(db, chk, sso.Config{Policy: domains.DefaultPolicy(), Now: now}, quiet)
		const n = 60
		for i := 0; i < n; i++ {
			d := fmt.Sprintf("d%02d.example.com", i)
			if _, err := svc.Create(ctx, a.ID, sso.CreateInput{EmailDomain: &d}); err != nil {
				t.Fatal(err)
			}
		}
		later.Store(true)
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := sso.NewWorker(svc, 5).Sweep(ctx); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if chk.n.Load() != n {
			t.Fatalf("%d checks for %d due connectors", chk.n.Load(), n)
		}
		cs, _ := svc.List(ctx, a.ID)
		for _, c := range cs {
			if c.Status != sso.Verified {
				t.Fatalf("%s: %s", c.EmailDomain, c.Status)
			}
		}
	})
}

func TestAuditLog(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		a, b := newAccount(t, db, "A"), newAccount(t, db, "B")
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := 0; i < 5; i++ {
			ev := audit.Event{AccountID: a.ID, When: base.Add(time.Duration(i) * time.Hour), Action: "login", Result: i%2 == 0,
				Actor: audit.Actor{Email: fmt.Sprintf("u%d@acmecorp.company", i%2), IP: "192.0.2.1", Type: "user"}}
			if err := audit.Record(ctx, db, ev); err != nil {
				t.Fatal(err)
			}
		}
		got, total, err := audit.List(ctx, db, a.ID, audit.Filter{Action: "login", ActorEmail: "u0@acmecorp.company",
			Since: base.Add(time.Hour), Limit: 10})
		if err != nil || total != 2 || len(got) != 2 || !got[0].When.After(got[1].When) {
			t.Fatalf("filtered list: %d/%d %v", len(got), total, err)
		}
		if _, total, _ := audit.List(ctx, db, b.ID, audit.Filter{Action: "login"}); total != 0 {
			t.Fatalf("B sees %d entries of A", total)
		}
	})
}

type found struct{}

func (found) Check(_ context.Context, d, e string) dnsverify.Result {
	return dnsverify.Result{Verdict: dnsverify.Found, Name: d, Expected: e}
}

type counting struct{ n atomic.Int64 }

func (c *counting) Check(ctx context.Context, d, e string) dnsverify.Result {
	c.n.Add(1)
	return found{}.Check(ctx, d, e)
}

func mustGroup(t *testing.T, name string) string {
	g, ok := tokens.GroupByName(name)
	if !ok {
		t.Fatal(name)
	}
	return g.ID
}

func isStatus(err error, status int) bool {
	var e *api.Error
	return errors.As(err, &e) && e.Status == status
}

func ptr[T any](v T) *T { return &v }
