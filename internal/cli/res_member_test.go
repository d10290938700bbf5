package cli_test

import (
	"regexp"
	"strings"
	"testing"
)

// TestMemberCommands: add with a role name, list, refuse a duplicate and
// an unknown role, remove.
func TestMemberCommands(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	env := ts.env()

	r := must(t, 0, env, "member", "list")
	contains(t, "member list", r.stdout, "admin@ssogate.localhost", "Super Administrator - All Privileges", "accepted")
	if !regexp.MustCompile(`^ID\s+EMAIL\s+ROLES\s+STATUS\n`).MatchString(r.stdout) {
		t.Errorf("member list header:\n%s", r.stdout)
	}

	r = must(t, 0, env, "member", "add", "kim@acmecorp.company", "--role", "administrator")
	m := regexp.MustCompile(`^Added kim@acmecorp.company as member ([0-9a-f]{32})\.\n`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("member add printed:\n%s", r.stdout)
	}
	kim := m[1]
	contains(t, "member add", r.stdout, "roles:", "Administrator", "status:", "pending")
	r = must(t, 0, env, "member", "list", "--status", "pending")
	if !regexp.MustCompile(`(?m)^`+kim+`\s+kim@acmecorp.company\s+Administrator\s+pending$`).MatchString(r.stdout) ||
		strings.Contains(r.stdout, "admin@ssogate.localhost") {
		t.Errorf("member list --status pending:\n%s", r.stdout)
	}

	// By id, accepted at once, as JSON.
	lee := decode[struct{ ID, Email, Status string }](t, must(t, 0, env, "member", "add", "lee@acmecorp.company",
		"--role", "81799d93bd51a631450d26522c14a38f", "--status", "accepted", "--json").stdout)
	if lee.Email != "lee@acmecorp.company" || lee.Status != "accepted" {
		t.Errorf("member add --json = %+v", lee)
	}
	if ids := must(t, 0, env, "member", "list", "--field", "#.id").stdout; strings.Count(ids, "\n") != 3 {
		t.Errorf("member list --field #.id:\n%s", ids)
	}

	r = must(t, 1, env, "member", "add", "kim@acmecorp.company", "--role", "Administrator")
	contains(t, "duplicate", r.stderr, "HTTP 400", "already a member")
	r = must(t, 2, env, "member", "add", "sam@acmecorp.company", "--role", "Owner")
	contains(t, "unknown role", r.stderr, `unknown role "Owner"`, "Administrator Read Only")

	r = must(t, 0, env, "member", "remove", kim)
	if r.stdout != "Removed member "+kim+" from account "+ts.account+".\n" {
		t.Errorf("member remove printed %q", r.stdout)
	}
	contains(t, "remove again", must(t, 1, env, "member", "remove", kim).stderr, "HTTP 404")
	if strings.Contains(must(t, 0, env, "member", "list").stdout, "kim@") {
		t.Error("member list still shows the removed member")
	}
}

// TestAuditList: the filters reach the API and narrow what it answers.
func TestAuditList(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	env := ts.env()
	must(t, 0, env, "token", "create", "--name", "audited", "--permission", "SSO Connector Read")
	must(t, 0, env, "member", "add", "kim@acmecorp.company", "--role", "Administrator")

	// Newest first: the token created above, then the bootstrap's.
	r := must(t, 0, env, "audit", "list", "--action", "token_create", "--since", "1h")
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	if len(lines) != 3 || !regexp.MustCompile(`^WHEN\s+ACTION\s+RESULT\s+ACTOR\s+INTERFACE\s+RESOURCE$`).MatchString(lines[0]) ||
		!regexp.MustCompile(`^\d{4}-\d\d-\d\dT\S+Z\s+token_create\s+ok\s+bootstrap token \(token\)\s+API\s+api_token [0-9a-f]{32}$`).MatchString(lines[1]) ||
		!strings.Contains(lines[2], "(system)") {
		t.Errorf("audit list --action token_create:\n%s", r.stdout)
	}
	if r := must(t, 0, env, "audit", "list", "--since", "2100-01-01"); r.stdout != "No audit log entries match.\n" {
		t.Errorf("audit list --since 2100-01-01 printed %q", r.stdout)
	}

	entries := decode[[]struct {
		Action struct{ Type string }
		Actor  struct{ Email string }
	}](t, must(t, 0, env, "audit", "list", "--actor-email", "bootstrap token", "--direction", "asc", "--json").stdout)
	if len(entries) < 2 || entries[0].Action.Type != "token_create" || entries[len(entries)-1].Action.Type != "member_add" {
		t.Errorf("audit list --actor-email --direction asc --json = %+v", entries)
	}
	r = must(t, 0, env, "audit", "list", "--limit", "1")
	contains(t, "audit list --limit 1", r.stderr, "note: page 1 shows 1 of")
	contains(t, "audit list --limit 1", r.stdout, "member_add")
	r = must(t, 0, env, "audit", "list", "--before", "2000-01-01")
	if r.stdout != "No audit log entries match.\n" {
		t.Errorf("audit list --before 2000-01-01 printed %q", r.stdout)
	}
}
