package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"time"

	"github.com/ssogate/ssogate/internal/accounts"
	"github.com/ssogate/ssogate/internal/app"
	"github.com/ssogate/ssogate/internal/config"
	"github.com/ssogate/ssogate/internal/store"
	"github.com/ssogate/ssogate/internal/tokens"
)

func loadConfig(env *Env, fs *flag.FlagSet, args []string) (config.Config, error) {
	cfg, err := config.Load(fs, args, env.Getenv)
	if err != nil && err != flag.ErrHelp {
		return cfg, usageError("configuration:\n%v", err)
	}
	return cfg, err
}

func runServe(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "serve", "serve [flags]")
	cfg, err := loadConfig(env, fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	return app.Run(ctx, cfg, env.Stdout, env.Stderr)
}

func runConfigCheck(_ context.Context, env *Env, args []string) error {
	fs := newFlags(env, "config check", "config check [server flags]")
	cfg, err := loadConfig(env, fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	fmt.Fprint(env.Stdout, cfg.String())
	fmt.Fprintln(env.Stdout, "configuration OK")
	return nil
}

// runMigrate is migrate status and migrate up.
func runMigrate(ctx context.Context, env *Env, verb string, args []string) error {
	fs := newFlags(env, "migrate "+verb, "migrate "+verb+" [--data-dir DIR | --database-url URL]")
	cfg, err := loadConfig(env, fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
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

func adminAccountCreate(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "admin account create", "admin account create [flags] NAME")
	asJSON := fs.Bool("json", false, "print the account as JSON")
	cfg, err := loadConfig(env, fs, args)
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("give exactly one account name (quote it if it has spaces)")
	}
	db, err := store.Open(ctx, cfg.DatabaseURL, cfg.DataDir) // after the argument checks: a usage error creates nothing
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	a, err := accounts.NewService(db).CreateAccount(ctx, fs.Arg(0))
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(env, a)
	}
	fmt.Fprintf(env.Stdout, "created account %q\naccount id: %s\n", a.Name, a.ID)
	return nil
}

type stringList []string

func (s *stringList) String() string     { return fmt.Sprint([]string(*s)) }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func adminTokenCreate(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "admin token create", "admin token create --account ID --permission NAME [--permission NAME...] [flags]")
	account := fs.String("account", "", "account id (32 hex characters)")
	name := fs.String("name", "", "token name (default: the permissions)")
	asJSON := fs.Bool("json", false, "print the token as JSON, value included")
	var perms stringList
	fs.Var(&perms, "permission", "permission group name, e.g. \"SSO Connector Write\" (repeatable)")
	cfg, err := loadConfig(env, fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	refs, err := permissionRefs(perms)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DatabaseURL, cfg.DataDir) // after the argument checks: a usage error creates nothing
	if err != nil {
		return err
	}
	defer db.Close()
	if *name == "" {
		*name = joinArgs(perms)
	}
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	if _, err := accounts.Get(ctx, db, *account); err != nil {
		return usageError("account %q was not found; list accounts with the API or create one with: ssogate admin account create NAME", *account)
	}
	svc := tokens.NewService(db, nil, nil)
	v, err := svc.Create(ctx, *account, app.TokenInput(*account, *name, refs), nil)
	if err != nil {
		return err
	}
	if *asJSON {
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
