package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ssogate/ssogate/internal/audit"
)

// commands are the top level of the tree. Summaries name the positional
// arguments; flags are left to each command's -h.
func commands(env *Env) []*cobra.Command {
	return append([]*cobra.Command{
		leaf(env, leafSpec{use: "serve", short: "start the server (API, dashboard, Access, verification worker)", setup: setupServe}),
		leaf(env, leafSpec{use: "healthcheck", short: "exit 0 when the server on --listen answers /healthz (for container health checks)", setup: setupHealthcheck}),
		group("migrate", "show or apply database migrations",
			leaf(env, leafSpec{use: "status", short: "show which migrations are applied", setup: setupMigrate("status")}),
			leaf(env, leafSpec{use: "up", short: "apply the pending migrations", setup: setupMigrate("up")}),
		),
		adminCommands(env),
		group("config", "check the configuration offline",
			leaf(env, leafSpec{use: "check", short: "load and validate the configuration offline and print it, secrets redacted", setup: setupConfigCheck}),
		),
		group("account", "accounts through the API",
			leaf(env, leafSpec{use: "list", short: "list the accounts the API token can see", setup: setupAccountList}),
			leaf(env, leafSpec{use: "get [ID]", short: "show one account (ID defaults to " + envAccount + ")", setup: setupAccountGet}),
		),
		leaf(env, leafSpec{use: "api METHOD PATH", short: "one request to any API route", long: apiLong, setup: setupAPI}),
		ssoCommands(env),
		tokenCommands(env),
		leaf(env, leafSpec{use: "version", short: "print the version and the revision it was built from (also --version)", setup: setupVersion}),
		leaf(env, leafSpec{use: "dev-dns", short: "serve TXT records on loopback to try verification offline", setup: setupDevDNS}),
		leaf(env, leafSpec{use: "dev-idp", short: "serve an OpenID provider (authentik layout) on loopback to try the Access login", setup: setupDevIdP}),
		leaf(env, leafSpec{use: "demo", short: "the guide's whole flow on this machine: ssogate, an IdP, DNS and a demo company", long: demoLong, setup: setupDemo}),
	}, resourceCommands(env)...)
}

func ssoCommands(env *Env) *cobra.Command {
	return group("sso", "SSO connectors through the API",
		leaf(env, leafSpec{use: "create DOMAIN", short: "create an SSO connector for an email domain", setup: setupSSOCreate}),
		leaf(env, leafSpec{use: "list", short: "list the account's SSO connectors", setup: setupSSOList}),
		leaf(env, leafSpec{use: "get [ID]", short: "show one SSO connector", setup: setupSSOGet}),
		leaf(env, leafSpec{use: "verify [ID]", short: "look for the TXT record, start verification, --wait for the verdict", setup: setupSSOVerify}),
		leaf(env, leafSpec{use: "enable [ID]", short: "enable a connector; its domain must verify", setup: setupSSOSetEnabled(true)}),
		leaf(env, leafSpec{use: "disable [ID]", short: "disable a connector", setup: setupSSOSetEnabled(false)}),
		leaf(env, leafSpec{use: "delete [ID]", short: "delete a disabled connector, releasing its domain", setup: setupSSODelete}),
	)
}

func tokenCommands(env *Env) *cobra.Command {
	return group("token", "API tokens through the API",
		leaf(env, leafSpec{use: "verify", short: "check the API token in " + envToken + " or --token-file", setup: setupTokenVerify}),
		leaf(env, leafSpec{use: "list", short: "list the account's API tokens", setup: setupTokenList}),
		leaf(env, leafSpec{use: "create", short: "create an account API token: --permission NAME…; prints its value once", long: tokenCreateLong, setup: setupTokenCreate}),
		leaf(env, leafSpec{use: "roll ID", short: "give an API token a new value (printed once); the old one stops working", setup: setupTokenRoll}),
		leaf(env, leafSpec{use: "delete ID", short: "delete an API token", setup: setupTokenDelete}),
	)
}

// adminCommands work on the database directly; everything below it is the
// CLI's doing in the audit log.
func adminCommands(env *Env) *cobra.Command {
	cmd := group("admin", "work on the database directly (no server needed)",
		group("account", "accounts",
			leaf(env, leafSpec{use: "create NAME", short: "create an account", setup: setupAdminAccountCreate})),
		group("token", "API tokens",
			leaf(env, leafSpec{use: "create", short: "create an API token: --account ID --permission NAME...", setup: setupAdminTokenCreate})),
		group("user", "dashboard users",
			leaf(env, leafSpec{use: "password EMAIL", short: "give a dashboard user a new, generated password", setup: setupAdminUserPassword})),
	)
	cmd.AddCommand(adminDataCommands(env)...)
	cmd.PersistentPreRun = func(cmd *cobra.Command, _ []string) {
		cmd.SetContext(audit.WithActor(cmd.Context(), audit.Actor{ID: "ssogate-admin", Type: "system", Interface: "CLI"}))
	}
	return cmd
}

// noArgs rejects positional arguments for commands that take flags only:
// a stray word is most likely a misspelt subcommand or a flag without its
// dashes, and ignoring it would hide the mistake.
func noArgs(args []string) error {
	if len(args) > 0 {
		return usageError("unexpected argument %q: this command takes flags only (-h lists them)", args[0])
	}
	return nil
}

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return fmt.Sprint([]string(*s)) }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }
func (s *stringList) Type() string       { return "stringArray" }

var _ pflag.Value = (*stringList)(nil)
