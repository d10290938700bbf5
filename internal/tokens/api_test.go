package tokens_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	cloudflare "github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/accounts"
	"github.com/cloudflare/cloudflare-go/v6/shared"
	"github.com/google/go-cmp/cmp"

	"github.com/ssogate/ssogate/internal/apptest"
	"github.com/ssogate/ssogate/internal/tokens"
)

// TestTokenLifecycle drives one token through create, read, merge-update,
// disable/enable, roll and delete with the official SDK, asserting the
// wire shape of every object on the way.
func TestTokenLifecycle(t *testing.T) {
	env := apptest.New(t)
	ctx := context.Background()
	c := env.Client(env.Token)
	acct := cloudflare.F(env.AccountID)

	created, err := c.Accounts.Tokens.New(ctx, newParams(t, env.AccountID, "ci deploy", tokens.SSORead))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	m := checkToken(t, created.JSON.RawJSON(), "value")
	value := created.Value
	if len(value) != 40 || !strings.HasPrefix(value, "sgt_") || m["status"] != "active" || m["name"] != "ci deploy" {
		t.Fatalf("create result: %s", created.JSON.RawJSON())
	}
	if created.LastUsedOn.IsZero() != true || m["last_used_on"] != nil {
		t.Errorf("a new token has last_used_on %v", m["last_used_on"])
	}
	policies := m["policies"]

	t.Run("get has no value", func(t *testing.T) {
		got, err := c.Accounts.Tokens.Get(ctx, created.ID, accounts.TokenGetParams{AccountID: acct})
		if err != nil {
			t.Fatal(err)
		}
		gm := checkToken(t, got.JSON.RawJSON())
		if diff := cmp.Diff(policies, gm["policies"]); diff != "" {
			t.Errorf("get policies differ from create (-create +get):\n%s", diff)
		}
		for _, k := range []string{"id", "name", "issued_on", "modified_on", "condition"} {
			if !cmp.Equal(m[k], gm[k]) {
				t.Errorf("%s: create %v, get %v", k, m[k], gm[k])
			}
		}
	})

	t.Run("list has no value", func(t *testing.T) {
		page, err := c.Accounts.Tokens.List(ctx, accounts.TokenListParams{AccountID: acct})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Result) != 2 { // the bootstrap token and ours
			t.Fatalf("list: %d tokens, want 2: %s", len(page.Result), page.JSON.RawJSON())
		}
		for _, tok := range page.Result {
			checkToken(t, tok.JSON.RawJSON())
		}
		if strings.Contains(page.JSON.RawJSON(), `"value"`) || strings.Contains(page.JSON.RawJSON(), value) {
			t.Errorf("list leaks a token value: %s", page.JSON.RawJSON())
		}
	})

	t.Run("the new token works and is recorded as used", func(t *testing.T) {
		v, err := env.Client(value).Accounts.Tokens.Verify(ctx, accounts.TokenVerifyParams{AccountID: acct})
		if err != nil {
			t.Fatal(err)
		}
		if v.ID != created.ID || v.Status != "active" {
			t.Errorf("verify: %s", v.JSON.RawJSON())
		}
		got, err := c.Accounts.Tokens.Get(ctx, created.ID, accounts.TokenGetParams{AccountID: acct})
		if err != nil {
			t.Fatal(err)
		}
		if gm := checkToken(t, got.JSON.RawJSON()); gm["last_used_on"] == nil {
			t.Errorf("last_used_on still null after use: %s", got.JSON.RawJSON())
		}
	})

	t.Run("update name only keeps policies", func(t *testing.T) {
		up, err := c.Accounts.Tokens.Update(ctx, created.ID, accounts.TokenUpdateParams{AccountID: acct,
			Token: shared.TokenParam{Name: cloudflare.F("ci deploy (renamed)")}})
		if err != nil {
			t.Fatal(err)
		}
		um := checkToken(t, up.JSON.RawJSON())
		if um["name"] != "ci deploy (renamed)" || um["status"] != "active" {
			t.Errorf("update result: %s", up.JSON.RawJSON())
		}
		if diff := cmp.Diff(policies, um["policies"]); diff != "" {
			t.Errorf("a name-only update changed policies (-before +after):\n%s", diff)
		}
		if !cmp.Equal(m["issued_on"], um["issued_on"]) {
			t.Errorf("issued_on changed: %v → %v", m["issued_on"], um["issued_on"])
		}
	})

	t.Run("disabled token is refused until re-enabled", func(t *testing.T) {
		setStatus(t, c, env.AccountID, created.ID, shared.TokenStatusDisabled)
		e := failure(t, env.Do("GET", "/accounts/"+env.AccountID+"/tokens/verify", value, nil), http.StatusUnauthorized, 1000)
		if !strings.Contains(chain(e), "disabled") {
			t.Errorf("refusal does not say the token is disabled: %v", e)
		}
		got, err := c.Accounts.Tokens.Get(ctx, created.ID, accounts.TokenGetParams{AccountID: acct})
		if err != nil || got.Status != shared.TokenStatusDisabled {
			t.Fatalf("get disabled token: %v %v", got, err)
		}
		setStatus(t, c, env.AccountID, created.ID, shared.TokenStatusActive)
		if _, err := env.Client(value).Accounts.Tokens.Verify(ctx, accounts.TokenVerifyParams{AccountID: acct}); err != nil {
			t.Errorf("re-enabled token: %v", err)
		}
	})

	t.Run("status expired cannot be set", func(t *testing.T) {
		_, err := c.Accounts.Tokens.Update(ctx, created.ID, accounts.TokenUpdateParams{AccountID: acct,
			Token: shared.TokenParam{Status: cloudflare.F(shared.TokenStatusExpired)}})
		sdkError(t, err, http.StatusBadRequest)
	})

	t.Run("roll replaces the secret", func(t *testing.T) {
		rolled, err := c.Accounts.Tokens.Value.Update(ctx, created.ID, accounts.TokenValueUpdateParams{
			AccountID: acct, Body: map[string]any{}})
		if err != nil {
			t.Fatal(err)
		}
		newValue := *rolled
		if !valueForm.MatchString(newValue) || newValue == value {
			t.Fatalf("rolled value %q", newValue)
		}
		e := failure(t, env.Do("GET", "/accounts/"+env.AccountID+"/tokens/verify", value, nil), http.StatusUnauthorized, 1000)
		if e["message"] != "Invalid API Token" {
			t.Errorf("old value: %v", e)
		}
		v, err := env.Client(newValue).Accounts.Tokens.Verify(ctx, accounts.TokenVerifyParams{AccountID: acct})
		if err != nil || v.ID != created.ID {
			t.Errorf("new value: %v %v", v, err)
		}
		// A roll with no body at all (curl -X PUT) works too.
		r := env.Do("PUT", "/accounts/"+env.AccountID+"/tokens/"+created.ID+"/value", env.Token, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("body-less roll: %d %s", r.Status, r.Body)
		}
		if s, ok := r.JSON(t)["result"].(string); !ok || !valueForm.MatchString(s) {
			t.Errorf("roll result is not the new value string: %s", r.Body)
		}
	})

	t.Run("delete", func(t *testing.T) {
		del, err := c.Accounts.Tokens.Delete(ctx, created.ID, accounts.TokenDeleteParams{AccountID: acct})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string]any{"id": created.ID}, object(t, del.JSON.RawJSON())); diff != "" {
			t.Errorf("delete result (-want +got):\n%s", diff)
		}
		_, err = c.Accounts.Tokens.Get(ctx, created.ID, accounts.TokenGetParams{AccountID: acct})
		sdkError(t, err, http.StatusNotFound)
		_, err = c.Accounts.Tokens.Delete(ctx, created.ID, accounts.TokenDeleteParams{AccountID: acct})
		sdkError(t, err, http.StatusNotFound)
		_, err = c.Accounts.Tokens.Value.Update(ctx, created.ID, accounts.TokenValueUpdateParams{AccountID: acct, Body: map[string]any{}})
		sdkError(t, err, http.StatusNotFound)
	})
}

func setStatus(t *testing.T, c *cloudflare.Client, account, id string, s shared.TokenStatus) {
	t.Helper()
	up, err := c.Accounts.Tokens.Update(context.Background(), id, accounts.TokenUpdateParams{
		AccountID: cloudflare.F(account), Token: shared.TokenParam{Status: cloudflare.F(s)}})
	if err != nil {
		t.Fatalf("set status %s: %v", s, err)
	}
	if up.Status != s {
		t.Fatalf("status after update: %s", up.JSON.RawJSON())
	}
}

// TestTokenUpdateFields covers PUT's merge semantics field by field.
func TestTokenUpdateFields(t *testing.T) {
	env := apptest.New(t)
	ctx := context.Background()
	c := env.Client(env.Token)
	acct := cloudflare.F(env.AccountID)
	future := time.Now().UTC().Add(48 * time.Hour).Truncate(time.Second)

	params := newParams(t, env.AccountID, "with everything", tokens.SSOWrite)
	params.Condition = cloudflare.F(accounts.TokenNewParamsCondition{RequestIP: cloudflare.F(accounts.TokenNewParamsConditionRequestIP{
		In: cloudflare.F([]string{"127.0.0.0/8", "::1/128"}), NotIn: cloudflare.F([]string{"127.0.0.2"})})})
	params.ExpiresOn = cloudflare.F(future)
	created, err := c.Accounts.Tokens.New(ctx, params)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	cm := checkToken(t, created.JSON.RawJSON(), "value", "expires_on", "condition")
	wantCond := map[string]any{"request_ip": map[string]any{"in": []any{"127.0.0.0/8", "::1/128"}, "not_in": []any{"127.0.0.2"}}}
	if diff := cmp.Diff(wantCond, cm["condition"]); diff != "" {
		t.Errorf("condition (-want +got):\n%s", diff)
	}
	if !created.ExpiresOn.Equal(future) {
		t.Errorf("expires_on %v, want %v", created.ExpiresOn, future)
	}

	tests := []struct {
		name  string
		param shared.TokenParam
		check func(t *testing.T, m map[string]any)
	}{
		{"policies replaced", shared.TokenParam{Policies: cloudflare.F([]shared.TokenPolicyParam{allow(t, env.AccountID, tokens.SSORead, tokens.TokensRead)})},
			func(t *testing.T, m map[string]any) {
				gs := m["policies"].([]any)[0].(map[string]any)["permission_groups"].([]any)
				if len(gs) != 2 || gs[0].(map[string]any)["name"] != tokens.SSORead {
					t.Errorf("policies: %v", m["policies"])
				}
				if diff := cmp.Diff(wantCond, m["condition"]); diff != "" {
					t.Errorf("condition changed (-want +got):\n%s", diff)
				}
			}},
		{"condition replaced", shared.TokenParam{Condition: cloudflare.F(shared.TokenConditionParam{RequestIP: cloudflare.F(shared.TokenConditionRequestIPParam{
			In: cloudflare.F([]string{"0.0.0.0/0"})})})},
			func(t *testing.T, m map[string]any) {
				want := map[string]any{"request_ip": map[string]any{"in": []any{"0.0.0.0/0"}}}
				if diff := cmp.Diff(want, m["condition"]); diff != "" {
					t.Errorf("condition (-want +got):\n%s", diff)
				}
			}},
		{"expires_on moved", shared.TokenParam{ExpiresOn: cloudflare.F(future.Add(time.Hour))},
			func(t *testing.T, m map[string]any) {
				if m["expires_on"] != future.Add(time.Hour).Format(time.RFC3339) {
					t.Errorf("expires_on %v", m["expires_on"])
				}
			}},
		{"empty body changes nothing but modified_on", shared.TokenParam{},
			func(t *testing.T, m map[string]any) {
				if m["name"] != "with everything" || m["status"] != "active" {
					t.Errorf("token: %v", m)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			up, err := c.Accounts.Tokens.Update(ctx, created.ID, accounts.TokenUpdateParams{AccountID: acct, Token: tc.param})
			if err != nil {
				t.Fatal(err)
			}
			m := checkToken(t, up.JSON.RawJSON(), "expires_on", "condition")
			tc.check(t, m)
			got, err := c.Accounts.Tokens.Get(ctx, created.ID, accounts.TokenGetParams{AccountID: acct})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(m, checkToken(t, got.JSON.RawJSON(), "expires_on", "condition")); diff != "" {
				t.Errorf("update result and later get differ (-update +get):\n%s", diff)
			}
		})
	}

	t.Run("expires_on null clears it", func(t *testing.T) {
		r := env.Do("PUT", "/accounts/"+env.AccountID+"/tokens/"+created.ID, env.Token, `{"expires_on":null}`)
		if r.Status != http.StatusOK {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		checkToken(t, string(mustJSON(t, r.JSON(t)["result"])), "condition")
	})

	t.Run("unknown token", func(t *testing.T) {
		_, err := c.Accounts.Tokens.Update(ctx, strings.Repeat("a", 32), accounts.TokenUpdateParams{AccountID: acct,
			Token: shared.TokenParam{Name: cloudflare.F("x")}})
		sdkError(t, err, http.StatusNotFound)
	})
}

// TestTokenTimesRoundTrip: what create returns is what a later read
// returns, also for times with more precision than is stored.
func TestTokenTimesRoundTrip(t *testing.T) {
	env := apptest.New(t)
	exp := time.Now().UTC().Add(72*time.Hour).Format("2006-01-02T15:04:05") + ".123456789Z"
	body := `{"name":"precise","expires_on":"` + exp + `","policies":[{"effect":"allow","permission_groups":[{"id":"` +
		groupID(t, tokens.SSORead) + `"}],"resources":{"com.cloudflare.api.account.` + env.AccountID + `":"*"}}]}`
	r := env.Do("POST", "/accounts/"+env.AccountID+"/tokens", env.Token, body)
	if r.Status != http.StatusOK {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	created := r.JSON(t)["result"].(map[string]any)
	g := env.Do("GET", "/accounts/"+env.AccountID+"/tokens/"+created["id"].(string), env.Token, nil)
	got := g.JSON(t)["result"].(map[string]any)
	if created["expires_on"] != got["expires_on"] {
		t.Errorf("expires_on: create answered %v, get answers %v", created["expires_on"], got["expires_on"])
	}
}

// TestPolicyIDsAreServerAssigned: ids a client puts in policies are
// replaced, on create and on update.
func TestPolicyIDsAreServerAssigned(t *testing.T) {
	env := apptest.New(t)
	chosen := strings.Repeat("0", 32)
	policies := `[{"id":"` + chosen + `","effect":"allow","permission_groups":[{"id":"` + groupID(t, tokens.SSORead) +
		`","name":"made up"}],"resources":{"com.cloudflare.api.account.` + env.AccountID + `":"*"}}]`
	r := env.Do("POST", "/accounts/"+env.AccountID+"/tokens", env.Token, `{"name":"x","policies":`+policies+`}`)
	if r.Status != http.StatusOK {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	created := checkToken(t, string(mustJSON(t, r.JSON(t)["result"])), "value")
	pol := created["policies"].([]any)[0].(map[string]any)
	if pol["id"] == chosen {
		t.Errorf("create kept the client's policy id")
	}
	if name := pol["permission_groups"].([]any)[0].(map[string]any)["name"]; name != tokens.SSORead {
		t.Errorf("group name %v: the client's name was kept", name)
	}
	u := env.Do("PUT", "/accounts/"+env.AccountID+"/tokens/"+created["id"].(string), env.Token, `{"policies":`+policies+`}`)
	if u.Status != http.StatusOK {
		t.Fatalf("update: %d %s", u.Status, u.Body)
	}
	updated := checkToken(t, string(mustJSON(t, u.JSON(t)["result"])))
	if id := updated["policies"].([]any)[0].(map[string]any)["id"]; id == chosen {
		t.Errorf("update kept the client's policy id")
	}
}
