package tokens_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
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

// TestTokenValidity covers expires_on and not_before with an injected clock.
func TestTokenValidity(t *testing.T) {
	clk := newClock()
	env := apptest.New(t, apptest.WithNow(clk.Now))
	ctx := context.Background()
	c := env.Client(env.Token)
	acct := cloudflare.F(env.AccountID)
	verifyPath := "/accounts/" + env.AccountID + "/tokens/verify"

	t.Run("expires_on in the past is refused", func(t *testing.T) {
		for _, d := range []time.Duration{-time.Hour, 0} {
			p := newParams(t, env.AccountID, "stale", tokens.SSORead)
			p.ExpiresOn = cloudflare.F(clk.Now().Add(d))
			_, err := c.Accounts.Tokens.New(ctx, p)
			e := sdkError(t, err, http.StatusBadRequest)
			if len(e.Errors) == 0 || e.Errors[0].Source.Pointer != "/expires_on" || !strings.Contains(e.Errors[0].Message, "past") {
				t.Errorf("expires_on now%+v: %v", d, e.Errors)
			}
		}
	})

	t.Run("token expires", func(t *testing.T) {
		p := newParams(t, env.AccountID, "short-lived", tokens.SSORead)
		p.ExpiresOn = cloudflare.F(clk.Now().Add(time.Hour))
		created, err := c.Accounts.Tokens.New(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		checkToken(t, created.JSON.RawJSON(), "value", "expires_on")
		if r := env.Do("GET", verifyPath, created.Value, nil); r.Status != http.StatusOK {
			t.Fatalf("before expiry: %d %s", r.Status, r.Body)
		}
		clk.Advance(time.Hour) // expires_on is exclusive: invalid on and after it
		e := failure(t, env.Do("GET", verifyPath, created.Value, nil), http.StatusUnauthorized, 1000)
		if !strings.Contains(chain(e), "expired") {
			t.Errorf("refusal does not say the token expired: %v", e)
		}
		got, err := c.Accounts.Tokens.Get(ctx, created.ID, accounts.TokenGetParams{AccountID: acct})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != shared.TokenStatusExpired {
			t.Errorf("status of an expired token: %s", got.JSON.RawJSON())
		}
		// Moving expires_on forward revives it.
		_, err = c.Accounts.Tokens.Update(ctx, created.ID, accounts.TokenUpdateParams{AccountID: acct,
			Token: shared.TokenParam{ExpiresOn: cloudflare.F(clk.Now().Add(time.Hour))}})
		if err != nil {
			t.Fatal(err)
		}
		if r := env.Do("GET", verifyPath, created.Value, nil); r.Status != http.StatusOK {
			t.Errorf("after extending: %d %s", r.Status, r.Body)
		}
	})

	t.Run("expires_on set by update", func(t *testing.T) {
		created, err := c.Accounts.Tokens.New(ctx, newParams(t, env.AccountID, "to be limited", tokens.SSORead))
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Accounts.Tokens.Update(ctx, created.ID, accounts.TokenUpdateParams{AccountID: acct,
			Token: shared.TokenParam{ExpiresOn: cloudflare.F(clk.Now().Add(time.Minute))}})
		if err != nil {
			t.Fatal(err)
		}
		if r := env.Do("GET", verifyPath, created.Value, nil); r.Status != http.StatusOK {
			t.Fatalf("before expiry: %d %s", r.Status, r.Body)
		}
		clk.Advance(2 * time.Minute)
		e := failure(t, env.Do("GET", verifyPath, created.Value, nil), http.StatusUnauthorized, 1000)
		if !strings.Contains(chain(e), "expired") {
			t.Errorf("refusal does not say the token expired: %v", e)
		}
		_, err = c.Accounts.Tokens.Update(ctx, created.ID, accounts.TokenUpdateParams{AccountID: acct,
			Token: shared.TokenParam{ExpiresOn: cloudflare.F(clk.Now().Add(-time.Second))}})
		sdkError(t, err, http.StatusBadRequest)
	})

	t.Run("not_before", func(t *testing.T) {
		p := newParams(t, env.AccountID, "later", tokens.SSORead)
		p.NotBefore = cloudflare.F(clk.Now().Add(time.Hour))
		created, err := c.Accounts.Tokens.New(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		checkToken(t, created.JSON.RawJSON(), "value", "not_before")
		e := failure(t, env.Do("GET", verifyPath, created.Value, nil), http.StatusUnauthorized, 1000)
		if !strings.Contains(chain(e), "not valid before") {
			t.Errorf("refusal does not say why: %v", e)
		}
		clk.Advance(time.Hour)
		if r := env.Do("GET", verifyPath, created.Value, nil); r.Status != http.StatusOK {
			t.Errorf("after not_before: %d %s", r.Status, r.Body)
		}
	})

	t.Run("expires_on must follow not_before", func(t *testing.T) {
		p := newParams(t, env.AccountID, "inverted", tokens.SSORead)
		p.NotBefore = cloudflare.F(clk.Now().Add(2 * time.Hour))
		p.ExpiresOn = cloudflare.F(clk.Now().Add(time.Hour))
		_, err := c.Accounts.Tokens.New(ctx, p)
		sdkError(t, err, http.StatusBadRequest)
	})
}

// TestTokenListPaging: the SDK's auto-pager (which stops only on an empty
// page) terminates and yields every token exactly once.
func TestTokenListPaging(t *testing.T) {
	env := apptest.New(t)
	ctx := context.Background()
	c := env.Client(env.Token)
	acct := cloudflare.F(env.AccountID)
	want := []string{env.App.Bootstrap.Token.ID}
	for i := range 27 {
		tok, err := c.Accounts.Tokens.New(ctx, newParams(t, env.AccountID, fmt.Sprintf("token %02d", i), tokens.SSORead))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, tok.ID)
	}

	t.Run("auto-paging", func(t *testing.T) {
		var got []string
		iter := c.Accounts.Tokens.ListAutoPaging(ctx, accounts.TokenListParams{AccountID: acct, PerPage: cloudflare.F(5.0)})
		for iter.Next() {
			got = append(got, iter.Current().ID)
			if len(got) > 3*len(want) {
				t.Fatalf("auto-pager does not stop: %d items", len(got))
			}
		}
		if err := iter.Err(); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" { // oldest first: creation order
			t.Errorf("auto-paged ids (-want +got):\n%s", diff)
		}
	})

	t.Run("descending", func(t *testing.T) {
		page, err := c.Accounts.Tokens.List(ctx, accounts.TokenListParams{AccountID: acct, PerPage: cloudflare.F(50.0),
			Direction: cloudflare.F(accounts.TokenListParamsDirectionDesc)})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, tok := range page.Result {
			got = append(got, tok.ID)
		}
		rev := slices.Clone(want)
		slices.Reverse(rev)
		if diff := cmp.Diff(rev, got); diff != "" {
			t.Errorf("desc ids (-want +got):\n%s", diff)
		}
	})

	infos := []struct {
		query string
		count int
		info  map[string]any
	}{
		{"", 20, map[string]any{"page": 1.0, "per_page": 20.0, "count": 20.0, "total_count": 28.0, "total_pages": 2.0}},
		{"?page=6&per_page=5", 3, map[string]any{"page": 6.0, "per_page": 5.0, "count": 3.0, "total_count": 28.0, "total_pages": 6.0}},
		{"?page=7&per_page=5", 0, map[string]any{"page": 7.0, "per_page": 5.0, "count": 0.0, "total_count": 28.0, "total_pages": 6.0}},
		{"?page=1000000&per_page=50", 0, map[string]any{"page": 1e6, "per_page": 50.0, "count": 0.0, "total_count": 28.0, "total_pages": 1.0}},
	}
	for _, tc := range infos {
		t.Run("result_info"+tc.query, func(t *testing.T) {
			r := env.Do("GET", "/accounts/"+env.AccountID+"/tokens"+tc.query, env.Token, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			m := r.JSON(t)
			items, ok := m["result"].([]any)
			if !ok || len(items) != tc.count {
				t.Errorf("result: %d items (array: %v), want %d", len(items), ok, tc.count)
			}
			if diff := cmp.Diff(tc.info, m["result_info"]); diff != "" {
				t.Errorf("result_info (-want +got):\n%s", diff)
			}
		})
	}

	// Huge page numbers must not wrap (page-1)*per_page around to page 1.
	for _, q := range []string{"?page=9223372036854775807", "?page=4611686018427387905&per_page=20", "?page=461168601842738791&per_page=40"} {
		t.Run("huge"+q, func(t *testing.T) {
			r := env.Do("GET", "/accounts/"+env.AccountID+"/tokens"+q, env.Token, nil)
			if r.Status == http.StatusBadRequest {
				return
			}
			if r.Status != http.StatusOK {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			if items, _ := r.JSON(t)["result"].([]any); len(items) != 0 {
				t.Errorf("page far past the end returned %d tokens (offset wrapped around)", len(items))
			}
		})
	}

	for _, q := range []string{"?per_page=4", "?per_page=51", "?page=0", "?page=x", "?direction=up"} {
		t.Run("refused"+q, func(t *testing.T) {
			failure(t, env.Do("GET", "/accounts/"+env.AccountID+"/tokens"+q, env.Token, nil), http.StatusBadRequest, 1002)
		})
	}
}

func TestPermissionGroups(t *testing.T) {
	env := apptest.New(t)
	ctx := context.Background()
	c := env.Client(env.Token)
	acct := cloudflare.F(env.AccountID)
	required := []string{"SSO Connector Read", "SSO Connector Write", "Account API Tokens Read", "Account API Tokens Write",
		"Account Settings Read", "Account Members Read", "Account Members Write"}

	page, err := c.Accounts.Tokens.PermissionGroups.List(ctx, accounts.TokenPermissionGroupListParams{AccountID: acct})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]string{}
	for _, g := range page.Result {
		if !hex32.MatchString(g.ID) {
			t.Errorf("group %q has id %q", g.Name, g.ID)
		}
		if len(g.Scopes) != 1 || g.Scopes[0] != "com.cloudflare.api.account" {
			t.Errorf("group %q has scopes %v", g.Name, g.Scopes)
		}
		if diff := cmp.Diff([]string{"id", "name", "scopes"}, keys(object(t, g.JSON.RawJSON()))); diff != "" {
			t.Errorf("group keys (-want +got):\n%s", diff)
		}
		byName[g.Name] = g.ID
	}
	for _, n := range required {
		if byName[n] == "" {
			t.Errorf("permission group %q missing", n)
		}
	}
	got, err := c.Accounts.Tokens.PermissionGroups.Get(ctx, accounts.TokenPermissionGroupGetParams{AccountID: acct})
	if err != nil {
		t.Fatal(err)
	}
	if len(*got) != len(page.Result) {
		t.Errorf("Get: %d groups, List: %d", len(*got), len(page.Result))
	}

	filters := []struct {
		name, query string
		want        []string
	}{
		{"name", "?name=" + url.QueryEscape("SSO Connector Read"), []string{"SSO Connector Read"}},
		{"name any case", "?name=sso%20connector%20WRITE", []string{"SSO Connector Write"}},
		{"name double-encoded", "?name=SSO%2520Connector%2520Read", []string{"SSO Connector Read"}},
		{"name plus-encoded", "?name=Account+Members+Read", []string{"Account Members Read"}},
		{"unknown name", "?name=Zone%20Read", []string{}},
		{"scope", "?scope=com.cloudflare.api.account&name=Account%20Settings%20Read", []string{"Account Settings Read"}},
		{"other scope", "?scope=com.cloudflare.api.user", []string{}},
	}
	for _, tc := range filters {
		t.Run(tc.name, func(t *testing.T) {
			r := env.Do("GET", "/accounts/"+env.AccountID+"/tokens/permission_groups"+tc.query, env.Token, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			items, ok := r.JSON(t)["result"].([]any)
			if !ok {
				t.Fatalf("result is not an array: %s", r.Body)
			}
			names := []string{}
			for _, it := range items {
				names = append(names, it.(map[string]any)["name"].(string))
			}
			if diff := cmp.Diff(tc.want, names); diff != "" {
				t.Errorf("groups (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("SDK double-encodes the documented URL-encoded form", func(t *testing.T) {
		page, err := c.Accounts.Tokens.PermissionGroups.List(ctx, accounts.TokenPermissionGroupListParams{
			AccountID: acct, Name: cloudflare.F("SSO%20Connector%20Read")})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Result) != 1 || page.Result[0].Name != "SSO Connector Read" || page.Result[0].ID != byName["SSO Connector Read"] {
			t.Errorf("filtered list: %s", page.JSON.RawJSON())
		}
	})

	t.Run("needs a tokens permission", func(t *testing.T) {
		tok := env.NewToken(env.AccountID, tokens.SSOWrite)
		failure(t, env.Do("GET", "/accounts/"+env.AccountID+"/tokens/permission_groups", tok, nil), http.StatusForbidden, 10000)
		ro := env.NewToken(env.AccountID, tokens.TokensRead)
		if r := env.Do("GET", "/accounts/"+env.AccountID+"/tokens/permission_groups", ro, nil); r.Status != http.StatusOK {
			t.Errorf("Account API Tokens Read: %d %s", r.Status, r.Body)
		}
	})
}

func TestVerify(t *testing.T) {
	env := apptest.New(t)
	ctx := context.Background()
	ssoOnly := env.NewToken(env.AccountID, tokens.SSORead)
	otherAcct, _ := env.NewAccount("other")

	for _, tok := range []struct{ name, value string }{{"bootstrap", env.Token}, {"SSO Connector Read only", ssoOnly}} {
		t.Run(tok.name, func(t *testing.T) {
			c := env.Client(tok.value)
			v, err := c.Accounts.Tokens.Verify(ctx, accounts.TokenVerifyParams{AccountID: cloudflare.F(env.AccountID)})
			if err != nil {
				t.Fatal(err)
			}
			if !hex32.MatchString(v.ID) || v.Status != "active" {
				t.Errorf("account verify: %s", v.JSON.RawJSON())
			}
			if diff := cmp.Diff([]string{"id", "status"}, keys(object(t, v.JSON.RawJSON()))); diff != "" {
				t.Errorf("verify keys (-want +got):\n%s", diff)
			}
			u, err := c.User.Tokens.Verify(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if u.ID != v.ID || u.Status != "active" {
				t.Errorf("user verify: %s", u.JSON.RawJSON())
			}
			for _, path := range []string{"/accounts/" + env.AccountID + "/tokens/verify", "/user/tokens/verify"} {
				m := env.Do("GET", path, tok.value, nil).JSON(t)
				want := []any{map[string]any{"code": 10000.0, "message": "This API Token is valid and active"}}
				if diff := cmp.Diff(want, m["messages"]); diff != "" {
					t.Errorf("%s messages (-want +got):\n%s", path, diff)
				}
			}
			failure(t, env.Do("GET", "/accounts/"+otherAcct+"/tokens/verify", tok.value, nil), http.StatusForbidden, 10000)
		})
	}
	if env.App.Bootstrap.Token == nil {
		t.Fatal("no bootstrap token")
	}
	v, _ := env.Client(env.Token).Accounts.Tokens.Verify(ctx, accounts.TokenVerifyParams{AccountID: cloudflare.F(env.AccountID)})
	if v == nil || v.ID != env.App.Bootstrap.Token.ID {
		t.Errorf("verify names token %v, want the bootstrap token %s", v, env.App.Bootstrap.Token.ID)
	}
}

// TestNoEscalation: a token can neither mint nor take over a token holding
// more than itself.
func TestNoEscalation(t *testing.T) {
	env := apptest.New(t)
	ctx := context.Background()
	acct := cloudflare.F(env.AccountID)
	admin := env.Client(env.Token)
	tokWriteValue := env.NewToken(env.AccountID, tokens.TokensWrite)
	tokWrite := env.Client(tokWriteValue)
	ssoRead := env.Client(env.NewToken(env.AccountID, tokens.SSORead))
	bootstrapID := env.App.Bootstrap.Token.ID

	t.Run("SSO Connector Read cannot create tokens", func(t *testing.T) {
		_, err := ssoRead.Accounts.Tokens.New(ctx, newParams(t, env.AccountID, "x", tokens.SSORead))
		sdkError(t, err, http.StatusForbidden)
	})
	t.Run("cannot grant a group it lacks", func(t *testing.T) {
		_, err := tokWrite.Accounts.Tokens.New(ctx, newParams(t, env.AccountID, "x", tokens.SSOWrite))
		e := sdkError(t, err, http.StatusForbidden)
		if e.Errors[0].Code != 10000 {
			t.Errorf("errors: %v", e.Errors)
		}
	})
	t.Run("can grant what it holds and what that implies", func(t *testing.T) {
		if _, err := tokWrite.Accounts.Tokens.New(ctx, newParams(t, env.AccountID, "x", tokens.TokensWrite, tokens.TokensRead)); err != nil {
			t.Error(err)
		}
	})
	t.Run("may deny what it lacks", func(t *testing.T) {
		p := newParams(t, env.AccountID, "x", tokens.TokensRead)
		deny := allow(t, env.AccountID, tokens.SSOWrite)
		deny.Effect = cloudflare.F(shared.TokenPolicyEffectDeny)
		p.Policies = cloudflare.F(append(p.Policies.Value, deny))
		if _, err := tokWrite.Accounts.Tokens.New(ctx, p); err != nil {
			t.Error(err)
		}
	})
	t.Run("cannot widen a token by update", func(t *testing.T) {
		mine, err := tokWrite.Accounts.Tokens.New(ctx, newParams(t, env.AccountID, "mine", tokens.TokensRead))
		if err != nil {
			t.Fatal(err)
		}
		_, err = tokWrite.Accounts.Tokens.Update(ctx, mine.ID, accounts.TokenUpdateParams{AccountID: acct,
			Token: shared.TokenParam{Policies: cloudflare.F([]shared.TokenPolicyParam{allow(t, env.AccountID, tokens.SSOWrite)})}})
		sdkError(t, err, http.StatusForbidden)
	})
	t.Run("cannot update a stronger token", func(t *testing.T) {
		_, err := tokWrite.Accounts.Tokens.Update(ctx, bootstrapID, accounts.TokenUpdateParams{AccountID: acct,
			Token: shared.TokenParam{Name: cloudflare.F("mine now")}})
		sdkError(t, err, http.StatusForbidden)
	})
	t.Run("cannot roll a stronger token", func(t *testing.T) {
		// Rolling returns the new secret: a token with only "Account API
		// Tokens Write" that may roll the all-permissions token becomes it.
		v, err := tokWrite.Accounts.Tokens.Value.Update(ctx, bootstrapID, accounts.TokenValueUpdateParams{AccountID: acct, Body: map[string]any{}})
		if err == nil {
			t.Errorf("a token with only %q rolled the all-permissions token and got its new secret %.8s…", tokens.TokensWrite, *v)
			return
		}
		sdkError(t, err, http.StatusForbidden)
		if _, err := admin.Accounts.Tokens.Verify(ctx, accounts.TokenVerifyParams{AccountID: acct}); err != nil {
			t.Errorf("the refused roll still changed the secret: %v", err)
		}
	})
	t.Run("cannot delete a stronger token", func(t *testing.T) {
		// The stronger token may be the lock-out recovery token: deleting
		// it is as much a take-over as rolling it.
		recovery, err := admin.Accounts.Tokens.New(ctx, newParams(t, env.AccountID, "lock-out recovery", tokens.SSOWrite))
		if err != nil {
			t.Fatal(err)
		}
		r := env.Do("DELETE", "/accounts/"+env.AccountID+"/tokens/"+recovery.ID, tokWriteValue, nil)
		msg := chain(failure(t, r, http.StatusForbidden, 10000))
		if !strings.Contains(msg, `holds "`+tokens.SSOWrite+`"`) || !strings.Contains(msg, "cannot delete a token stronger than itself") {
			t.Errorf("error_chain %q: want the permission it lacks and why", msg)
		}
		if _, err := admin.Accounts.Tokens.Get(ctx, recovery.ID, accounts.TokenGetParams{AccountID: acct}); err != nil {
			t.Errorf("the refused delete removed the token: %v", err)
		}
		if _, err := admin.Accounts.Tokens.Delete(ctx, recovery.ID, accounts.TokenDeleteParams{AccountID: acct}); err != nil {
			t.Errorf("a token holding every permission deleting it: %v", err)
		}
	})
	t.Run("can delete a token within its own permissions", func(t *testing.T) {
		weaker, err := admin.Accounts.Tokens.New(ctx, newParams(t, env.AccountID, "weaker", tokens.TokensRead))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tokWrite.Accounts.Tokens.Delete(ctx, weaker.ID, accounts.TokenDeleteParams{AccountID: acct}); err != nil {
			t.Errorf("deleting a token holding %q with %q: %v", tokens.TokensRead, tokens.TokensWrite, err)
		}
	})
}

// TestCreateRefused: every invalid create is a 400 naming the field.
func TestCreateRefused(t *testing.T) {
	env := apptest.New(t)
	otherAcct, _ := env.NewAccount("other")
	read := groupID(t, tokens.SSORead)
	res := func(acct string) string { return `{"com.cloudflare.api.account.` + acct + `":"*"}` }
	pol := func(effect, groups, resources string) string {
		return `[{"effect":"` + effect + `","permission_groups":` + groups + `,"resources":` + resources + `}]`
	}
	good := pol("allow", `[{"id":"`+read+`"}]`, res(env.AccountID))
	tests := []struct {
		name, body string
		code       int
		pointer    string
		msg        string
	}{
		{"no name", `{"policies":` + good + `}`, 1002, "/name", "name is required"},
		{"blank name", `{"name":"  ","policies":` + good + `}`, 1002, "/name", "empty"},
		{"long name", `{"name":"` + strings.Repeat("n", 121) + `","policies":` + good + `}`, 1002, "/name", "limit is 120"},
		{"control in name", `{"name":"a\u0007b","policies":` + good + `}`, 1002, "/name", "control"},
		{"no policies", `{"name":"x"}`, 1002, "/policies", "policies is required"},
		{"null policies", `{"name":"x","policies":null}`, 1002, "/policies", "policies is required"},
		{"empty policies", `{"name":"x","policies":[]}`, 1002, "/policies", "1 to 50"},
		{"bad effect", `{"name":"x","policies":` + pol("maybe", `[{"id":"`+read+`"}]`, res(env.AccountID)) + `}`, 1002, "/policies/0/effect", "effect"},
		{"no groups", `{"name":"x","policies":` + pol("allow", `[]`, res(env.AccountID)) + `}`, 1002, "/policies/0/permission_groups", "at least one"},
		{"unknown group", `{"name":"x","policies":` + pol("allow", `[{"id":"`+strings.Repeat("0", 32)+`"}]`, res(env.AccountID)) + `}`,
			1002, "/policies/0/permission_groups/0/id", "unknown permission group"},
		{"group by name only", `{"name":"x","policies":` + pol("allow", `[{"name":"SSO Connector Read"}]`, res(env.AccountID)) + `}`,
			1002, "/policies/0/permission_groups/0/id", "unknown permission group"},
		{"no resources", `{"name":"x","policies":` + pol("allow", `[{"id":"`+read+`"}]`, `{}`) + `}`, 1002, "/policies/0/resources", "must name the account"},
		{"another account", `{"name":"x","policies":` + pol("allow", `[{"id":"`+read+`"}]`, res(otherAcct)) + `}`,
			1002, "/policies/0/resources", otherAcct},
		{"own and another account", `{"name":"x","policies":` + pol("allow", `[{"id":"`+read+`"}]`,
			`{"com.cloudflare.api.account.`+env.AccountID+`":"*","com.cloudflare.api.account.`+otherAcct+`":"*"}`) + `}`,
			1002, "/policies/0/resources", otherAcct},
		{"nested resources", `{"name":"x","policies":` + pol("allow", `[{"id":"`+read+`"}]`,
			`{"com.cloudflare.api.account.`+env.AccountID+`":{"com.cloudflare.api.account.zone.*":"*"}}`) + `}`,
			1002, "/policies/0/resources", "must map to"},
		{"zone resource", `{"name":"x","policies":` + pol("allow", `[{"id":"`+read+`"}]`, `{"com.cloudflare.api.account.zone.*":"*"}`) + `}`,
			1002, "/policies/0/resources", "not allowed"},
		{"bad CIDR", `{"name":"x","policies":` + good + `,"condition":{"request_ip":{"in":["10.0.0.0/33"]}}}`,
			1002, "/condition/request_ip/in/0", "10.0.0.0/33"},
		{"bad not_in", `{"name":"x","policies":` + good + `,"condition":{"request_ip":{"not_in":["192.0.2.1","here"]}}}`,
			1002, "/condition/request_ip/not_in/1", "here"},
		{"expires_on past", `{"name":"x","policies":` + good + `,"expires_on":"2001-01-01T00:00:00Z"}`, 1002, "/expires_on", "past"},
		{"expires_on not a time", `{"name":"x","policies":` + good + `,"expires_on":"tomorrow"}`, 6007, "", "RFC 3339"},
		{"expires_on a number", `{"name":"x","policies":` + good + `,"expires_on":1893456000}`, 6007, "", "RFC 3339"},
		{"status expired", `{"name":"x","policies":` + good + `,"status":"expired"}`, 1002, "/status", "expired"},
		{"status unknown", `{"name":"x","policies":` + good + `,"status":"on"}`, 1002, "/status", "active"},
		{"policies not an array", `{"name":"x","policies":{}}`, 6007, "/policies", "policies"},
		{"name a number", `{"name":5,"policies":` + good + `}`, 6007, "/name", "name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := env.Do("POST", "/accounts/"+env.AccountID+"/tokens", env.Token, tc.body)
			e := failure(t, r, http.StatusBadRequest, tc.code)
			msg, _ := e["message"].(string)
			if !strings.Contains(msg, tc.msg) {
				t.Errorf("message %q does not contain %q", msg, tc.msg)
			}
			src, _ := e["source"].(map[string]any)
			if ptr, _ := src["pointer"].(string); ptr != tc.pointer {
				t.Errorf("source.pointer %q, want %q", ptr, tc.pointer)
			}
		})
	}
	// Nothing was created along the way.
	list := env.Do("GET", "/accounts/"+env.AccountID+"/tokens", env.Token, nil).JSON(t)
	if n := list["result_info"].(map[string]any)["total_count"]; n != 1.0 {
		t.Errorf("%v tokens after refused creates, want 1", n)
	}
}

// TestRequestIPCondition: a token restricted away from the caller's
// address is refused with 9109, one allowing it works.
func TestRequestIPCondition(t *testing.T) {
	env := apptest.New(t)
	ctx := context.Background()
	c := env.Client(env.Token)
	cases := []struct {
		name      string
		in, notIn []string
		status    int
	}{
		{"in loopback", []string{"127.0.0.0/8", "::1"}, nil, http.StatusOK},
		{"in elsewhere", []string{"192.0.2.0/24"}, nil, http.StatusForbidden},
		{"not_in loopback", nil, []string{"127.0.0.1"}, http.StatusForbidden},
		{"not_in elsewhere", nil, []string{"192.0.2.0/24"}, http.StatusOK},
		{"in and excluded", []string{"127.0.0.0/8"}, []string{"127.0.0.1/32"}, http.StatusForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := newParams(t, env.AccountID, tc.name, tokens.SSORead)
			ip := accounts.TokenNewParamsConditionRequestIP{}
			if tc.in != nil {
				ip.In = cloudflare.F(tc.in)
			}
			if tc.notIn != nil {
				ip.NotIn = cloudflare.F(tc.notIn)
			}
			p.Condition = cloudflare.F(accounts.TokenNewParamsCondition{RequestIP: cloudflare.F(ip)})
			tok, err := c.Accounts.Tokens.New(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			r := env.Do("GET", "/accounts/"+env.AccountID+"/sso_connectors", tok.Value, nil)
			if tc.status == http.StatusOK {
				if r.Status != http.StatusOK {
					t.Errorf("%d %s", r.Status, r.Body)
				}
				return
			}
			e := failure(t, r, http.StatusForbidden, 9109)
			if msg, _ := e["message"].(string); !strings.Contains(msg, "127.0.0.1") {
				t.Errorf("message does not name the address: %q", msg)
			}
		})
	}
}
