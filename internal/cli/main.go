package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Env is the process environment a command runs in.
type Env struct {
	Stdin          io.Reader // nil: os.Stdin
	Stdout, Stderr io.Writer
	Getenv         func(string) string
}

// exitError carries a specific exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError is a mistake in the command line: exit code 2.
func usageError(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

// runFunc is a command's work once its flags are parsed; args are the
// positional arguments.
type runFunc func(ctx context.Context, args []string) error

// leafSpec describes one runnable command. setup registers the command's
// own flags on fs and returns what runs once they are parsed, so flags are
// declared next to the code that reads them and cobra knows them all for
// help and completion before anything runs.
type leafSpec struct {
	use   string // "create DOMAIN"
	short string
	long  string // extra paragraphs for -h
	setup func(env *Env, fs *pflag.FlagSet) runFunc
}

// leaf builds the cobra command for spec.
func leaf(env *Env, spec leafSpec) *cobra.Command {
	cmd := &cobra.Command{Use: spec.use, Short: spec.short, Long: longText(spec),
		Args: cobra.ArbitraryArgs} // each command checks its arguments, with its own words
	run := spec.setup(env, cmd.Flags())
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := run(cmd.Context(), args); err != nil {
			return &runError{err}
		}
		return nil
	}
	return cmd
}

func longText(spec leafSpec) string {
	if spec.long == "" {
		return ""
	}
	return spec.short + "\n\n" + spec.long
}

// group builds a command made of subcommands. Run bare or with a word it
// does not know, it is a usage error (exit 2) that lists what it has.
func group(use, short string, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short, Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 && args[0] == "help" { // "ssogate admin help", as git and go read it
				return cmd.Help()
			}
			if len(args) == 0 {
				return fmt.Errorf("missing command\n\n%s", cmd.UsageString())
			}
			return fmt.Errorf("unknown command %q\n\n%s", args[0], cmd.UsageString())
		}}
	cmd.AddCommand(subs...)
	return cmd
}

// runError marks an error that a command's own work returned (exit 1
// unless it says otherwise); everything else cobra returns is a mistake in
// the command line (exit 2).
type runError struct{ err error }

func (e *runError) Error() string { return e.err.Error() }
func (e *runError) Unwrap() error { return e.err }

// Main runs the command line and returns the process exit code: 0 success,
// 1 failure, 2 usage error.
func Main(ctx context.Context, args []string, env *Env) int {
	root := newRoot(env)
	root.SetArgs(args)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	if env.Stdin != nil {
		root.SetIn(env.Stdin)
	} else {
		root.SetIn(os.Stdin)
	}
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	name := strings.TrimPrefix(cmd.CommandPath(), "ssogate")
	fmt.Fprintf(env.Stderr, "ssogate%s: %v\n", name, err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	var re *runError
	if errors.As(err, &re) {
		return 1
	}
	return 2
}

// newRoot is the whole command tree.
func newRoot(env *Env) *cobra.Command {
	root := group("ssogate", "self-hosted dashboard SSO with domain-verified SSO connectors and an identity-aware access gateway")
	root.Long = root.Short + ".\n\n" +
		"The API clients (account, sso, token, member, audit, access) talk to ssogate or to api.cloudflare.com\n" +
		"and print the API's objects with --json, or one value with --field PATH:\n" +
		"  export CLOUDFLARE_ACCOUNT_ID=$(ssogate account list --field 0.id)"
	root.Version = versionLine(Version, buildInfo())
	root.SetVersionTemplate("{{.Version}}\n")
	root.SilenceErrors, root.SilenceUsage = true, true // Main prints the one error line
	root.SetFlagErrorFunc(flagError)
	root.SetUsageTemplate(usageTemplate)
	root.CompletionOptions.HiddenDefaultCmd = false
	root.AddCommand(commands(env)...)
	return root
}

var singleDash = regexp.MustCompile(`(?:in|flag:) -([a-z][a-z-]+)`)

// flagError turns pflag's words into a usage error that says what to type
// instead. The one mistake worth a hint: the standard library's -flag
// spelling, which pflag reads as a row of one-letter flags.
func flagError(cmd *cobra.Command, err error) error {
	msg := err.Error()
	if m := singleDash.FindStringSubmatch(msg); m != nil && len(m[1]) > 1 {
		msg += fmt.Sprintf(" (long flags take two dashes: --%s)", m[1])
	}
	return usageError("%s\nRun '%s -h' for its flags.", msg, cmd.CommandPath())
}

func init() {
	cobra.AddTemplateFunc("leaves", leaves)
}

// usageTemplate is cobra's, except that a group lists every command that
// can be typed under it, nested groups flattened ("account create NAME"),
// so one screen shows them all.
const usageTemplate = `Usage:
{{- if .HasAvailableSubCommands}} {{.CommandPath}} <command> [flags]

Commands:
{{leaves .}}
{{- else}} {{.UseLine}}
{{- end}}
{{- if .HasAvailableLocalFlags}}

Flags:
{{.LocalFlags.FlagUsages | trimTrailingWhitespaces}}
{{- end}}
{{- if .HasAvailableInheritedFlags}}

Global flags:
{{.InheritedFlags.FlagUsages | trimTrailingWhitespaces}}
{{- end}}
{{- if .HasAvailableSubCommands}}

Run '{{.CommandPath}} <command> -h' for the flags of a command.
{{- end}}
`

// leaves lists the runnable commands under a group, one "  path  summary"
// line each, aligned; the root lists its groups.
func leaves(g *cobra.Command) string {
	type row struct{ use, short string }
	var rows []row
	var walk func(c *cobra.Command, prefix string)
	walk = func(c *cobra.Command, prefix string) {
		for _, sub := range c.Commands() {
			if !sub.IsAvailableCommand() {
				continue
			}
			switch {
			case !g.HasParent(): // the root: one line per top-level command, or the screen fills up
				rows = append(rows, row{sub.Name(), sub.Short})
			case sub.HasAvailableSubCommands():
				walk(sub, prefix+sub.Name()+" ")
			default:
				rows = append(rows, row{prefix + sub.Use, sub.Short})
			}
		}
	}
	walk(g, "")
	width := 0
	for _, r := range rows {
		width = max(width, len(r.use))
	}
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "  %-*s  %s\n", width, r.use, r.short)
	}
	return strings.TrimRight(b.String(), "\n")
}
