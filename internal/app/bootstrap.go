package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ssogate/ssogate/internal/accounts"
	"github.com/ssogate/ssogate/internal/config"
	"github.com/ssogate/ssogate/internal/store"
	"github.com/ssogate/ssogate/internal/tokens"
)

// BootstrapResult is what the first start created.
type BootstrapResult struct {
	Account  accounts.Account
	Email    string
	Password string // set only when generated here, to be printed once
	Token    *tokens.View
}

// errAlreadyBootstrapped stops the bootstrap transaction.
var errAlreadyBootstrapped = errors.New("already bootstrapped")

// Bootstrap creates, once per database, the first account, its super
// administrator and optionally an all-permissions API token with the value
// the operator chose. The "bootstrapped" marker is inserted first in the
// same transaction, so two instances starting together on PostgreSQL
// cannot both bootstrap: the second blocks on the key, then fails it.
func Bootstrap(ctx context.Context, db *store.DB, tok *tokens.Service, cfg config.Config) (*BootstrapResult, error) {
	var res *BootstrapResult
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('bootstrapped', $1)`,
			time.Now().UTC().Format(time.RFC3339))
		if store.IsUniqueViolation(err) {
			return errAlreadyBootstrapped
		}
		if err != nil {
			return err
		}
		res, err = bootstrapTx(ctx, tx, tok, cfg)
		return err
	})
	if errors.Is(err, errAlreadyBootstrapped) {
		return nil, nil
	}
	return res, err
}

func bootstrapTx(ctx context.Context, tx *sql.Tx, tok *tokens.Service, cfg config.Config) (*BootstrapResult, error) {
	now := time.Now()
	acct, err := accounts.Create(ctx, tx, cfg.BootstrapAccountName, now)
	if err != nil {
		return nil, err
	}
	res := &BootstrapResult{Account: acct, Email: cfg.BootstrapEmail}
	password := cfg.BootstrapPassword
	if password == "" {
		password = accounts.NewPassword()
		res.Password = password
	}
	if _, err := accounts.AddMember(ctx, tx, acct.ID, cfg.BootstrapEmail, accounts.HashPassword(password),
		accounts.RoleSuperAdmin, now); err != nil {
		return nil, fmt.Errorf("bootstrap member %s: %w", cfg.BootstrapEmail, err)
	}
	if cfg.BootstrapToken != "" {
		v, err := tok.CreateTx(ctx, tx, acct.ID, AllPermissions(acct.ID, "bootstrap token"), cfg.BootstrapToken)
		if err != nil {
			return nil, fmt.Errorf("bootstrap token: %w", err)
		}
		res.Token = &v
	}
	return res, nil
}

// AllPermissions is a token input granting every permission group on the account.
func AllPermissions(accountID, name string) tokens.Input {
	var refs []tokens.GroupRef
	for _, g := range tokens.Catalogue() {
		refs = append(refs, tokens.GroupRef{ID: g.ID})
	}
	return TokenInput(accountID, name, refs)
}

// TokenInput is a token input allowing groups on the account.
func TokenInput(accountID, name string, groups []tokens.GroupRef) tokens.Input {
	pol := []tokens.Policy{{Effect: "allow", PermissionGroups: groups,
		Resources: map[string]any{tokens.AccountScope + "." + accountID: "*"}}}
	return tokens.Input{Name: &name, Policies: &pol}
}

// PrintStart tells the operator where ssogate listens and, after the first
// start, what was created and what to try next.
func PrintStart(out io.Writer, a *App, baseURL string) {
	fmt.Fprintf(out, "ssogate listening on %s (database: %s)\n", baseURL, a.DB.Where)
	b := a.Bootstrap
	if b == nil {
		return
	}
	fmt.Fprintf(out, "\nFirst start: created account %q\n  account id: %s\n  super administrator: %s\n  dashboard: %s/login\n",
		b.Account.Name, b.Account.ID, b.Email, a.dashboardURL())
	if b.Password != "" {
		fmt.Fprintf(out, "  password (shown once, stored only as a hash): %s\n", b.Password)
	}
	api := baseURL + "/client/v4"
	if b.Token != nil {
		fmt.Fprintf(out, "  API token %s with every permission: the value of SSOGATE_BOOTSTRAP_TOKEN\n", b.Token.ID)
	} else {
		fmt.Fprintf(out, "\nCreate an API token with:\n  %s admin token create --account %s --permission \"SSO Connector Write\"\n", invokedAs(), b.Account.ID)
	}
	fmt.Fprintf(out, "\nNext, as in the integration guide:\n"+
		"  export CLOUDFLARE_API_TOKEN=<token>\n  export CLOUDFLARE_ACCOUNT_ID=%s\n"+
		"  curl %s/accounts/$CLOUDFLARE_ACCOUNT_ID/sso_connectors --request POST \\\n"+
		"    --header \"Authorization: Bearer $CLOUDFLARE_API_TOKEN\" --json '{\"email_domain\":\"acmecorp.company\"}'\n"+
		"  %s sso list --api-url %s\n\n", b.Account.ID, api, invokedAs(), api)
}

// invokedAs is how the operator runs this binary, for the commands the
// banner suggests: `go run` (the README's first command) builds into a
// temporary go-build directory and leaves no ssogate on the PATH.
func invokedAs() string {
	exe, err := os.Executable()
	if err == nil && strings.Contains(exe, string(filepath.Separator)+"go-build") {
		return "go run ./cmd/ssogate"
	}
	return "ssogate"
}

// IgnoredBootstrap names the SSOGATE_BOOTSTRAP_* settings that were given:
// on a database bootstrapped before they do nothing, and silence would let
// the operator believe their chosen token or password works.
func IgnoredBootstrap(cfg config.Config) []string {
	def := config.Default()
	var set []string
	for _, v := range []struct {
		name       string
		value, dfl string
	}{
		{"SSOGATE_BOOTSTRAP_EMAIL", cfg.BootstrapEmail, def.BootstrapEmail},
		{"SSOGATE_BOOTSTRAP_PASSWORD", cfg.BootstrapPassword, def.BootstrapPassword},
		{"SSOGATE_BOOTSTRAP_TOKEN", cfg.BootstrapToken, def.BootstrapToken},
		{"SSOGATE_BOOTSTRAP_ACCOUNT_NAME", cfg.BootstrapAccountName, def.BootstrapAccountName},
	} {
		if v.value != v.dfl {
			set = append(set, v.name)
		}
	}
	return set
}

// where names the database for messages, without a PostgreSQL password.
func (a *App) where() string {
	if a.Config.DatabaseURL != "" {
		return "the PostgreSQL database"
	}
	return "the database in " + a.Config.DataDir
}
