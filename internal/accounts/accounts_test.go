package accounts_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	cloudflare "github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/accounts"
	"github.com/google/go-cmp/cmp"

	"github.com/ssogate/ssogate/internal/apptest"
	"github.com/ssogate/ssogate/internal/tokens"
)

func sdkError(t *testing.T, err error, status int) *cloudflare.Error {
	t.Helper()
	var apiErr *cloudflare.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != status {
		t.Fatalf("want an API error with status %d, got %v", status, err)
	}
	return apiErr
}

func object(t *testing.T, raw string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatalf("not a JSON object (%v): %s", err, raw)
	}
	return m
}

// checkAccount asserts the wire shape of an account (cloudflare-api.md §8.1).
func checkAccount(t *testing.T, raw, id, name string) {
	t.Helper()
	m := object(t, raw)
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if diff := cmp.Diff([]string{"created_on", "id", "name", "settings", "type"}, keys); diff != "" {
		t.Errorf("account keys (-want +got):\n%s", diff)
	}
	if m["id"] != id || m["name"] != name || m["type"] != "standard" {
		t.Errorf("account: %s", raw)
	}
	if s, _ := m["created_on"].(string); !strings.HasSuffix(s, "Z") {
		t.Errorf("created_on %v", m["created_on"])
	} else if _, err := time.Parse(time.RFC3339, s); err != nil {
		t.Errorf("created_on: %v", err)
	}
	want := map[string]any{"abuse_contact_email": "", "enforce_twofactor": false}
	if diff := cmp.Diff(want, m["settings"]); diff != "" {
		t.Errorf("settings (-want +got):\n%s", diff)
	}
}

func TestAccountsAPI(t *testing.T) {
	env := apptest.New(t)
	ctx := context.Background()
	c := env.Client(env.Token)
	name := env.App.Bootstrap.Account.Name
	b, bToken := env.NewAccount("Beta Corp")

	t.Run("list is the token's account", func(t *testing.T) {
		page, err := c.Accounts.List(ctx, accounts.AccountListParams{})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Result) != 1 {
			t.Fatalf("%d accounts: %s", len(page.Result), page.JSON.RawJSON())
		}
		checkAccount(t, page.Result[0].JSON.RawJSON(), env.AccountID, name)
		bPage, err := env.Client(bToken).Accounts.List(ctx, accounts.AccountListParams{})
		if err != nil {
			t.Fatal(err)
		}
		if len(bPage.Result) != 1 || bPage.Result[0].ID != b {
			t.Errorf("B's token lists %s", bPage.JSON.RawJSON())
		}
	})

	t.Run("auto-paging terminates", func(t *testing.T) {
		for _, perPage := range []float64{0, 1, 50} {
			params := accounts.AccountListParams{}
			if perPage > 0 {
				params.PerPage = cloudflare.F(perPage)
			}
			var got []string
			iter := c.Accounts.ListAutoPaging(ctx, params)
			for iter.Next() {
				got = append(got, iter.Current().ID)
				if len(got) > 3 {
					t.Fatalf("per_page %v: the auto-pager does not stop", perPage)
				}
			}
			if err := iter.Err(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{env.AccountID}, got); diff != "" {
				t.Errorf("per_page %v: ids (-want +got):\n%s", perPage, diff)
			}
		}
	})

	lists := []struct {
		query string
		ids   []string
		info  map[string]any
	}{
		{"", []string{env.AccountID}, map[string]any{"page": 1.0, "per_page": 20.0, "count": 1.0, "total_count": 1.0, "total_pages": 1.0}},
		{"?page=2", []string{}, map[string]any{"page": 2.0, "per_page": 20.0, "count": 0.0, "total_count": 1.0, "total_pages": 1.0}},
		{"?page=2&per_page=1", []string{}, map[string]any{"page": 2.0, "per_page": 1.0, "count": 0.0, "total_count": 1.0, "total_pages": 1.0}},
		{"?name=" + strings.ToUpper(name[:3]), []string{env.AccountID}, map[string]any{"page": 1.0, "per_page": 20.0, "count": 1.0, "total_count": 1.0, "total_pages": 1.0}},
		{"?name=Beta", []string{}, map[string]any{"page": 1.0, "per_page": 20.0, "count": 0.0, "total_count": 0.0, "total_pages": 0.0}},
		{"?direction=desc", []string{env.AccountID}, map[string]any{"page": 1.0, "per_page": 20.0, "count": 1.0, "total_count": 1.0, "total_pages": 1.0}},
		// (page-1)*per_page must not overflow back to offset 0 (page 1 again).
		{"?page=4611686018427387905", []string{}, nil},
	}
	for _, tc := range lists {
		t.Run("GET /accounts"+tc.query, func(t *testing.T) {
			r := env.Do("GET", "/accounts"+tc.query, env.Token, nil)
			if tc.info == nil && r.Status == http.StatusBadRequest {
				return // refusing an absurd page is fine too
			}
			if r.Status != http.StatusOK {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			m := r.JSON(t)
			ids := []string{}
			for _, it := range m["result"].([]any) {
				ids = append(ids, it.(map[string]any)["id"].(string))
			}
			if diff := cmp.Diff(tc.ids, ids); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			if tc.info == nil {
				return
			}
			if diff := cmp.Diff(tc.info, m["result_info"]); diff != "" {
				t.Errorf("result_info (-want +got):\n%s", diff)
			}
		})
	}

	for _, q := range []string{"?page=0", "?per_page=0", "?per_page=51", "?direction=sideways"} {
		t.Run("refused "+q, func(t *testing.T) {
			r := env.Do("GET", "/accounts"+q, env.Token, nil)
			if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), `"success":false`) {
				t.Errorf("%d %s", r.Status, r.Body)
			}
		})
	}

	t.Run("get own account", func(t *testing.T) {
		a, err := c.Accounts.Get(ctx, accounts.AccountGetParams{AccountID: cloudflare.F(env.AccountID)})
		if err != nil {
			t.Fatal(err)
		}
		checkAccount(t, a.JSON.RawJSON(), env.AccountID, name)
	})

	t.Run("get another account", func(t *testing.T) {
		for _, id := range []string{b, strings.Repeat("0", 32)} { // existing or not: same answer
			_, err := c.Accounts.Get(ctx, accounts.AccountGetParams{AccountID: cloudflare.F(id)})
			e := sdkError(t, err, http.StatusForbidden)
			if len(e.Errors) == 0 || e.Errors[0].Code != 10000 {
				t.Errorf("errors: %v", e.Errors)
			}
		}
		if _, err := env.Client(bToken).Accounts.Get(ctx, accounts.AccountGetParams{AccountID: cloudflare.F(b)}); err != nil {
			t.Errorf("B's own token: %v", err)
		}
	})

	t.Run("malformed id", func(t *testing.T) {
		_, err := c.Accounts.Get(ctx, accounts.AccountGetParams{AccountID: cloudflare.F("acme")})
		e := sdkError(t, err, http.StatusBadRequest)
		if len(e.Errors) != 2 || e.Errors[0].Code != 7003 || e.Errors[1].Code != 7000 {
			t.Errorf("errors: %v", e.Errors)
		}
	})

	t.Run("needs Account Settings Read", func(t *testing.T) {
		sso := env.Client(env.NewToken(env.AccountID, tokens.SSOWrite, tokens.TokensWrite))
		_, err := sso.Accounts.List(ctx, accounts.AccountListParams{})
		sdkError(t, err, http.StatusForbidden)
		_, err = sso.Accounts.Get(ctx, accounts.AccountGetParams{AccountID: cloudflare.F(env.AccountID)})
		sdkError(t, err, http.StatusForbidden)
		for _, g := range []string{tokens.SettingsRead, tokens.SettingsWrite} {
			ro := env.Client(env.NewToken(env.AccountID, g))
			if _, err := ro.Accounts.Get(ctx, accounts.AccountGetParams{AccountID: cloudflare.F(env.AccountID)}); err != nil {
				t.Errorf("%s: %v", g, err)
			}
		}
	})
}
