package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/ssogate/ssogate/internal/accounts"
	"github.com/ssogate/ssogate/internal/app"
	"github.com/ssogate/ssogate/internal/config"
	"github.com/ssogate/ssogate/internal/store"
	"github.com/ssogate/ssogate/internal/tokens"
)

// loadConfig loads the settings bound to a command: a mistake in any of
// them is a usage error, all of them listed.
func loadConfig(env *Env, f *config.Flags) (config.Config, error) {
	cfg, err := f.Load(env.Getenv)
	if err != nil {
		return cfg, usageError("configuration:\n%v", err)
	}
	return cfg, nil
}

// configured loads the configuration after checking that the command got
// no positional arguments.
func configured(env *Env, f *config.Flags, args []string) (config.Config, error) {
	if err := noArgs(args); err != nil {
		return config.Config{}, err
	}
	return loadConfig(env, f)
}

func setupServe(env *Env, fs *pflag.FlagSet) runFunc {
	settings := config.Bind(fs, config.AllSettings)
	return func(ctx context.Context, args []string) error {
		cfg, err := configured(env, settings, args)
		if err != nil {
			return err
		}
		return app.Run(ctx, cfg, env.Stdout, env.Stderr)
	}
}

func setupConfigCheck(env *Env, fs *pflag.FlagSet) runFunc {
	settings := config.Bind(fs, config.AllSettings)
	return func(_ context.Context, args []string) error {
		cfg, err := configured(env, settings, args)
		if err != nil {
			return err
		}
		fmt.Fprint(env.Stdout, cfg.String())
		fmt.Fprintln(env.Stdout, "configuration OK")
		return nil
	}
}

// setupMigrate is migrate status and migrate up.
func setupMigrate(verb string) func(env *Env, fs *pflag.FlagSet) runFunc {
	return func(env *Env, fs *pflag.FlagSet) runFunc {
		settings := config.Bind(fs, config.StorageSettings)
		return func(ctx context.Context, args []string) error {
			cfg, err := configured(env, settings, args)
			if err != nil {
				return err
			}
			return runMigrate(ctx, env, verb, cfg)
		}
	}
}

func runMigrate(ctx context.Context, env *Env, verb string, cfg config.Config) error {
	db, err := store.Open(ctx, cfg.DatabaseURL, cfg.DataDir) // after the argument checks: a usage error creates nothing
	if err != nil {
		return err
	}
	defer db.Close()
	if verb == "up" {
		return migrateUp(ctx, env, db)
	}
	return migrateStatus(ctx, env, db)
}

func migrateUp(ctx context.Context, env *Env, db *store.DB) error {
	applied, err := db.Migrate(ctx)
	for _, m := range applied {
		fmt.Fprintf(env.Stdout, "applied %04d_%s\n", m.Version, m.Name)
	}
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(env.Stdout, "database is up to date")
	}
	return nil
}

func migrateStatus(ctx context.Context, env *Env, db *store.DB) error {
	status, err := db.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "database: %s\n", db.Where)
	for _, m := range status {
		state := "pending"
		if m.AppliedOn != nil {
			state = "applied " + m.AppliedOn.Format(time.RFC3339)
		}
		fmt.Fprintf(env.Stdout, "%04d_%-20s %s\n", m.Version, m.Name, state)
	}
	return nil
}

func setupAdminAccountCreate(env *Env, fs *pflag.FlagSet) runFunc {
	asJSON := fs.Bool("json", false, "print the account as JSON")
	settings := config.Bind(fs, config.StorageSettings)
	return func(ctx context.Context, args []string) error {
		if len(args) != 1 {
			return usageError("give exactly one account name (quote it if it has spaces)")
		}
		cfg, err := loadConfig(env, settings)
		if err != nil {
			return err
		}
		db, err := openMigrated(ctx, cfg) // after the argument checks: a usage error creates nothing
		if err != nil {
			return err
		}
		defer db.Close()
		a, err := accounts.NewService(db).CreateAccount(ctx, args[0])
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(env, a)
		}
		fmt.Fprintf(env.Stdout, "created account %q\naccount id: %s\n", a.Name, a.ID)
		return nil
	}
}

// openMigrated opens the configured database and brings its schema up to
// date, as the server would on start.
func openMigrated(ctx context.Context, cfg config.Config) (*store.DB, error) {
	db, err := store.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func setupAdminTokenCreate(env *Env, fs *pflag.FlagSet) runFunc {
	account := fs.String("account", "", "account id (32 hex characters)")
	name := fs.String("name", "", "token name (default: the permissions)")
	asJSON := fs.Bool("json", false, "print the token as JSON, value included")
	var perms stringList
	fs.Var(&perms, "permission", "permission group `NAME`, e.g. \"SSO Connector Write\" (repeatable)")
	settings := config.Bind(fs, config.StorageSettings)
	return func(ctx context.Context, args []string) error {
		cfg, err := configured(env, settings, args)
		if err != nil {
			return err
		}
		return adminTokenCreate(ctx, env, cfg, *account, *name, perms, *asJSON)
	}
}

func adminTokenCreate(ctx context.Context, env *Env, cfg config.Config, account, name string, perms []string, asJSON bool) error {
	refs, err := permissionRefs(perms)
	if err != nil {
		return err
	}
	db, err := openMigrated(ctx, cfg) // after the argument checks: a usage error creates nothing
	if err != nil {
		return err
	}
	defer db.Close()
	if name == "" {
		name = strings.Join(perms, " ")
	}
	if _, err := accounts.Get(ctx, db, account); err != nil {
		return usageError("account %q was not found; list accounts with the API or create one with: ssogate admin account create NAME", account)
	}
	svc := tokens.NewService(db, nil, nil)
	v, err := svc.Create(ctx, account, app.TokenInput(account, name, refs), nil)
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(env, v)
	}
	fmt.Fprintf(env.Stdout, "created API token %s (%s)\nvalue (shown once): %s\n", v.ID, v.Name, v.Value)
	return nil
}

func permissionRefs(names []string) ([]tokens.GroupRef, error) {
	if len(names) == 0 {
		return nil, usageError("give at least one --permission, e.g. --permission \"SSO Connector Write\"")
	}
	var refs []tokens.GroupRef
	for _, n := range names {
		g, ok := tokens.GroupByName(n)
		if !ok {
			var known []string
			for _, c := range tokens.Catalogue() {
				known = append(known, c.Name)
			}
			return nil, usageError("unknown permission %q; known: %v", n, known)
		}
		refs = append(refs, tokens.GroupRef{ID: g.ID})
	}
	return refs, nil
}

func printJSON(env *Env, v any) error {
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
