package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/ssogate/ssogate/internal/audit"
)

// group is a command made of subcommands ("sso", "admin token"). Every
// level dispatches through it, so a missing or unknown subcommand reads
// the same everywhere: exit 2, the word that was not understood, and the
// valid ones.
type group struct {
	path string // after "ssogate ": "sso", "admin token"
	subs []sub  // in the order usage lists them
}

// sub is one subcommand: a runnable leaf, or a further group.
type sub struct {
	name    string
	args    string // leaves only: the positional arguments, for usage
	summary string // leaves only
	run     func(ctx context.Context, env *Env, args []string) error
	group   *group
}

func (g *group) run(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return usageError("missing command\n\n%s", g.usage())
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(env.Stdout, g.usage())
		return flag.ErrHelp
	}
	for _, s := range g.subs {
		if s.name != args[0] {
			continue
		}
		if s.group != nil {
			return s.group.run(ctx, env, args[1:])
		}
		return s.run(ctx, env, args[1:])
	}
	return usageError("unknown command %q\n\n%s", args[0], g.usage())
}

// usage lists every runnable command under g, nested groups flattened
// ("account create"), so one screen shows all that can be typed.
func (g *group) usage() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: ssogate %s <command> [flags]\n\nCommands:\n", g.path)
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	g.list(tw, "")
	tw.Flush()
	fmt.Fprintf(&b, "\nRun 'ssogate %s <command> -h' for the flags of a command.", g.path)
	return b.String()
}

func (g *group) list(w io.Writer, prefix string) {
	for _, s := range g.subs {
		if s.group != nil {
			s.group.list(w, prefix+s.name+" ")
			continue
		}
		fmt.Fprintf(w, "  %s\t%s\n", strings.TrimSpace(prefix+s.name+" "+s.args), s.summary)
	}
}

// The command groups. Summaries name the positional arguments; flags are
// left to each command's -h.

var ssoGroup = &group{path: "sso", subs: []sub{
	{name: "create", args: "DOMAIN", summary: "create an SSO connector for an email domain", run: ssoCreate},
	{name: "list", summary: "list the account's SSO connectors", run: ssoList},
	{name: "get", args: "[ID]", summary: "show one SSO connector", run: ssoGet},
	{name: "verify", args: "[ID]", summary: "look for the TXT record, start verification, --wait for the verdict", run: ssoVerify},
	{name: "enable", args: "[ID]", summary: "enable a connector; its domain must verify", run: func(ctx context.Context, env *Env, args []string) error {
		return ssoSetEnabled(ctx, env, args, true)
	}},
	{name: "disable", args: "[ID]", summary: "disable a connector", run: func(ctx context.Context, env *Env, args []string) error {
		return ssoSetEnabled(ctx, env, args, false)
	}},
	{name: "delete", args: "[ID]", summary: "delete a disabled connector, releasing its domain", run: ssoDelete},
}}

var accountGroup = &group{path: "account", subs: []sub{
	{name: "list", summary: "list the accounts the API token can see", run: accountList},
	{name: "get", args: "[ID]", summary: "show one account (ID defaults to " + envAccount + ")", run: accountGet},
}}

var tokenGroup = &group{path: "token", subs: []sub{
	{name: "verify", summary: "check the API token in " + envToken + " or --token-file", run: tokenVerify},
}}

var adminGroup = &group{path: "admin", subs: []sub{
	{name: "account", group: &group{path: "admin account", subs: []sub{
		{name: "create", args: "NAME", summary: "create an account", run: adminAccountCreate},
	}}},
	{name: "token", group: &group{path: "admin token", subs: []sub{
		{name: "create", args: "--account ID --permission NAME...", summary: "create an API token", run: adminTokenCreate},
	}}},
	{name: "user", group: &group{path: "admin user", subs: []sub{
		{name: "password", args: "EMAIL", summary: "give a dashboard user a new, generated password", run: adminUserPassword},
	}}},
}}

var migrateGroup = &group{path: "migrate", subs: []sub{
	{name: "status", summary: "show which migrations are applied", run: func(ctx context.Context, env *Env, args []string) error {
		return runMigrate(ctx, env, "status", args)
	}},
	{name: "up", summary: "apply the pending migrations", run: func(ctx context.Context, env *Env, args []string) error {
		return runMigrate(ctx, env, "up", args)
	}},
}}

var configGroup = &group{path: "config", subs: []sub{
	{name: "check", summary: "load and validate the configuration offline, secrets redacted", run: runConfigCheck},
}}

// runAdmin marks everything below it as the CLI's doing in the audit log.
func runAdmin(ctx context.Context, env *Env, args []string) error {
	ctx = audit.WithActor(ctx, audit.Actor{ID: "ssogate-admin", Type: "system", Interface: "CLI"})
	return adminGroup.run(ctx, env, args)
}

// noArgs rejects positional arguments for commands that take flags only:
// a stray word is most likely a misspelt subcommand or a flag without its
// dashes, and ignoring it would hide the mistake.
func noArgs(fs *flag.FlagSet) error {
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q: this command takes flags only (-h lists them)", fs.Arg(0))
	}
	return nil
}
