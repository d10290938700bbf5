package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Env is the process environment a command runs in.
type Env struct {
	Stdin          io.Reader // nil: os.Stdin
	Stdout, Stderr io.Writer
	Getenv         func(string) string
}

type command struct {
	summary string
	run     func(ctx context.Context, env *Env, args []string) error
}

func commands() map[string]command {
	return map[string]command{
		"serve":   {"start the server (API, verification worker)", runServe},
		"migrate": {"show or apply database migrations: migrate status|up", migrateGroup.run},
		"admin":   {"work on the database directly: admin account create | admin token create | admin user password", runAdmin},
		"config":  {"check the configuration offline: config check", configGroup.run},
		"account": {"accounts through the API: account list|get", accountGroup.run},
		"api":     {"one request to any API route: api METHOD PATH [--data JSON]", runAPI},
		"sso":     {"SSO connectors through the API: create|list|get|verify|enable|disable|delete", ssoGroup.run},
		"token":   {"API tokens through the API: token verify", tokenGroup.run},
		"version": {"print the version and the revision it was built from (also --version)", runVersion},
		"dev-dns": {"serve TXT records on loopback to try verification offline", runDevDNS},
		"dev-idp": {"serve an OpenID provider (authentik layout) on loopback to try the Access login", runDevIdP},
		"demo":    {"the guide's whole flow on this machine: ssogate, an IdP, DNS and a demo company", runDemo},
	}
}

// exitError carries a specific exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

// Main runs the command line and returns the process exit code: 0 success,
// 1 failure, 2 usage error.
func Main(ctx context.Context, args []string, env *Env) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.Stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	name := args[0]
	if name == "--version" {
		name = "version" // the spelling other tools taught people
	}
	cmd, ok := commands()[name]
	if !ok {
		fmt.Fprintf(env.Stderr, "ssogate: unknown command %q\n\n", name)
		usage(env.Stderr)
		return 2
	}
	err := cmd.run(ctx, env, args[1:])
	if err == nil {
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintf(env.Stderr, "ssogate %s: %v\n", name, err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "ssogate: self-hosted dashboard SSO with domain-verified SSO connectors.\n\nUsage: ssogate <command> [flags]\n\nCommands:")
	cmds := commands()
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'ssogate <command> -h' for the flags of a command. The API clients (account, sso, token)\n"+
		"print the API's objects with --json, or one value with --field PATH:\n"+
		"  export CLOUDFLARE_ACCOUNT_ID=$(ssogate account list --field 0.id)")
}

// usageError is a mistake in the command line: exit code 2.
func usageError(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(env *Env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet("ssogate "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: ssogate %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

func joinArgs(args []string) string { return strings.Join(args, " ") }
