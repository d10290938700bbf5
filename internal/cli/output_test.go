package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestProgressPlainLinesOnlyOnChange(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf)
	for _, s := range []string{"status pending: a", "status pending: a", "status pending: b"} {
		p.update(s, time.Second)
	}
	p.done()
	if diff := cmp.Diff("status pending: a\nstatus pending: b\n", buf.String()); diff != "" {
		t.Errorf("plain progress (-want +got):\n%s", diff)
	}
}

func TestProgressRewritesOneLineOnATerminal(t *testing.T) {
	var buf bytes.Buffer
	p := &progress{w: &buf, tty: true}
	p.update("status pending", 1500*time.Millisecond)
	p.update("status pending "+strings.Repeat("x", 200), 3*time.Second)
	p.done()
	want := "\r\033[K[2s] status pending" + "\r\033[K[3s] status pending " + strings.Repeat("x", ttyWidth-21) + "…\n"
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("terminal progress (-want +got):\n%s", diff)
	}
}

func TestResolveBaseURL(t *testing.T) {
	tests := []struct{ flag, env, want string }{
		{"", "", defaultAPIURL},
		{"", "https://api.cloudflare.com/client/v4/", "https://api.cloudflare.com/client/v4"},
		{"http://127.0.0.1:9000", "https://api.cloudflare.com/client/v4", "http://127.0.0.1:9000/client/v4"},
		{"http://proxy.internal/cf/client/v4", "", "http://proxy.internal/cf/client/v4"},
	}
	for _, tt := range tests {
		got, err := resolveBaseURL(tt.flag, tt.env)
		if err != nil || got != tt.want {
			t.Errorf("resolveBaseURL(%q, %q) = %q, %v; want %q", tt.flag, tt.env, got, err, tt.want)
		}
	}
}

func TestPrintConnectorWithoutSSOGateFields(t *testing.T) {
	// Real Cloudflare sends only the SDK's fields: the TXT record is then
	// the code at the domain's apex, as the guide says.
	raw := `{"id":"023e105f4ecef8ad9ca31a8372d0c353","email_domain":"example.com","enabled":false,
		"created_on":"2025-01-01T12:21:02.0000Z","updated_on":"2025-01-01T12:21:02.0000Z",
		"verification":{"code":"cloudflare_dashboard_sso=abc","status":"pending"}}`
	c, err := parseConnector(raw)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	printConnector(&buf, c)
	want := `SSO connector:     023e105f4ecef8ad9ca31a8372d0c353
email domain:      example.com
enabled:           false
status:            pending
TXT record name:   example.com
TXT record value:  cloudflare_dashboard_sso=abc
created:           2025-01-01T12:21:02Z
updated:           2025-01-01T12:21:02Z
`
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("block (-want +got):\n%s", diff)
	}
}

// TestPrintNextSteps: a pending connector is already being checked, so the
// next step after publishing is enable (which checks the record on the
// server), not starting verification; an awaiting one needs sso verify.
func TestPrintNextSteps(t *testing.T) {
	const head = `
Next steps:
  1. Publish a TXT record at acmecorp.company with the value cloudflare_dashboard_sso=abc
  2. export CLOUDFLARE_SSO_CONNECTOR_ID=023e105f4ecef8ad9ca31a8372d0c353
`
	tests := []struct{ status, want string }{
		{"pending", head +
			"  3. ssogate sso enable           (the server checks the record, then enables)\n" +
			"     or, to watch the checks first: ssogate sso verify --wait\n"},
		{"awaiting", head +
			"  3. ssogate sso verify --wait    (starts verification and waits for the verdict)\n" +
			"  4. ssogate sso enable\n"},
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			c, err := parseConnector(`{"id":"023e105f4ecef8ad9ca31a8372d0c353","email_domain":"acmecorp.company",
				"verification":{"code":"cloudflare_dashboard_sso=abc","status":"` + tt.status + `"}}`)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			printNextSteps(&buf, c)
			if diff := cmp.Diff(tt.want, buf.String()); diff != "" {
				t.Errorf("next steps (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPrintField: what --field prints for each kind of value, and which
// paths count as matching nothing.
func TestPrintField(t *testing.T) {
	const obj = `{
  "id": "abc",
  "n": 3,
  "ok": false,
  "none": null,
  "tags": ["a", "b"],
  "mixed": ["a", 1],
  "empty": [],
  "sub": {"k": "v", "list": [ {"x": 1} ]}
}`
	const list = `[{"id":"a","name":"A"},{"id":"b","name":"B"}]`
	tests := []struct {
		raw, path string
		want      string // stdout; "" with wantErr
		wantErr   string
	}{
		{obj, "id", "abc\n", ""},
		{obj, "n", "3\n", ""},
		{obj, "ok", "false\n", ""},
		{obj, "none", "null\n", ""},
		{obj, "tags", "a\nb\n", ""},
		{obj, "mixed", `["a",1]` + "\n", ""},
		{obj, "empty", "", ""},
		{obj, "sub", `{"k":"v","list":[{"x":1}]}` + "\n", ""},
		{obj, "sub.list.#.x", "[1]\n", ""},
		{obj, "{id,n}", `{"id":"abc","n":3}` + "\n", ""},
		{list, "0.id", "a\n", ""},
		{list, "#.id", "a\nb\n", ""},
		{list, "#(name==\"B\").id", "b\n", ""},
		{`[]`, "#.id", "", ""},
		{`"text"`, "@this", "text\n", ""},

		{obj, "idd", "", `--field "idd" matches nothing: the top-level keys are id, n, ok, none, tags, mixed, empty, sub`},
		{obj, "sub.list.#.y", "", `--field "sub.list.#.y" matches nothing: the top-level keys are id, `},
		{list, "id", "", `--field "id" matches nothing: the result is a list of 2; paths start with an index or # (0.id, #.id); the keys of its items are id, name`},
		{list, "#.idd", "", `the keys of its items are id, name`},
		{`[]`, "0.id", "", `--field "0.id" matches nothing: the result is an empty list`},
		{`["a"]`, "0.id", "", `the result is a list of 1; paths start`},
		{`{"a":`, "a", "", "cannot read"},
	}
	for _, tt := range tests {
		t.Run(tt.path+" in "+tt.raw[:min(len(tt.raw), 12)], func(t *testing.T) {
			var buf bytes.Buffer
			err := printField(&buf, tt.raw, tt.path)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("printField: %v", err)
				}
				if diff := cmp.Diff(tt.want, buf.String()); diff != "" {
					t.Errorf("output (-want +got):\n%s", diff)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("printField error = %v, want one containing %q", err, tt.wantErr)
			}
			if buf.Len() != 0 {
				t.Errorf("printed %q with the error", buf.String())
			}
		})
	}
}
