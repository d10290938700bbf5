package cli_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFieldCapturesOfTheGuide runs the README's captures in order, from a
// shell that knows only the token:
//
//	export CLOUDFLARE_ACCOUNT_ID=$(ssogate account list --field 0.id)
//	export CLOUDFLARE_SSO_CONNECTOR_ID=$(ssogate sso list --field 0.id)
//	ssogate dev-dns --txt "acmecorp.company=$(ssogate sso get --field verification.code)"
//
// A capture is stdout minus the shell's trailing newline.
func TestFieldCapturesOfTheGuide(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	env := with(ts.env(), "CLOUDFLARE_ACCOUNT_ID", "")
	capture := func(args ...string) string {
		t.Helper()
		r := must(t, 0, env, args...)
		if strings.Count(r.stdout, "\n") != 1 || !strings.HasSuffix(r.stdout, "\n") {
			t.Errorf("ssogate %s printed %q, want one line", strings.Join(args, " "), r.stdout)
		}
		return strings.TrimRight(r.stdout, "\n")
	}

	if got := capture("account", "list", "--field", "0.id"); got != ts.account {
		t.Fatalf("account list --field 0.id = %q, want %s", got, ts.account)
	}
	env["CLOUDFLARE_ACCOUNT_ID"] = ts.account
	c := createJSON(t, env, testDomain)
	if got := capture("sso", "list", "--field", "0.id"); got != c.ID {
		t.Fatalf("sso list --field 0.id = %q, want %s", got, c.ID)
	}
	env["CLOUDFLARE_SSO_CONNECTOR_ID"] = c.ID
	if got := capture("sso", "get", "--field", "verification.code"); got != c.Verification.Code {
		t.Errorf("sso get --field verification.code = %q, want %q", got, c.Verification.Code)
	}
}

// TestFieldOutput: what --field prints for each kind of value, on every
// kind of client command.
func TestFieldOutput(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	env := ts.env()
	a := createJSON(t, env, testDomain)
	b := createJSON(t, env, "widgetco.company")
	tests := []struct {
		args []string
		want []string // the lines of stdout, in any order
	}{
		{[]string{"sso", "get", a.ID, "--field", "verification.code"}, []string{a.Verification.Code}},
		{[]string{"sso", "get", a.ID, "--field", "verification.dns_record"},
			[]string{`{"type":"TXT","name":"` + testDomain + `","content":"` + a.Verification.Code + `"}`}},
		{[]string{"sso", "get", a.ID, "--field", "enabled"}, []string{"false"}},
		{[]string{"sso", "get", a.ID, "--field", "email_domain", "--json"}, []string{testDomain}},
		{[]string{"sso", "list", "--field", "#.id"}, []string{a.ID, b.ID}},
		{[]string{"sso", "list", "--field", "#.email_domain"}, []string{testDomain, "widgetco.company"}},
		{[]string{"sso", "list", "--field", "#"}, []string{"2"}},
		{[]string{"sso", "create", "gadgetco.company", "--begin-verification=false", "--field", "verification.status"}, []string{"awaiting"}},
		{[]string{"sso", "disable", a.ID, "--field", "enabled"}, []string{"false"}},
		{[]string{"account", "list", "--field", "0.name"}, []string{ts.accountName}},
		{[]string{"account", "list", "--field", "#.id"}, []string{ts.account}},
		{[]string{"account", "get", "--field", "name"}, []string{ts.accountName}},
		{[]string{"token", "verify", "--field", "status"}, []string{"active"}},
		{[]string{"token", "verify", "--field", "id"}, []string{ts.tokenID}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := must(t, 0, env, tt.args...)
			if !strings.HasSuffix(r.stdout, "\n") {
				t.Fatalf("stdout %q does not end in a newline", r.stdout)
			}
			got := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
			sort.Strings(got)
			sort.Strings(tt.want)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("stdout lines (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFieldMatchingNothing: a script capturing a path that is not there
// fails loudly, told what the path could have named, instead of exporting
// an empty string.
func TestFieldMatchingNothing(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	env := ts.env()
	r := must(t, 1, env, "sso", "list", "--field", "0.id")
	contains(t, "empty list", r.stderr, `--field "0.id" matches nothing`, "the result is an empty list")

	c := createJSON(t, env, testDomain)
	createJSON(t, env, "widgetco.company")
	tests := []struct {
		args  []string
		wants []string
	}{
		{[]string{"sso", "get", c.ID, "--field", "verification.cod"},
			[]string{`--field "verification.cod" matches nothing`, "the top-level keys are id, ", "email_domain", "verification"}},
		{[]string{"sso", "list", "--field", "id"},
			[]string{`--field "id" matches nothing`, "a list of 2", "0.id", "#.id", "the keys of its items are id, "}},
		{[]string{"sso", "list", "--field", "2.id"}, []string{`--field "2.id" matches nothing`, "a list of 2"}},
		{[]string{"sso", "list", "--field", "#.idd"}, []string{`--field "#.idd" matches nothing`, "the keys of its items are id, "}},
		{[]string{"account", "list", "--field", "id"}, []string{`--field "id" matches nothing`, "a list of 1", "name"}},
		{[]string{"token", "verify", "--field", "token.id"}, []string{`--field "token.id" matches nothing`, "status"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := must(t, 1, env, tt.args...)
			contains(t, "stderr", r.stderr, tt.wants...)
			if r.stdout != "" {
				t.Errorf("stdout = %q, want nothing", r.stdout)
			}
		})
	}
}

func TestFieldUsageErrors(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	tests := []struct {
		args  []string
		wants []string
	}{
		{[]string{"sso", "list", "--field", ""}, []string{"-field", "want a path"}},
		{[]string{"sso", "list", "--field"}, []string{"flag needs an argument: --field"}},
		{[]string{"sso", "list", "--field", "0.id", "--json=false"}, []string{"--field prints from the JSON output"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := must(t, 2, ts.env(), tt.args...)
			contains(t, "stderr", r.stderr, tt.wants...)
		})
	}
	if n := len(ts.seen()); n != 0 {
		t.Errorf("%d requests reached the server", n)
	}
}
