package cli

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/ssogate/ssogate/internal/accounts"
	"github.com/ssogate/ssogate/internal/config"
	"github.com/ssogate/ssogate/internal/store"
)

// adminUserPassword sets a new, generated password for a user: the way
// back in for a member who never had one (SSO only) once SSO is disabled
// for lock-out recovery, or who forgot theirs. It works on the database
// directly, so it needs access to the data directory, not a dashboard.
func setupAdminUserPassword(env *Env, fs *pflag.FlagSet) runFunc {
	settings := config.Bind(fs, config.StorageSettings)
	return func(ctx context.Context, args []string) error {
		if len(args) != 1 {
			return usageError("give exactly one email address")
		}
		email, err := accounts.NormalizeEmail(args[0])
		if err != nil {
			return usageError("%q is not an email address", args[0])
		}
		cfg, err := loadConfig(env, settings)
		if err != nil {
			return err
		}
		return adminUserPassword(ctx, env, cfg, email)
	}
}

func adminUserPassword(ctx context.Context, env *Env, cfg config.Config, email string) error {
	db, err := store.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	pw := accounts.NewPassword()
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		u, err := accounts.UserByEmail(ctx, tx, email)
		if err != nil {
			return err
		}
		return accounts.SetPassword(ctx, tx, u.ID, accounts.HashPassword(pw))
	})
	if errors.Is(err, store.ErrNotFound) {
		return usageError("no user has the address %s", email)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "new password for %s (shown once, stored only as a hash): %s\n", email, pw)
	fmt.Fprintln(env.Stdout, "It signs in to the dashboard unless single sign-on is enforced for the address's domain (ssogate sso disable turns that off).")
	return nil
}
