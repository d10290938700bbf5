package cli_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

type rawConnector struct {
	ID           string `json:"id"`
	EmailDomain  string `json:"email_domain"`
	Enabled      bool   `json:"enabled"`
	Verification struct {
		Code   string `json:"code"`
		Status string `json:"status"`
		Record struct {
			Name    string `json:"name"`
			Content string `json:"content"`
		} `json:"dns_record"`
		Nameservers []struct {
			Server string   `json:"server"`
			Result string   `json:"result"`
			Record []string `json:"records"`
		} `json:"nameservers"`
	} `json:"verification"`
}

func decode[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("output is not the JSON expected: %v\n%s", err, s)
	}
	return v
}

// createJSON creates an awaiting connector: --begin-verification=false,
// so the tests that go on to sso verify start from the same state whatever
// the server's default for a plain create.
func createJSON(t *testing.T, env map[string]string, domain string) rawConnector {
	t.Helper()
	c := decode[rawConnector](t, must(t, 0, env, "sso", "create", domain, "--begin-verification=false", "--json").stdout)
	if c.ID == "" || !strings.HasPrefix(c.Verification.Code, "cloudflare_dashboard_sso=") {
		t.Fatalf("create --json: no id or code: %+v", c)
	}
	return c
}

// TestGuideFlow follows the integration guide through the CLI: create
// (verification starts at once), enable refused until the TXT record is
// published, verify, enable, then disable and delete.
func TestGuideFlow(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	env := ts.env()

	r := must(t, 0, env, "sso", "create", testDomain)
	id := regexp.MustCompile(`SSO connector ([0-9a-f]{32})`).FindStringSubmatch(r.stdout)
	code := regexp.MustCompile(`cloudflare_dashboard_sso=[0-9a-f]{32}`).FindString(r.stdout)
	if id == nil || code == "" {
		t.Fatalf("create printed no id or code:\n%s", r.stdout)
	}
	contains(t, "create output", r.stdout, "TXT record name:", "TXT record value:", "status:", "pending",
		"export CLOUDFLARE_SSO_CONNECTOR_ID="+id[1], "3. ssogate sso enable", "ssogate sso verify --wait")
	if strings.Contains(r.stdout, "starts verification") || strings.Contains(r.stdout, "begin_verification") {
		t.Errorf("the next steps of a pending connector say to start verification:\n%s", r.stdout)
	}
	env["CLOUDFLARE_SSO_CONNECTOR_ID"] = id[1]

	r = must(t, 1, env, "sso", "enable")
	contains(t, "enable refusal", r.stderr, "HTTP 400", "cannot be enabled", code)

	ts.dns.SetTXT(testDomain, []string{code})
	r = must(t, 0, env, "sso", "verify", "--wait", "--interval", "50ms", "--timeout", "15s")
	contains(t, "verify output", r.stdout, ts.dns.Addr(), "found", `TXT "`+code+`"`, "status:", "verified",
		"is verified. Enable the connector")

	r = must(t, 0, env, "sso", "enable")
	contains(t, "enable output", r.stdout, "is now enabled", "enabled:")
	if !regexp.MustCompile(`enabled:\s+true`).MatchString(r.stdout) {
		t.Errorf("enable output does not show enabled true:\n%s", r.stdout)
	}
	r = must(t, 1, env, "sso", "delete")
	contains(t, "delete of an enabled connector", r.stderr, "disable it first")

	must(t, 0, env, "sso", "disable", id[1])
	r = must(t, 0, env, "sso", "delete", id[1])
	contains(t, "delete output", r.stdout, "Deleted SSO connector "+id[1])
	r = must(t, 1, env, "sso", "get")
	contains(t, "get after delete", r.stderr, "HTTP 404", "was not found")
}

func TestJSONOutputKeepsTheAPIObject(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	env := ts.env()
	c := createJSON(t, env, testDomain)
	if c.Verification.Status != "awaiting" || c.Verification.Record.Content != c.Verification.Code ||
		c.Verification.Record.Name != testDomain {
		t.Errorf("create --json lost fields: %+v", c)
	}

	got := decode[rawConnector](t, must(t, 0, env, "sso", "get", c.ID, "--json").stdout)
	if got.Verification.Code != c.Verification.Code || got.Verification.Record.Name != testDomain {
		t.Errorf("get --json = %+v, want the created connector", got)
	}
	list := decode[[]rawConnector](t, must(t, 0, env, "sso", "list", "--json").stdout)
	if len(list) != 1 || list[0].Verification.Code != c.Verification.Code {
		t.Errorf("list --json = %+v", list)
	}

	// Under --json stdout stays one JSON document; the DNS look goes to stderr.
	ts.dns.SetTXT(testDomain, []string{c.Verification.Code})
	r := must(t, 0, env, "sso", "verify", c.ID, "--json", "--wait", "--interval", "50ms")
	v := decode[rawConnector](t, r.stdout)
	if v.Verification.Status != "verified" || len(v.Verification.Nameservers) != 1 ||
		v.Verification.Nameservers[0].Result != "found" {
		t.Errorf("verify --json = %+v", v)
	}
	contains(t, "verify --json stderr", r.stderr, "DNS verdict: found")

	must(t, 0, env, "sso", "enable", c.ID, "--json")
	must(t, 0, env, "sso", "disable", c.ID, "--json")
	del := decode[map[string]string](t, must(t, 0, env, "sso", "delete", c.ID, "--json").stdout)
	if del["id"] != c.ID {
		t.Errorf("delete --json = %v, want id %s", del, c.ID)
	}
}

func TestListTable(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	env := ts.env()
	r := must(t, 0, env, "sso", "list")
	contains(t, "empty list", r.stdout, "No SSO connectors in account "+ts.account)

	a := createJSON(t, env, testDomain)
	b := createJSON(t, env, "widgetco.company")
	r = must(t, 0, env, "sso", "list")
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("list printed %d lines, want a header and 2 rows:\n%s", len(lines), r.stdout)
	}
	if !regexp.MustCompile(`^ID\s+EMAIL DOMAIN\s+ENABLED\s+STATUS\s+UPDATED$`).MatchString(lines[0]) {
		t.Errorf("header = %q", lines[0])
	}
	col := strings.Index(lines[0], "EMAIL DOMAIN")
	status := strings.Index(lines[0], "STATUS")
	for _, c := range []rawConnector{a, b} {
		var row string
		for _, l := range lines[1:] {
			if strings.HasPrefix(l, c.ID) {
				row = l
			}
		}
		if row == "" {
			t.Fatalf("no row for %s:\n%s", c.ID, r.stdout)
		}
		if !strings.HasPrefix(row[col:], c.EmailDomain) || !strings.HasPrefix(row[status:], "awaiting") {
			t.Errorf("row not aligned with the header:\n%s\n%s", lines[0], row)
		}
	}
}

func TestVerifyWaitTimesOut(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	env := ts.env()
	c := createJSON(t, env, testDomain)
	r := must(t, 1, env, "sso", "verify", c.ID, "--wait", "--timeout", "1s", "--interval", "100ms")
	contains(t, "verify stdout", r.stdout, "DNS verdict: absent", ts.dns.Addr(), "no TXT records", "status pending")
	contains(t, "verify stderr", r.stderr, "timed out after 1s", "last status pending")
}

func TestVerifyWithoutWaitReportsStatus(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	env := ts.env()
	c := createJSON(t, env, testDomain)
	ts.dns.SetTXT(testDomain, []string{"cloudflare_dashboard_sso=somebody-else"})
	r := must(t, 0, env, "sso", "verify", c.ID, "--dns-nameservers", ts.dns.Addr())
	contains(t, "verify stdout", r.stdout, "DNS verdict: absent", `TXT "cloudflare_dashboard_sso=somebody-else"`,
		"Verification started", "pending", "name servers at the last check:")

	r = must(t, 0, env, "sso", "get", c.ID)
	contains(t, "get", r.stdout, "reason:", "deadline:", "last check:", c.Verification.Code)
}

// TestCreateBeginVerificationFlag: the flag is tri-state on the wire. Left
// out, the body has no begin_verification key and the server's default
// applies; given, it carries the value.
func TestCreateBeginVerificationFlag(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	tests := []struct {
		flags  []string
		want   any // the begin_verification the body carries; nil: no key
		status string
	}{
		{nil, nil, ""},
		{[]string{"--begin-verification=false"}, false, "awaiting"},
		{[]string{"--begin-verification"}, true, ""},
		{[]string{"--begin-verification=true"}, true, ""},
		{[]string{"--begin-verification=0"}, false, "awaiting"},
	}
	for i, tt := range tests {
		t.Run(strings.Join(append([]string{"create"}, tt.flags...), " "), func(t *testing.T) {
			domain := fmt.Sprintf("widget%d.company", i)
			c := decode[rawConnector](t, must(t, 0, ts.env(), append([]string{"sso", "create", domain, "--json"}, tt.flags...)...).stdout)
			body := createBody(t, ts, domain)
			got, sent := body["begin_verification"]
			if tt.want == nil && sent {
				t.Errorf("body carries begin_verification %v, want no key: %v", got, body)
			}
			if tt.want != nil && got != tt.want {
				t.Errorf("body carries begin_verification %v (sent %t), want %v: %v", got, sent, tt.want, body)
			}
			if tt.status != "" && c.Verification.Status != tt.status {
				t.Errorf("status %q, want %q", c.Verification.Status, tt.status)
			}
		})
	}
}

// createBody is the body of the create request the server saw for domain.
func createBody(t *testing.T, ts *testServer, domain string) map[string]any {
	t.Helper()
	for _, r := range ts.seen() {
		if r.method != "POST" || !strings.HasSuffix(r.path, "/sso_connectors") {
			continue
		}
		body := decode[map[string]any](t, string(r.body))
		if body["email_domain"] == domain {
			return body
		}
	}
	t.Fatalf("the server saw no create request for %s", domain)
	return nil
}
