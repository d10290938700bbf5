package cli_test

import (
	"context"
	"io"
	"regexp"
	"testing"

	"github.com/ssogate/ssogate/internal/accounts"
	"github.com/ssogate/ssogate/internal/app"
	"github.com/ssogate/ssogate/internal/config"
	"github.com/ssogate/ssogate/internal/store"
)

func TestAdminUserPassword(t *testing.T) {
	env := dataDirEnv(t)
	cfg := config.Default()
	cfg.DataDir = env["SSOGATE_DATA_DIR"]
	a, err := app.New(context.Background(), cfg, app.Options{}, io.Discard) // bootstraps admin@ssogate.localhost
	if err != nil {
		t.Fatal(err)
	}
	a.Close()

	r := must(t, 0, env, "admin", "user", "password", "Admin@SSOgate.localhost")
	m := regexp.MustCompile(`\(shown once, stored only as a hash\): (\S+)`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no password printed: %s", r.stdout)
	}
	db, err := store.Open(context.Background(), "", cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	u, err := accounts.UserByEmail(context.Background(), db, "admin@ssogate.localhost")
	if err != nil || !accounts.CheckPassword(u.PasswordHash, m[1]) {
		t.Fatalf("the printed password does not match the stored hash (%v)", err)
	}

	contains(t, "unknown user", must(t, 2, env, "admin", "user", "password", "nobody@example.com").stderr, "no user has the address")
	contains(t, "bad email", must(t, 2, env, "admin", "user", "password", "not-an-email").stderr, "not an email address")
	must(t, 2, env, "admin", "user", "password")
}
