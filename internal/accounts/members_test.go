package accounts_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	cloudflare "github.com/cloudflare/cloudflare-go/v6"
	cfaccounts "github.com/cloudflare/cloudflare-go/v6/accounts"
	"github.com/cloudflare/cloudflare-go/v6/shared"
	"github.com/google/go-cmp/cmp"

	"github.com/ssogate/ssogate/internal/accounts"
	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/apptest"
	"github.com/ssogate/ssogate/internal/audit"
	"github.com/ssogate/ssogate/internal/store"
	"github.com/ssogate/ssogate/internal/tokens"
)

const bootstrapEmail = "admin@ssogate.localhost"

// checkMember asserts Cloudflare's member object (cloudflare-api.md §8.2)
// and returns it decoded.
func checkMember(t *testing.T, raw, email, status, role string) map[string]any {
	t.Helper()
	m := object(t, raw)
	if diff := cmp.Diff([]string{"email", "id", "policies", "roles", "status", "user"}, sortedKeys(m)); diff != "" {
		t.Errorf("member keys (-want +got):\n%s\n%s", diff, raw)
	}
	if id, _ := m["id"].(string); len(id) != 32 || m["email"] != email || m["status"] != status {
		t.Errorf("member %s, want %s %s", raw, email, status)
	}
	if p, ok := m["policies"].([]any); !ok || len(p) != 0 {
		t.Errorf("policies %v, want []", m["policies"])
	}
	roles, _ := m["roles"].([]any)
	if len(roles) != 1 {
		t.Fatalf("roles %v, want one", m["roles"])
	}
	checkRole(t, roles[0].(map[string]any), role)
	u, _ := m["user"].(map[string]any)
	want := map[string]any{"id": u["id"], "email": email, "first_name": "", "last_name": "",
		"two_factor_authentication_enabled": false}
	if diff := cmp.Diff(want, u); diff != "" {
		t.Errorf("user (-want +got):\n%s", diff)
	}
	if id, _ := u["id"].(string); len(id) != 32 || id == m["id"] {
		t.Errorf("user.id %v", u["id"])
	}
	return m
}

func newWithRoles(acct, email, role string, status cfaccounts.MemberNewParamsBodyIAMCreateMemberWithRolesStatus) cfaccounts.MemberNewParams {
	body := cfaccounts.MemberNewParamsBodyIAMCreateMemberWithRoles{Email: cloudflare.F(email),
		Roles: cloudflare.F([]string{pinnedRoleIDs[role]})}
	if status != "" {
		body.Status = cloudflare.F(status)
	}
	return cfaccounts.MemberNewParams{AccountID: cloudflare.F(acct), Body: body}
}

func updateRole(acct, role string) cfaccounts.MemberUpdateParams {
	return cfaccounts.MemberUpdateParams{AccountID: cloudflare.F(acct),
		Body: cfaccounts.MemberUpdateParamsBodyIAMUpdateMemberWithRoles{
			Roles: cloudflare.F([]shared.RoleParam{{ID: cloudflare.F(pinnedRoleIDs[role])}})}}
}

func wantInvalid(t *testing.T, err error, contains string) {
	t.Helper()
	e := sdkError(t, err, http.StatusBadRequest)
	if len(e.Errors) == 0 || !strings.Contains(e.Errors[0].Message, contains) {
		t.Errorf("errors %+v, want a message containing %q", e.Errors, contains)
	}
}

// TestMembersAPI drives a member through add, read, role change and
// removal with the official SDK, asserting the wire shape on the way.
func TestMembersAPI(t *testing.T) {
	env := apptest.New(t)
	ctx := context.Background()
	c := env.Client(env.Token)
	acct := cloudflare.F(env.AccountID)

	page, err := c.Accounts.Members.List(ctx, cfaccounts.MemberListParams{AccountID: acct})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Result) != 1 {
		t.Fatalf("%d members at start: %s", len(page.Result), page.JSON.RawJSON())
	}
	boot := checkMember(t, page.Result[0].JSON.RawJSON(), bootstrapEmail, "accepted", accounts.RoleSuperAdmin)
	bootID := boot["id"].(string)

	added, err := c.Accounts.Members.New(ctx, newWithRoles(env.AccountID, "Bob@Example.com", accounts.RoleAdmin,
		cfaccounts.MemberNewParamsBodyIAMCreateMemberWithRolesStatusAccepted))
	if err != nil {
		t.Fatal(err)
	}
	checkMember(t, added.JSON.RawJSON(), "bob@example.com", "accepted", accounts.RoleAdmin)
	if added.Roles[0].ID != pinnedRoleIDs[accounts.RoleAdmin] || added.User.Email != "bob@example.com" {
		t.Errorf("SDK decoded %+v", added)
	}

	t.Run("pending by default", func(t *testing.T) {
		m, err := c.Accounts.Members.New(ctx, newWithRoles(env.AccountID, "carol@example.com", accounts.RoleReadOnly, ""))
		if err != nil {
			t.Fatal(err)
		}
		checkMember(t, m.JSON.RawJSON(), "carol@example.com", "pending", accounts.RoleReadOnly)
	})

	t.Run("get", func(t *testing.T) {
		got, err := c.Accounts.Members.Get(ctx, added.ID, cfaccounts.MemberGetParams{AccountID: acct})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(object(t, added.JSON.RawJSON()), object(t, got.JSON.RawJSON())); diff != "" {
			t.Errorf("get differs from create (-create +get):\n%s", diff)
		}
	})

	t.Run("update, both forms", func(t *testing.T) {
		m, err := c.Accounts.Members.Update(ctx, added.ID, updateRole(env.AccountID, accounts.RoleReadOnly))
		if err != nil {
			t.Fatal(err)
		}
		checkMember(t, m.JSON.RawJSON(), "bob@example.com", "accepted", accounts.RoleReadOnly)
		r := env.Do("PUT", "/accounts/"+env.AccountID+"/members/"+added.ID, env.Token,
			map[string]any{"roles": []string{pinnedRoleIDs[accounts.RoleAdmin]}})
		if r.Status != http.StatusOK {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		res := r.JSON(t)["result"].(map[string]any)
		if res["roles"].([]any)[0].(map[string]any)["name"] != accounts.RoleAdmin {
			t.Errorf("PUT [id]: %s", r.Body)
		}
	})

	t.Run("refused bodies", func(t *testing.T) {
		_, err := c.Accounts.Members.New(ctx, newWithRoles(env.AccountID, "BOB@example.com", accounts.RoleAdmin, ""))
		wantInvalid(t, err, "bob@example.com is already a member of this account")
		_, err = c.Accounts.Members.New(ctx, newWithRoles(env.AccountID, "not an address", accounts.RoleAdmin, ""))
		wantInvalid(t, err, "is not an email address")
		tests := []struct {
			name, method, body, msg string
		}{
			{"unknown role id", "POST", `{"email":"dan@example.com","roles":["` + strings.Repeat("0", 32) + `"]}`, pinnedRoleIDs[accounts.RoleReadOnly]},
			{"role name instead of id", "POST", `{"email":"dan@example.com","roles":["Administrator"]}`, "is not a role id"},
			{"two roles", "POST", `{"email":"dan@example.com","roles":["` + pinnedRoleIDs[accounts.RoleAdmin] + `","` + pinnedRoleIDs[accounts.RoleReadOnly] + `"]}`, "exactly one role"},
			{"no roles", "POST", `{"email":"dan@example.com"}`, "exactly one role"},
			{"empty roles", "POST", `{"email":"dan@example.com","roles":[]}`, "exactly one role"},
			{"roles not an array", "POST", `{"email":"dan@example.com","roles":"x"}`, "array"},
			{"policies", "POST", `{"email":"dan@example.com","policies":[{"access":"allow","permission_groups":[{"id":"x"}],"resource_groups":[{"id":"y"}]}]}`, "use roles"},
			{"no email", "POST", `{"roles":["` + pinnedRoleIDs[accounts.RoleAdmin] + `"]}`, "email is required"},
			{"bad status", "POST", `{"email":"dan@example.com","status":"rejected","roles":["` + pinnedRoleIDs[accounts.RoleAdmin] + `"]}`, "status must be"},
			{"update without roles", "PUT", `{}`, "exactly one role"},
			{"update with policies", "PUT", `{"policies":[]}`, "use roles"},
			{"update with unknown role", "PUT", `{"roles":[{"id":"` + strings.Repeat("1", 32) + `"}]}`, "is not a role id"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				path := "/accounts/" + env.AccountID + "/members"
				if tc.method == "PUT" {
					path += "/" + added.ID
				}
				r := env.Do(tc.method, path, env.Token, tc.body)
				if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), tc.msg) ||
					!strings.Contains(string(r.Body), `"code":1002`) {
					t.Errorf("%d %s, want 400 1002 containing %q", r.Status, r.Body, tc.msg)
				}
			})
		}
		if _, err := accounts.UserByEmail(ctx, env.App.DB, "dan@example.com"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a refused add left a user behind: %v", err)
		}
	})

	t.Run("last super administrator", func(t *testing.T) {
		_, err := c.Accounts.Members.Update(ctx, bootID, updateRole(env.AccountID, accounts.RoleAdmin))
		wantInvalid(t, err, "last Super Administrator")
		_, err = c.Accounts.Members.Delete(ctx, bootID, cfaccounts.MemberDeleteParams{AccountID: acct})
		wantInvalid(t, err, "last Super Administrator")
		// A pending Super Administrator does not count: they may never sign in.
		p, err := c.Accounts.Members.New(ctx, newWithRoles(env.AccountID, "erin@example.com", accounts.RoleSuperAdmin, ""))
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Accounts.Members.Delete(ctx, bootID, cfaccounts.MemberDeleteParams{AccountID: acct})
		wantInvalid(t, err, "last Super Administrator")
		// Setting the role a member already has is not a demotion.
		if _, err := c.Accounts.Members.Update(ctx, bootID, updateRole(env.AccountID, accounts.RoleSuperAdmin)); err != nil {
			t.Errorf("re-setting the same role: %v", err)
		}
		// With a second accepted one, the first may step down.
		if _, err := c.Accounts.Members.Update(ctx, added.ID, updateRole(env.AccountID, accounts.RoleSuperAdmin)); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Accounts.Members.Update(ctx, bootID, updateRole(env.AccountID, accounts.RoleAdmin)); err != nil {
			t.Fatalf("demote with another super administrator: %v", err)
		}
		_, err = c.Accounts.Members.Delete(ctx, added.ID, cfaccounts.MemberDeleteParams{AccountID: acct})
		wantInvalid(t, err, "last Super Administrator")
		if _, err := c.Accounts.Members.Update(ctx, bootID, updateRole(env.AccountID, accounts.RoleSuperAdmin)); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Accounts.Members.Delete(ctx, p.ID, cfaccounts.MemberDeleteParams{AccountID: acct}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("delete", func(t *testing.T) {
		m, err := c.Accounts.Members.New(ctx, newWithRoles(env.AccountID, "frank@example.com", accounts.RoleAdmin, ""))
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.Accounts.Members.Delete(ctx, m.ID, cfaccounts.MemberDeleteParams{AccountID: acct})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string]any{"id": m.ID}, object(t, res.JSON.RawJSON())); diff != "" {
			t.Errorf("delete result (-want +got):\n%s", diff)
		}
		for _, do := range []func() error{
			func() error {
				_, err := c.Accounts.Members.Get(ctx, m.ID, cfaccounts.MemberGetParams{AccountID: acct})
				return err
			},
			func() error {
				_, err := c.Accounts.Members.Delete(ctx, m.ID, cfaccounts.MemberDeleteParams{AccountID: acct})
				return err
			},
			func() error {
				_, err := c.Accounts.Members.Update(ctx, m.ID, updateRole(env.AccountID, accounts.RoleAdmin))
				return err
			},
		} {
			if e := sdkError(t, do(), http.StatusNotFound); len(e.Errors) == 0 || e.Errors[0].Code != 1003 {
				t.Errorf("errors: %+v", e.Errors)
			}
		}
		_, err = c.Accounts.Members.Get(ctx, "frank", cfaccounts.MemberGetParams{AccountID: acct})
		if e := sdkError(t, err, http.StatusBadRequest); len(e.Errors) == 0 || e.Errors[0].Code != 7003 {
			t.Errorf("malformed id: %+v", e.Errors)
		}
	})
}

func TestMembersList(t *testing.T) {
	env := apptest.New(t)
	ctx := context.Background()
	c := env.Client(env.Token)
	acct := cloudflare.F(env.AccountID)
	emails := []string{"zoe@example.com", "amy@example.com", "max@example.com", "eve@example.com",
		"ian@example.com", "bea@example.com"}
	for i, e := range emails {
		status := cfaccounts.MemberNewParamsBodyIAMCreateMemberWithRolesStatusPending
		if i%2 == 0 {
			status = cfaccounts.MemberNewParamsBodyIAMCreateMemberWithRolesStatusAccepted
		}
		if _, err := c.Accounts.Members.New(ctx, newWithRoles(env.AccountID, e, accounts.RoleReadOnly, status)); err != nil {
			t.Fatal(err)
		}
	}
	list := func(t *testing.T, query string) ([]string, map[string]any) {
		t.Helper()
		r := env.Do("GET", "/accounts/"+env.AccountID+"/members"+query, env.Token, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		m := r.JSON(t)
		got := []string{}
		for _, it := range m["result"].([]any) {
			got = append(got, it.(map[string]any)["email"].(string))
		}
		return got, m["result_info"].(map[string]any)
	}
	all := append([]string{bootstrapEmail}, emails...)
	tests := []struct {
		query string
		want  []string
		total float64
	}{
		{"", all, 7},
		{"?direction=desc", []string{"bea@example.com", "ian@example.com", "eve@example.com", "max@example.com", "amy@example.com", "zoe@example.com", bootstrapEmail}, 7},
		{"?order=user.email", []string{bootstrapEmail, "amy@example.com", "bea@example.com", "eve@example.com", "ian@example.com", "max@example.com", "zoe@example.com"}, 7},
		{"?order=user.email&direction=desc&per_page=5", []string{"zoe@example.com", "max@example.com", "ian@example.com", "eve@example.com", "bea@example.com"}, 7},
		{"?order=user.email&direction=desc&per_page=5&page=2", []string{"amy@example.com", bootstrapEmail}, 7},
		{"?page=3&per_page=5", []string{}, 7},
		{"?status=pending&order=user.email", []string{"amy@example.com", "bea@example.com", "eve@example.com"}, 3},
		{"?status=accepted&order=status", []string{bootstrapEmail, "ian@example.com", "max@example.com", "zoe@example.com"}, 4},
		{"?status=rejected", []string{}, 0},
		{"?order=status", []string{bootstrapEmail, "ian@example.com", "max@example.com", "zoe@example.com", "amy@example.com", "bea@example.com", "eve@example.com"}, 7},
		{"?order=user.first_name", []string{bootstrapEmail, "amy@example.com", "bea@example.com", "eve@example.com", "ian@example.com", "max@example.com", "zoe@example.com"}, 7},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			got, info := list(t, tc.query)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("emails (-want +got):\n%s", diff)
			}
			if info["total_count"] != tc.total || info["count"] != float64(len(tc.want)) {
				t.Errorf("result_info %v", info)
			}
		})
	}
	for _, q := range []string{"?per_page=4", "?per_page=51", "?page=0", "?status=invited", "?order=name", "?direction=up"} {
		t.Run("refused "+q, func(t *testing.T) {
			r := env.Do("GET", "/accounts/"+env.AccountID+"/members"+q, env.Token, nil)
			if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), `"success":false`) {
				t.Errorf("%d %s", r.Status, r.Body)
			}
		})
	}
	t.Run("SDK filters and auto-paging", func(t *testing.T) {
		page, err := c.Accounts.Members.List(ctx, cfaccounts.MemberListParams{AccountID: acct,
			Status: cloudflare.F(cfaccounts.MemberListParamsStatusPending), Order: cloudflare.F(cfaccounts.MemberListParamsOrderUserEmail),
			Direction: cloudflare.F(cfaccounts.MemberListParamsDirectionDesc)})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range page.Result {
			got = append(got, m.Email)
		}
		if diff := cmp.Diff([]string{"eve@example.com", "bea@example.com", "amy@example.com"}, got); diff != "" {
			t.Errorf("emails (-want +got):\n%s", diff)
		}
		got = nil
		iter := c.Accounts.Members.ListAutoPaging(ctx, cfaccounts.MemberListParams{AccountID: acct, PerPage: cloudflare.F(5.0)})
		for iter.Next() {
			got = append(got, iter.Current().Email)
			if len(got) > len(all) {
				t.Fatal("the auto-pager does not stop")
			}
		}
		if err := iter.Err(); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(all, got); diff != "" {
			t.Errorf("emails (-want +got):\n%s", diff)
		}
	})
}

// TestMembersAuthorization: other accounts' tokens, tokens without the
// Members permissions, and tokens that would grant more than they hold.
func TestMembersAuthorization(t *testing.T) {
	env := apptest.New(t)
	ctx := context.Background()
	acct := cloudflare.F(env.AccountID)
	b, bToken := env.NewAccount("Beta Corp")
	bc := env.Client(bToken)
	bMember, err := bc.Accounts.Members.New(ctx, newWithRoles(b, "mallory@beta.example", accounts.RoleSuperAdmin,
		cfaccounts.MemberNewParamsBodyIAMCreateMemberWithRolesStatusAccepted))
	if err != nil {
		t.Fatal(err)
	}
	aMembers, _, err := accounts.ListMembers(ctx, env.App.DB, env.AccountID, accounts.MemberFilter{})
	if err != nil || len(aMembers) != 1 {
		t.Fatalf("A's members: %v %v", aMembers, err)
	}
	aMember := aMembers[0].ID

	t.Run("another account's token", func(t *testing.T) {
		base := "/accounts/" + env.AccountID + "/members"
		for _, rq := range []struct{ method, path, body string }{
			{"GET", base, ""},
			{"POST", base, `{"email":"mallory@beta.example","roles":["` + pinnedRoleIDs[accounts.RoleSuperAdmin] + `"],"status":"accepted"}`},
			{"GET", base + "/" + aMember, ""},
			{"PUT", base + "/" + aMember, `{"roles":["` + pinnedRoleIDs[accounts.RoleReadOnly] + `"]}`},
			{"DELETE", base + "/" + aMember, ""},
			{"GET", "/accounts/" + env.AccountID + "/roles", ""},
		} {
			var body any
			if rq.body != "" {
				body = rq.body
			}
			r := env.Do(rq.method, rq.path, bToken, body)
			if r.Status != http.StatusForbidden || !strings.Contains(string(r.Body), `"code":10000`) {
				t.Errorf("%s %s: %d %s", rq.method, rq.path, r.Status, r.Body)
			}
			if strings.Contains(string(r.Body), bootstrapEmail) {
				t.Errorf("the 403 leaks A's data: %s", r.Body)
			}
		}
		// A's own token does not reach B's member through A's path.
		_, err := env.Client(env.Token).Accounts.Members.Get(ctx, bMember.ID, cfaccounts.MemberGetParams{AccountID: acct})
		sdkError(t, err, http.StatusNotFound)
		_, err = env.Client(env.Token).Accounts.Members.Delete(ctx, bMember.ID, cfaccounts.MemberDeleteParams{AccountID: acct})
		sdkError(t, err, http.StatusNotFound)
		if _, err := bc.Accounts.Members.Get(ctx, bMember.ID, cfaccounts.MemberGetParams{AccountID: cloudflare.F(b)}); err != nil {
			t.Errorf("B's member after A's attempts: %v", err)
		}
		ms, _, _ := accounts.ListMembers(ctx, env.App.DB, env.AccountID, accounts.MemberFilter{})
		if len(ms) != 1 || ms[0].Role != accounts.RoleSuperAdmin {
			t.Errorf("A's members changed: %+v", ms)
		}
	})

	t.Run("needs Account Members permissions", func(t *testing.T) {
		none := env.Client(env.NewToken(env.AccountID, tokens.SSOWrite, tokens.TokensWrite, tokens.SettingsWrite))
		_, err := none.Accounts.Members.List(ctx, cfaccounts.MemberListParams{AccountID: acct})
		sdkError(t, err, http.StatusForbidden)
		_, err = none.Accounts.Members.Get(ctx, aMember, cfaccounts.MemberGetParams{AccountID: acct})
		sdkError(t, err, http.StatusForbidden)
		ro := env.Client(env.NewToken(env.AccountID, tokens.MembersRead))
		if _, err := ro.Accounts.Members.List(ctx, cfaccounts.MemberListParams{AccountID: acct}); err != nil {
			t.Errorf("Members Read lists: %v", err)
		}
		_, err = ro.Accounts.Members.New(ctx, newWithRoles(env.AccountID, "gus@example.com", accounts.RoleReadOnly, ""))
		sdkError(t, err, http.StatusForbidden)
		_, err = ro.Accounts.Members.Update(ctx, aMember, updateRole(env.AccountID, accounts.RoleSuperAdmin))
		sdkError(t, err, http.StatusForbidden)
		_, err = ro.Accounts.Members.Delete(ctx, aMember, cfaccounts.MemberDeleteParams{AccountID: acct})
		sdkError(t, err, http.StatusForbidden)
	})

	t.Run("no escalation through roles", func(t *testing.T) {
		// Members Write alone cannot make anyone more than the token is.
		mw := env.Client(env.NewToken(env.AccountID, tokens.MembersWrite))
		_, err := mw.Accounts.Members.New(ctx, newWithRoles(env.AccountID, "hal@example.com", accounts.RoleReadOnly, ""))
		e := sdkError(t, err, http.StatusForbidden)
		if !strings.Contains(e.Error(), tokens.SSORead) || !strings.Contains(e.Error(), "cannot grant the role") {
			t.Errorf("the refusal does not name the missing permission: %v", err)
		}
		reads := catalogueNames(func(g string) bool { return strings.HasSuffix(g, " Read") })
		rw := env.Client(env.NewToken(env.AccountID, append(reads, tokens.MembersWrite)...))
		m, err := rw.Accounts.Members.New(ctx, newWithRoles(env.AccountID, "hal@example.com", accounts.RoleReadOnly, ""))
		if err != nil {
			t.Fatalf("a token with every Read group adds a Read Only member: %v", err)
		}
		_, err = rw.Accounts.Members.Update(ctx, m.ID, updateRole(env.AccountID, accounts.RoleAdmin))
		sdkError(t, err, http.StatusForbidden)
		if _, err := rw.Accounts.Members.Delete(ctx, m.ID, cfaccounts.MemberDeleteParams{AccountID: acct}); err != nil {
			t.Errorf("removing needs no more than Members Write: %v", err)
		}
	})
}

// TestMemberFuncs covers the Go functions the dashboard calls, run the way
// it runs them: on the database and inside transactions, with a user actor.
func TestMemberFuncs(t *testing.T) {
	env := apptest.New(t)
	db := env.App.DB
	ctx := audit.WithActor(context.Background(), audit.Actor{ID: "u1", Email: bootstrapEmail, IP: "192.0.2.1",
		Type: "user", Interface: "UI"})
	b, _ := env.NewAccount("Beta Corp")
	tx := func(fn func(q *sql.Tx) error) {
		t.Helper()
		if err := db.Tx(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	var inA, inB accounts.Member
	tx(func(q *sql.Tx) error {
		var err error
		if inA, err = accounts.Invite(ctx, q, env.AccountID, "Gina@Example.com", accounts.RoleAdmin, time.Now()); err != nil {
			return err
		}
		inB, err = accounts.AddMember(ctx, q, b, "gina@example.com", "", accounts.RoleReadOnly, time.Now())
		return err
	})
	if inA.Status != "pending" || inB.Status != "accepted" || inA.UserID != inB.UserID {
		t.Fatalf("invite %+v, add %+v", inA, inB)
	}

	t.Run("MembersByEmail", func(t *testing.T) {
		ms, err := accounts.MembersByEmail(ctx, db, "GINA@example.com")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range ms {
			got = append(got, m.AccountName+"/"+m.Role+"/"+m.Status)
		}
		want := []string{env.App.Bootstrap.Account.Name + "/" + accounts.RoleAdmin + "/pending",
			"Beta Corp/" + accounts.RoleReadOnly + "/accepted"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("memberships (-want +got):\n%s", diff)
		}
		if ms, err := accounts.MembersByEmail(ctx, db, "nobody@example.com"); err != nil || len(ms) != 0 {
			t.Errorf("unknown address: %v %v", ms, err)
		}
	})

	t.Run("GetMember", func(t *testing.T) {
		m, err := accounts.GetMember(ctx, db, env.AccountID, inA.ID)
		if err != nil || m.Email != "gina@example.com" || m.AccountName != env.App.Bootstrap.Account.Name {
			t.Errorf("GetMember = %+v, %v", m, err)
		}
		if _, err := accounts.GetMember(ctx, db, b, inA.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another account's member: %v", err)
		}
	})

	t.Run("ListMembers without a limit", func(t *testing.T) {
		ms, total, err := accounts.ListMembers(ctx, db, env.AccountID, accounts.MemberFilter{})
		if err != nil || total != 2 || len(ms) != 2 {
			t.Errorf("ListMembers = %d of %d, %v", len(ms), total, err)
		}
		ms, total, err = accounts.ListMembers(ctx, db, env.AccountID, accounts.MemberFilter{Limit: 1})
		if err != nil || total != 2 || len(ms) != 1 || ms[0].Email != bootstrapEmail {
			t.Errorf("ListMembers limit 1 = %+v of %d, %v", ms, total, err)
		}
	})

	t.Run("UserByEmail, SetPassword", func(t *testing.T) {
		u, err := accounts.UserByEmail(ctx, db, "gina@example.com")
		if err != nil || u.ID != inA.UserID || u.PasswordHash != "" || u.CreatedOn.IsZero() {
			t.Fatalf("UserByEmail = %+v, %v", u, err)
		}
		hash := accounts.HashPassword("a new password")
		tx(func(q *sql.Tx) error { return accounts.SetPassword(ctx, q, u.ID, hash) })
		u, _ = accounts.UserByEmail(ctx, db, "gina@example.com")
		if !accounts.CheckPassword(u.PasswordHash, "a new password") {
			t.Error("the password was not stored")
		}
		for _, acct := range []string{env.AccountID, b} {
			es, _, err := audit.List(ctx, db, acct, audit.Filter{Action: "user_password_set"})
			if err != nil || len(es) != 1 {
				t.Fatalf("%s: %d user_password_set entries, %v", acct, len(es), err)
			}
			e := es[0]
			if e.ResourceID != u.ID || e.Actor.Email != bootstrapEmail || e.Interface != "UI" {
				t.Errorf("entry %+v", e)
			}
			if all := e.OldValue + e.NewValue + string(e.Metadata); strings.Contains(all, "argon2") || strings.Contains(all, hash) {
				t.Errorf("the entry carries the hash: %+v", e)
			}
		}
		err = accounts.SetPassword(ctx, db, strings.Repeat("0", 32), hash)
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown user: %v", err)
		}
		if _, err := accounts.UserByEmail(ctx, db, "nobody@example.com"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown address: %v", err)
		}
	})

	t.Run("AcceptPending", func(t *testing.T) {
		tx(func(q *sql.Tx) error { return accounts.AcceptPending(ctx, q, inA.UserID) })
		m, _ := accounts.GetMember(ctx, db, env.AccountID, inA.ID)
		if m.Status != "accepted" {
			t.Errorf("status %s after AcceptPending", m.Status)
		}
		es, _, _ := audit.List(ctx, db, env.AccountID, audit.Filter{Action: "member_accept"})
		if len(es) != 1 || es[0].ResourceID != inA.ID {
			t.Errorf("member_accept entries: %+v", es)
		}
		if es, _, _ := audit.List(ctx, db, b, audit.Filter{Action: "member_accept"}); len(es) != 0 {
			t.Errorf("an accepted membership was accepted again: %+v", es)
		}
		tx(func(q *sql.Tx) error { return accounts.AcceptPending(ctx, q, inA.UserID) }) // nothing left: no-op
	})

	t.Run("SetMemberRole, RemoveMember", func(t *testing.T) {
		var m accounts.Member
		tx(func(q *sql.Tx) error {
			var err error
			m, err = accounts.SetMemberRole(ctx, q, env.AccountID, inA.ID, accounts.RoleReadOnly)
			return err
		})
		if m.Role != accounts.RoleReadOnly {
			t.Errorf("role %s", m.Role)
		}
		if _, err := accounts.SetMemberRole(ctx, db, env.AccountID, inA.ID, "Owner"); err == nil {
			t.Error("an unknown role was set")
		}
		if _, err := accounts.SetMemberRole(ctx, db, env.AccountID, strings.Repeat("0", 32), accounts.RoleAdmin); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown member: %v", err)
		}
		tx(func(q *sql.Tx) error { return accounts.RemoveMember(ctx, q, env.AccountID, inA.ID) })
		if err := accounts.RemoveMember(ctx, db, env.AccountID, inA.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("removed twice: %v", err)
		}
		es, _, _ := audit.List(ctx, db, env.AccountID, audit.Filter{ActorEmail: bootstrapEmail})
		var actions []string
		for _, e := range es {
			actions = append(actions, e.Action)
		}
		want := []string{"member_remove", "member_update", "member_accept", "user_password_set", "member_add"}
		if diff := cmp.Diff(want, actions); diff != "" {
			t.Errorf("A's entries by the user (-want +got):\n%s", diff)
		}
		if ms, _ := accounts.MembersByEmail(ctx, db, "gina@example.com"); len(ms) != 1 || ms[0].AccountID != b {
			t.Errorf("after removal from A: %+v", ms)
		}
	})

	t.Run("AddMember refusals", func(t *testing.T) {
		_, err := accounts.AddMember(ctx, db, b, "gina@example.com", "", accounts.RoleAdmin, time.Now())
		var apiErr *api.Error
		if !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest ||
			!strings.Contains(err.Error(), "gina@example.com is already a member of this account") {
			t.Errorf("duplicate: %v", err)
		}
		if _, err := accounts.AddMember(ctx, db, b, "hank@example.com", "", "Owner", time.Now()); err == nil ||
			!strings.Contains(err.Error(), "is not a role") {
			t.Errorf("unknown role: %v", err)
		}
	})
}

// TestLastSuperAdminConcurrent: two transactions demoting the last two
// Super Administrators at once cannot both succeed (on PostgreSQL too,
// where each would otherwise count the other as still there).
func TestLastSuperAdminConcurrent(t *testing.T) {
	env := apptest.New(t)
	ctx := context.Background()
	db := env.App.DB
	for round := range 5 {
		acct, err := env.App.Accounts.CreateAccount(ctx, fmt.Sprintf("Race %d", round))
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, e := range []string{"a@example.com", "b@example.com"} {
			m, err := accounts.AddMember(ctx, db, acct.ID, e, "", accounts.RoleSuperAdmin, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, m.ID)
		}
		errs := make(chan error, len(ids))
		for i, id := range ids {
			go func() {
				errs <- db.Tx(ctx, func(tx *sql.Tx) error {
					if i == 0 {
						_, err := accounts.SetMemberRole(ctx, tx, acct.ID, id, accounts.RoleAdmin)
						return err
					}
					return accounts.RemoveMember(ctx, tx, acct.ID, id)
				})
			}()
		}
		var failed int
		for range ids {
			if err := <-errs; err != nil {
				if !strings.Contains(err.Error(), "last Super Administrator") {
					t.Fatalf("round %d: %v", round, err)
				}
				failed++
			}
		}
		ms, _, _ := accounts.ListMembers(ctx, db, acct.ID, accounts.MemberFilter{Status: "accepted"})
		var supers int
		for _, m := range ms {
			if m.Role == accounts.RoleSuperAdmin {
				supers++
			}
		}
		if failed != 1 || supers != 1 {
			t.Fatalf("round %d: %d refused, %d super administrators left", round, failed, supers)
		}
	}
}
