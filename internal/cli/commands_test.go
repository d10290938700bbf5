package cli_test

import (
	"strings"
	"testing"

	"github.com/ssogate/ssogate/internal/ids"
	"github.com/ssogate/ssogate/internal/tokens"
)

// TestSubcommandMistakes: at every level a missing or unknown subcommand
// exits 2 naming the word and listing the valid ones, and a stray word
// after a command that takes flags only is refused rather than ignored.
func TestSubcommandMistakes(t *testing.T) {
	t.Parallel()
	env := dataDirEnv(t)
	tests := []struct {
		args  []string
		wants []string // in stderr, after "ssogate <command>: "
	}{
		{[]string{"sso", "frobnicate"}, []string{`unknown command "frobnicate"`, "Usage: ssogate sso <command>",
			"create", "list", "get", "verify", "enable", "disable", "delete"}},
		{[]string{"account", "frobnicate"}, []string{`unknown command "frobnicate"`, "Usage: ssogate account <command>", "list", "get [ID]"}},
		{[]string{"token", "frobnicate"}, []string{`unknown command "frobnicate"`, "Usage: ssogate token <command>", "verify"}},
		{[]string{"admin", "frobnicate"}, []string{`unknown command "frobnicate"`, "Usage: ssogate admin <command>",
			"account create", "token create", "user password"}},
		{[]string{"admin", "token", "frobnicate"}, []string{`unknown command "frobnicate"`, "Usage: ssogate admin token <command>", "create"}},
		{[]string{"admin", "account", "frobnicate"}, []string{`unknown command "frobnicate"`, "Usage: ssogate admin account <command>", "create"}},
		{[]string{"admin", "user", "frobnicate"}, []string{`unknown command "frobnicate"`, "Usage: ssogate admin user <command>", "password"}},
		{[]string{"migrate", "frobnicate"}, []string{`unknown command "frobnicate"`, "Usage: ssogate migrate <command>", "status", "up"}},
		{[]string{"config", "frobnicate"}, []string{`unknown command "frobnicate"`, "Usage: ssogate config <command>", "check"}},

		{[]string{"sso"}, []string{"missing command", "Usage: ssogate sso <command>", "create"}},
		{[]string{"token"}, []string{"missing command", "verify"}},
		{[]string{"account"}, []string{"missing command", "Usage: ssogate account <command>", "list"}},
		{[]string{"admin", "token"}, []string{"missing command", "Usage: ssogate admin token <command>", "create"}},
		{[]string{"migrate"}, []string{"missing command", "status", "up"}},

		{[]string{"version", "frobnicate"}, []string{`unexpected argument "frobnicate"`}},
		{[]string{"serve", "frobnicate"}, []string{`unexpected argument "frobnicate"`}},
		{[]string{"migrate", "status", "frobnicate"}, []string{`unexpected argument "frobnicate"`}},
		{[]string{"migrate", "up", "frobnicate"}, []string{`unexpected argument "frobnicate"`}},
		{[]string{"config", "check", "frobnicate"}, []string{`unexpected argument "frobnicate"`}},
		{[]string{"admin", "token", "create", "--account", ids.NewHex32(), "--permission", tokens.SSORead, "frobnicate"},
			[]string{`unexpected argument "frobnicate"`}},
		{[]string{"dev-dns", "frobnicate", "--txt", "a.example=b"}, []string{`unexpected argument "frobnicate"`}},
		{[]string{"dev-idp", "frobnicate"}, []string{`unexpected argument "frobnicate"`}},
		{[]string{"sso", "list", "frobnicate"}, []string{`unexpected argument "frobnicate"`}},
		{[]string{"account", "list", "frobnicate"}, []string{`unexpected argument "frobnicate"`}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			r := must(t, 2, env, tt.args...)
			if prefix := "ssogate " + tt.args[0]; !strings.HasPrefix(r.stderr, prefix) {
				t.Errorf("stderr does not start with %q:\n%s", prefix, r.stderr)
			}
			contains(t, "stderr", r.stderr, tt.wants...)
			if r.stdout != "" {
				t.Errorf("a usage error printed to stdout:\n%s", r.stdout)
			}
		})
	}
}

// TestSubcommandHelp: help at a group level is the group's usage, on
// stdout, exit 0, as at the top.
func TestSubcommandHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"sso", "-h"}, {"sso", "--help"}, {"admin", "help"}, {"admin", "token", "-h"}, {"account", "-h"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := must(t, 0, nil, args...)
			contains(t, "stdout", r.stdout, "Usage: ssogate "+strings.Join(args[:len(args)-1], " ")+" <command>", "-h' for the flags")
		})
	}
}

// TestVersionSpellings: version and --version print the same line. What
// the line holds depends on how the test binary was built (CI builds with
// -buildvcs=false), so only its shape is checked here; versionLine has
// the table test.
func TestVersionSpellings(t *testing.T) {
	t.Parallel()
	a := must(t, 0, nil, "version").stdout
	b := must(t, 0, nil, "--version").stdout
	if a != b || !strings.HasPrefix(a, "ssogate ") || strings.Count(a, "\n") != 1 {
		t.Errorf("version printed %q, --version %q; want the same single ssogate line", a, b)
	}
}
