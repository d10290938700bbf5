package accounts_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	cloudflare "github.com/cloudflare/cloudflare-go/v6"
	cfaccounts "github.com/cloudflare/cloudflare-go/v6/accounts"
	"github.com/cloudflare/cloudflare-go/v6/audit_logs"
	"github.com/cloudflare/cloudflare-go/v6/shared"
	"github.com/google/go-cmp/cmp"

	"github.com/ssogate/ssogate/internal/accounts"
	"github.com/ssogate/ssogate/internal/apptest"
	"github.com/ssogate/ssogate/internal/audit"
	"github.com/ssogate/ssogate/internal/tokens"
)

// checkAuditLog asserts Cloudflare's v1 audit log item (cloudflare-api.md
// §9.1), camelCase keys included, and returns it decoded.
func checkAuditLog(t *testing.T, item any, owner string) map[string]any {
	t.Helper()
	m, _ := item.(map[string]any)
	want := []string{"action", "actor", "id", "interface", "metadata", "newValue", "oldValue", "owner", "resource", "when"}
	if diff := cmp.Diff(want, sortedKeys(m)); diff != "" {
		t.Errorf("audit log keys (-want +got):\n%s", diff)
	}
	sub := func(k string, keys ...string) map[string]any {
		v, _ := m[k].(map[string]any)
		if diff := cmp.Diff(keys, sortedKeys(v)); diff != "" {
			t.Errorf("%s keys (-want +got):\n%s", k, diff)
		}
		return v
	}
	if _, ok := sub("action", "result", "type")["result"].(bool); !ok {
		t.Errorf("action.result %v", m["action"])
	}
	sub("actor", "email", "id", "ip", "type")
	sub("resource", "id", "type")
	if sub("owner", "id")["id"] != owner {
		t.Errorf("owner %v, want %s", m["owner"], owner)
	}
	if _, ok := m["metadata"].(map[string]any); !ok {
		t.Errorf("metadata %v is not an object", m["metadata"])
	}
	for _, k := range []string{"id", "interface", "newValue", "oldValue"} {
		if _, ok := m[k].(string); !ok {
			t.Errorf("%s %v is not a string", k, m[k])
		}
	}
	if s, _ := m["when"].(string); !strings.HasSuffix(s, "Z") {
		t.Errorf("when %v", m["when"])
	} else if _, err := time.Parse(time.RFC3339, s); err != nil {
		t.Errorf("when: %v", err)
	}
	return m
}

func day(n int) time.Time { return time.Date(2024, 1, n, 12, 0, 0, 0, time.UTC) }

// TestAuditLogsFilters lists known entries (2024-01-01 … 05 at noon, plus
// the account's creation now) through every filter.
func TestAuditLogsFilters(t *testing.T) {
	env := apptest.New(t)
	ctx := context.Background()
	acct, token := env.NewAccount("Audit Co")
	var entryIDs []string
	for i := 1; i <= 5; i++ {
		ev := audit.Event{ID: fmt.Sprintf("00000000-0000-4000-8000-00000000000%d", i), AccountID: acct, When: day(i),
			Action: "test_event", Result: i != 3, ResourceID: "r", ResourceType: "thing",
			Actor:    audit.Actor{ID: "u", Email: []string{"ann@example.com", "ben@example.com"}[i%2], IP: fmt.Sprintf("192.0.2.%d", i), Type: "user", Interface: "UI"},
			Metadata: map[string]any{"n": i}, OldValue: "old", NewValue: map[string]int{"n": i}}
		if err := audit.Record(ctx, env.App.DB, ev); err != nil {
			t.Fatal(err)
		}
		entryIDs = append(entryIDs, ev.ID)
	}
	list := func(t *testing.T, query string) ([]string, map[string]any) {
		t.Helper()
		r := env.Do("GET", "/accounts/"+acct+"/audit_logs"+query, token, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		m := r.JSON(t)
		got := []string{}
		for _, it := range m["result"].([]any) {
			e := checkAuditLog(t, it, acct)
			if e["action"].(map[string]any)["type"] == "test_event" {
				got = append(got, strings.TrimPrefix(e["id"].(string), "00000000-0000-4000-8000-00000000000"))
			} else {
				got = append(got, "now")
			}
		}
		return got, m["result_info"].(map[string]any)
	}
	tests := []struct {
		query string
		want  []string
		total float64
	}{
		{"?action.type=test_event", []string{"5", "4", "3", "2", "1"}, 5},
		{"?action.type=test_event&direction=asc", []string{"1", "2", "3", "4", "5"}, 5},
		{"?action.type=test_event&direction=desc", []string{"5", "4", "3", "2", "1"}, 5},
		{"", []string{"now", "now", "5", "4", "3", "2", "1"}, 7}, // account_create and token_create
		{"?since=2024-01-03", []string{"now", "now", "5", "4", "3"}, 5},
		{"?before=2024-01-03", []string{"2", "1"}, 2},
		{"?since=2024-01-02&before=2024-01-04", []string{"3", "2"}, 2},
		{"?since=" + url.QueryEscape("2024-01-02T12:00:00Z") + "&before=" + url.QueryEscape("2024-01-04T12:00:00Z"), []string{"3", "2"}, 2},
		{"?since=" + url.QueryEscape("2024-01-02T13:00:00+01:00") + "&before=2025-01-01", []string{"5", "4", "3", "2"}, 4},
		{"?since=2030-01-01", []string{}, 0},
		{"?actor.email=ben@example.com", []string{"5", "3", "1"}, 3},
		{"?actor.email=ann%40example.com&direction=asc", []string{"2", "4"}, 2},
		{"?actor.ip=192.0.2.4", []string{"4"}, 1},
		{"?actor.ip=::ffff:192.0.2.4", []string{"4"}, 1},
		{"?id=" + entryIDs[2], []string{"3"}, 1},
		{"?id=" + strings.Repeat("0", 8) + "-0000-4000-8000-000000000009", []string{}, 0},
		{"?action.type=test_event&per_page=2", []string{"5", "4"}, 5},
		{"?action.type=test_event&per_page=2&page=3", []string{"1"}, 5},
		{"?action.type=test_event&per_page=2&page=4", []string{}, 5},
		{"?zone.name=example.com", []string{}, 0},
		{"?action.type=test_event&export=false&hide_user_logs=true&per_page=1000", []string{"5", "4", "3", "2", "1"}, 5},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			got, info := list(t, tc.query)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
			if info["total_count"] != tc.total || info["count"] != float64(len(tc.want)) {
				t.Errorf("result_info %v", info)
			}
		})
	}

	t.Run("one entry, every field", func(t *testing.T) {
		r := env.Do("GET", "/accounts/"+acct+"/audit_logs?id="+entryIDs[2], token, nil)
		got := r.JSON(t)["result"].([]any)[0]
		want := map[string]any{"id": entryIDs[2], "action": map[string]any{"result": false, "type": "test_event"},
			"actor":     map[string]any{"id": "u", "email": "ben@example.com", "ip": "192.0.2.3", "type": "user"},
			"interface": "UI", "metadata": map[string]any{"n": 3.0}, "newValue": `{"n":3}`, "oldValue": "old",
			"owner": map[string]any{"id": acct}, "resource": map[string]any{"id": "r", "type": "thing"},
			"when": "2024-01-03T12:00:00Z"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("entry (-want +got):\n%s", diff)
		}
	})

	refused := []struct{ query, msg string }{
		{"?since=yesterday", "since must be a date"},
		{"?before=2024-13-01", "before must be a date"},
		{"?before=2024-01-01T00:00:00", "before must be a date"},
		{"?direction=sideways", "direction"},
		{"?per_page=1001", "per_page"},
		{"?per_page=0", "per_page"},
		{"?page=0", "page"},
		{"?export=true", "not supported"},
		{"?export=maybe", "export must be true or false"},
		{"?hide_user_logs=2", "hide_user_logs"},
		{"?actor.ip=192.0.2", "actor.ip must be an IP address"},
		{"?id=42", "id must be"},
	}
	for _, tc := range refused {
		t.Run("refused "+tc.query, func(t *testing.T) {
			r := env.Do("GET", "/accounts/"+acct+"/audit_logs"+tc.query, token, nil)
			if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), tc.msg) ||
				!strings.Contains(string(r.Body), `"success":false`) {
				t.Errorf("%d %s, want 400 containing %q", r.Status, r.Body, tc.msg)
			}
		})
	}

	t.Run("SDK", func(t *testing.T) {
		c := env.Client(token)
		page, err := c.AuditLogs.List(ctx, audit_logs.AuditLogListParams{AccountID: cloudflare.F(acct),
			Action:    cloudflare.F(audit_logs.AuditLogListParamsAction{Type: cloudflare.F("test_event")}),
			Actor:     cloudflare.F(audit_logs.AuditLogListParamsActor{Email: cloudflare.F("ben@example.com")}),
			Since:     cloudflare.F[audit_logs.AuditLogListParamsSinceUnion](shared.UnionTime(day(2))),
			Before:    cloudflare.F[audit_logs.AuditLogListParamsBeforeUnion](shared.UnionTime(day(6))),
			Direction: cloudflare.F(audit_logs.AuditLogListParamsDirectionAsc),
		})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range page.Result {
			got = append(got, e.ID)
			if e.Owner.ID != acct || e.Actor.Email != "ben@example.com" || e.Action.Type != "test_event" || e.When.IsZero() {
				t.Errorf("SDK decoded %s", e.JSON.RawJSON())
			}
		}
		if diff := cmp.Diff([]string{entryIDs[2], entryIDs[4]}, got); diff != "" {
			t.Errorf("ids (-want +got):\n%s", diff)
		}
		got = nil
		iter := c.AuditLogs.ListAutoPaging(ctx, audit_logs.AuditLogListParams{AccountID: cloudflare.F(acct),
			Action:  cloudflare.F(audit_logs.AuditLogListParamsAction{Type: cloudflare.F("test_event")}),
			PerPage: cloudflare.F(2.0)})
		for iter.Next() {
			got = append(got, iter.Current().ID)
			if len(got) > 5 {
				t.Fatal("the auto-pager does not stop")
			}
		}
		if err := iter.Err(); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{entryIDs[4], entryIDs[3], entryIDs[2], entryIDs[1], entryIDs[0]}, got); diff != "" {
			t.Errorf("auto-paged ids (-want +got):\n%s", diff)
		}
	})
}

// TestAuditLogsAPI: member changes made through the API show up, with the
// token as actor; other accounts and tokens without the permission are
// refused.
func TestAuditLogsAPI(t *testing.T) {
	env := apptest.New(t)
	ctx := context.Background()
	c := env.Client(env.Token)
	acct := cloudflare.F(env.AccountID)
	tok, err := c.Accounts.Tokens.Verify(ctx, cfaccounts.TokenVerifyParams{AccountID: acct})
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.Accounts.Members.New(ctx, newWithRoles(env.AccountID, "ivy@example.com", accounts.RoleAdmin, ""))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Accounts.Members.Update(ctx, m.ID, updateRole(env.AccountID, accounts.RoleReadOnly)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Accounts.Members.Delete(ctx, m.ID, cfaccounts.MemberDeleteParams{AccountID: acct}); err != nil {
		t.Fatal(err)
	}
	b, bToken := env.NewAccount("Beta Corp")

	t.Run("member changes are recorded", func(t *testing.T) {
		want := map[string]struct{ old, new string }{
			"member_add":    {"", `{"email":"ivy@example.com","role":"Administrator","status":"pending"}`},
			"member_update": {`{"email":"ivy@example.com","role":"Administrator"}`, `{"email":"ivy@example.com","role":"Administrator Read Only"}`},
			"member_remove": {`{"email":"ivy@example.com","role":"Administrator Read Only","status":"pending"}`, ""},
		}
		for action, vals := range want {
			page, err := c.AuditLogs.List(ctx, audit_logs.AuditLogListParams{AccountID: acct,
				Action: cloudflare.F(audit_logs.AuditLogListParamsAction{Type: cloudflare.F(action)}),
				Actor:  cloudflare.F(audit_logs.AuditLogListParamsActor{IP: cloudflare.F("127.0.0.1")})})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Result) != 1 {
				t.Fatalf("%s: %d entries: %s", action, len(page.Result), page.JSON.RawJSON())
			}
			raw := object(t, page.JSON.RawJSON())["result"].([]any)[0]
			e := checkAuditLog(t, raw, env.AccountID)
			wantActor := map[string]any{"id": tok.ID, "email": "bootstrap token", "ip": "127.0.0.1", "type": "token"}
			if diff := cmp.Diff(wantActor, e["actor"]); diff != "" {
				t.Errorf("%s actor (-want +got):\n%s", action, diff)
			}
			if e["interface"] != "API" || e["resource"].(map[string]any)["id"] != m.ID || e["oldValue"] != vals.old || e["newValue"] != vals.new {
				t.Errorf("%s entry: %v", action, e)
			}
		}
	})

	t.Run("another account's token", func(t *testing.T) {
		r := env.Do("GET", "/accounts/"+env.AccountID+"/audit_logs", bToken, nil)
		if r.Status != http.StatusForbidden || !strings.Contains(string(r.Body), `"code":10000`) || strings.Contains(string(r.Body), "ivy@") {
			t.Errorf("%d %s", r.Status, r.Body)
		}
		_, err := env.Client(bToken).AuditLogs.List(ctx, audit_logs.AuditLogListParams{AccountID: acct})
		sdkError(t, err, http.StatusForbidden)
		// B's own log holds B's entries only.
		page, err := env.Client(bToken).AuditLogs.List(ctx, audit_logs.AuditLogListParams{AccountID: cloudflare.F(b)})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Result) == 0 || strings.Contains(page.JSON.RawJSON(), "ivy@") || strings.Contains(page.JSON.RawJSON(), env.AccountID) {
			t.Errorf("B's log: %s", page.JSON.RawJSON())
		}
		for _, e := range page.Result {
			if e.Owner.ID != b {
				t.Errorf("entry of %s in B's log", e.Owner.ID)
			}
		}
	})

	t.Run("needs Account Settings Read", func(t *testing.T) {
		mw := env.Client(env.NewToken(env.AccountID, tokens.MembersWrite, tokens.SSOWrite, tokens.TokensWrite))
		_, err := mw.AuditLogs.List(ctx, audit_logs.AuditLogListParams{AccountID: acct})
		sdkError(t, err, http.StatusForbidden)
		for _, g := range []string{tokens.SettingsRead, tokens.SettingsWrite} {
			ro := env.Client(env.NewToken(env.AccountID, g))
			if _, err := ro.AuditLogs.List(ctx, audit_logs.AuditLogListParams{AccountID: acct}); err != nil {
				t.Errorf("%s: %v", g, err)
			}
		}
	})
}
