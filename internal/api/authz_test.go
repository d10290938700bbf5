package api_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ssogate/ssogate/internal/apptest"
	"github.com/ssogate/ssogate/internal/tokens"
)

// TestAuthentication: Cloudflare's status and codes for missing, malformed
// and unknown credentials (cloudflare-api.md §10).
func TestAuthentication(t *testing.T) {
	env := apptest.New(t)
	path := "/accounts/" + env.AccountID + "/tokens"
	unknown := "sgt_" + strings.Repeat("Z", 36)
	tests := []struct {
		name   string
		header map[string]string
		status int
		code   int
		chain  []int
	}{
		{"no credentials", nil, 400, 9106, nil},
		{"empty Authorization", map[string]string{"Authorization": ""}, 400, 9106, nil},
		{"Basic scheme", map[string]string{"Authorization": "Basic x"}, 400, 6003, []int{6111}},
		{"Basic with a token-shaped value", map[string]string{"Authorization": "Basic " + env.Token}, 400, 6003, []int{6111}},
		{"bare scheme", map[string]string{"Authorization": "Bearer"}, 400, 6003, []int{6111}},
		{"short token", map[string]string{"Authorization": "Bearer short"}, 400, 6003, []int{6111}},
		{"39 characters", map[string]string{"Authorization": "Bearer " + env.Token[:39]}, 400, 6003, []int{6111}},
		{"100 characters", map[string]string{"Authorization": "Bearer " + strings.Repeat("a", 100)}, 400, 6003, []int{6111}},
		{"forbidden character", map[string]string{"Authorization": "Bearer " + env.Token[:39] + "!"}, 400, 6003, []int{6111}},
		{"token without scheme", map[string]string{"Authorization": env.Token}, 400, 6003, []int{6111}},
		{"Global API key", map[string]string{"X-Auth-Key": strings.Repeat("f", 37)}, 400, 6003, []int{6103}},
		{"Global API key and email", map[string]string{"X-Auth-Key": strings.Repeat("f", 37), "X-Auth-Email": "a@example.com"}, 400, 6003, []int{6103}},
		{"unknown token", bearer(unknown), 401, 1000, nil},
		{"unknown 80-character token", bearer(strings.Repeat("a", 80)), 401, 1000, nil},
		{"lacking permission", bearer(env.NewToken(env.AccountID, tokens.SSORead)), 403, 10000, []int{10000}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := failure(t, send(t, env, "GET", path, tc.header, nil), tc.status, tc.code)
			if diff := cmp.Diff(tc.chain, f.chainCodes()); diff != "" {
				t.Errorf("error_chain codes (-want +got):\n%s", diff)
			}
			if tc.code == 1000 && f.Errors[0].Message != "Invalid API Token" {
				t.Errorf("message %q", f.Errors[0].Message)
			}
		})
	}

	accepted := []struct {
		name   string
		header map[string]string
	}{
		{"Bearer", bearer(env.Token)},
		{"lower-case scheme", map[string]string{"Authorization": "bearer " + env.Token}},
		{"extra spaces", map[string]string{"Authorization": "Bearer   " + env.Token + " "}},
		{"Bearer wins over legacy headers", map[string]string{"Authorization": "Bearer " + env.Token,
			"X-Auth-Key": "k", "X-Auth-Email": "a@example.com"}},
	}
	for _, tc := range accepted {
		t.Run(tc.name, func(t *testing.T) {
			if r := send(t, env, "GET", path, tc.header, nil); r.Status != http.StatusOK {
				t.Errorf("%d %s", r.Status, r.Body)
			}
		})
	}
}

// TestRouting: malformed ids, unknown paths and wrong methods.
func TestRouting(t *testing.T) {
	env := apptest.New(t)
	a := env.AccountID
	hex := strings.Repeat("ab", 16)
	tests := []struct {
		name, method, path string
		token              string
		status             int
		allow              string
	}{
		{"short account id", "GET", "/accounts/123/tokens", env.Token, 400, ""},
		{"upper-case account id", "GET", "/accounts/" + strings.ToUpper(a) + "/tokens", env.Token, 400, ""},
		{"malformed account id needs no token", "GET", "/accounts/not-an-id/sso_connectors", "", 400, ""},
		{"malformed account id, account route", "GET", "/accounts/xyz", env.Token, 400, ""},
		{"malformed token id", "GET", "/accounts/" + a + "/tokens/xyz", env.Token, 400, ""},
		{"33-hex token id", "PUT", "/accounts/" + a + "/tokens/" + hex + "a", env.Token, 400, ""},
		{"malformed token id on roll", "PUT", "/accounts/" + a + "/tokens/ZZ/value", env.Token, 400, ""},
		{"malformed connector id", "GET", "/accounts/" + a + "/sso_connectors/nope", env.Token, 400, ""},
		{"malformed connector id on delete", "DELETE", "/accounts/" + a + "/sso_connectors/" + strings.ToUpper(hex), env.Token, 400, ""},
		{"unknown path", "GET", "/nope", env.Token, 404, ""},
		{"unknown path without token", "GET", "/zones", "", 404, ""},
		{"unknown path under account", "GET", "/accounts/" + a + "/nope", env.Token, 404, ""},
		{"too deep", "GET", "/accounts/" + a + "/tokens/" + hex + "/value/more", env.Token, 404, ""},
		{"wrong method on collection", "DELETE", "/accounts/" + a + "/tokens", env.Token, 405, "GET, POST"},
		{"wrong method on item", "PATCH", "/accounts/" + a + "/tokens/" + hex, env.Token, 405, "GET, PUT, DELETE"},
		{"wrong method on roll", "GET", "/accounts/" + a + "/tokens/" + hex + "/value", env.Token, 405, "PUT"},
		{"wrong method on connector", "PUT", "/accounts/" + a + "/sso_connectors/" + hex, env.Token, 405, "GET, PATCH, DELETE"},
		{"wrong method on verify", "POST", "/user/tokens/verify", env.Token, 405, "GET"},
		{"wrong method without token", "POST", "/accounts", "", 405, "GET"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var hdr map[string]string
			if tc.token != "" {
				hdr = bearer(tc.token)
			}
			r := send(t, env, tc.method, tc.path, hdr, nil)
			switch tc.status {
			case 405:
				f := failure(t, r, 405, 10405)
				if got := r.Header.Get("Allow"); got != tc.allow {
					t.Errorf("Allow %q, want %q", got, tc.allow)
				}
				if !strings.Contains(f.Errors[0].Message, tc.allow) {
					t.Errorf("message does not list the methods: %q", f.Errors[0].Message)
				}
			default:
				f := failure(t, r, tc.status, 7003)
				if diff := cmp.Diff([]int{7003, 7000}, f.codes()); diff != "" {
					t.Errorf("codes (-want +got):\n%s", diff)
				}
				if !strings.Contains(f.Errors[0].Message, "/client/v4"+tc.path) {
					t.Errorf("message does not name the path: %q", f.Errors[0].Message)
				}
			}
		})
	}
}

// TestCrossAccount: a token of account A, holding every permission on A,
// gets 403 on every route of account B, and nothing of B changes.
func TestCrossAccount(t *testing.T) {
	env := apptest.New(t)
	b, bToken := env.NewAccount("account B")
	conn := send(t, env, "POST", "/accounts/"+b+"/sso_connectors", bearer(bToken), []byte(`{"email_domain":"betacorp.company"}`))
	if conn.Status != http.StatusOK {
		t.Fatalf("create B's connector: %d %s", conn.Status, conn.Body)
	}
	connID := conn.JSON(t)["result"].(map[string]any)["id"].(string)
	list := send(t, env, "GET", "/accounts/"+b+"/tokens", bearer(bToken), nil)
	bTokenID := list.JSON(t)["result"].([]any)[0].(map[string]any)["id"].(string)
	before := snapshot(t, env, b, bToken)

	body := []byte(`{"name":"x","email_domain":"evil.company","enabled":false,"status":"disabled"}`)
	reqs := []struct{ method, path string }{
		{"GET", "/accounts/" + b},
		{"GET", "/accounts/" + b + "/sso_connectors"},
		{"POST", "/accounts/" + b + "/sso_connectors"},
		{"GET", "/accounts/" + b + "/sso_connectors/" + connID},
		{"PATCH", "/accounts/" + b + "/sso_connectors/" + connID},
		{"DELETE", "/accounts/" + b + "/sso_connectors/" + connID},
		{"POST", "/accounts/" + b + "/sso_connectors/" + connID + "/begin_verification"},
		{"GET", "/accounts/" + b + "/tokens"},
		{"POST", "/accounts/" + b + "/tokens"},
		{"GET", "/accounts/" + b + "/tokens/" + bTokenID},
		{"PUT", "/accounts/" + b + "/tokens/" + bTokenID},
		{"DELETE", "/accounts/" + b + "/tokens/" + bTokenID},
		{"PUT", "/accounts/" + b + "/tokens/" + bTokenID + "/value"},
		{"GET", "/accounts/" + b + "/tokens/verify"},
		{"GET", "/accounts/" + b + "/tokens/permission_groups"},
	}
	for _, rq := range reqs {
		t.Run(rq.method+" "+strings.ReplaceAll(rq.path, b, "{B}"), func(t *testing.T) {
			var payload []byte
			if rq.method != "GET" && rq.method != "DELETE" {
				payload = body
			}
			failure(t, send(t, env, rq.method, rq.path, bearer(env.Token), payload), http.StatusForbidden, 10000)
		})
	}
	if diff := cmp.Diff(before, snapshot(t, env, b, bToken)); diff != "" {
		t.Errorf("account B changed (-before +after):\n%s", diff)
	}
	// B's token still works and still answers only for B.
	failure(t, send(t, env, "GET", "/accounts/"+env.AccountID+"/tokens", bearer(bToken), nil), http.StatusForbidden, 10000)
}

// snapshot is what B's token sees of account B.
func snapshot(t *testing.T, env *apptest.Env, account, token string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range []string{"", "/tokens", "/sso_connectors", "/members"} {
		r := send(t, env, "GET", "/accounts/"+account+p, bearer(token), nil)
		if r.Status != http.StatusOK {
			t.Fatalf("snapshot %s: %d %s", p, r.Status, r.Body)
		}
		m := r.JSON(t)
		// last_used_on moves with B's own snapshot reads; drop it.
		b := string(r.Body)
		if items, ok := m["result"].([]any); ok {
			for _, it := range items {
				delete(it.(map[string]any), "last_used_on")
			}
			b = mustJSON(t, items)
		}
		out[p] = b
	}
	return out
}

// TestMalformedBodies: every broken body is a 4xx naming the problem,
// never a 500 (and never a 409, which the SDK retries).
func TestMalformedBodies(t *testing.T) {
	env := apptest.New(t)
	huge := append(append([]byte(`{"name":"`), bytes.Repeat([]byte("a"), 2<<20)...), `"}`...)
	tests := []struct {
		name   string
		body   []byte
		ctype  string
		status int
		code   int
		msg    string
	}{
		// Cases whose message names a token field are checked on the token
		// routes; the connector route ignores those keys and says what it misses.
		{"empty", []byte(""), "application/json", 400, 6007, "empty"},
		{"whitespace", []byte(" \n\t "), "application/json", 400, 6007, "empty"},
		{"open brace", []byte("{"), "application/json", 400, 6007, "ends early"},
		{"unterminated string", []byte(`{"name":"x`), "application/json", 400, 6007, "ends early"},
		{"array", []byte("[]"), "application/json", 400, 6007, "the body must be an object"},
		{"string", []byte(`"x"`), "application/json", 400, 6007, "the body must be an object"},
		{"number name", []byte(`{"name":5}`), "application/json", 400, 6007, `"name" must be a string`},
		{"object name", []byte(`{"name":{}}`), "application/json", 400, 6007, `"name" must be a string`},
		{"bool policies", []byte(`{"name":"x","policies":true}`), "application/json", 400, 6007, `"policies" must be an array`},
		{"nested type error", []byte(`{"name":"x","policies":[{"effect":1}]}`), "application/json", 400, 6007, "effect"},
		{"trailing garbage", []byte(`{"name":"x"} x`), "application/json", 400, 6007, "after the JSON object"},
		{"two objects", []byte(`{"name":"x"}{"name":"y"}`), "application/json", 400, 6007, "after the JSON object"},
		{"trailing brace", []byte(`{"name":"x"}}`), "application/json", 400, 6007, "after the JSON object"},
		{"trailing bracket", []byte(`{"name":"x"}]`), "application/json", 400, 6007, "after the JSON object"},
		{"anything after a stray brace", []byte(`{"name":"x"}} whatever, <html>`), "application/json", 400, 6007, "after the JSON object"},
		{"single quotes", []byte(`{'name':'x'}`), "application/json", 400, 6007, "Malformed JSON"},
		{"form encoded", []byte(`name=x`), "application/x-www-form-urlencoded", 415, 10415, "application/json"},
		{"multipart", []byte("--b\r\n\r\nx\r\n--b--"), "multipart/form-data; boundary=b", 415, 10415, "application/json"},
		{"2 MB", huge, "application/json", 413, 10413, "larger than"},
		{"null", []byte("null"), "application/json", 400, 6007, "the body is null"},
		{"empty object", []byte("{}"), "application/json", 400, 1002, "name is required"},
	}
	targets := []struct{ label, method, path string }{
		{"create token", "POST", "/accounts/" + env.AccountID + "/tokens"},
		{"update token", "PUT", "/accounts/" + env.AccountID + "/tokens/" + env.App.Bootstrap.Token.ID},
		{"create connector", "POST", "/accounts/" + env.AccountID + "/sso_connectors"},
	}
	for _, target := range targets {
		for _, tc := range tests {
			t.Run(target.label+"/"+tc.name, func(t *testing.T) {
				r := send(t, env, target.method, target.path, map[string]string{
					"Authorization": "Bearer " + env.Token, "Content-Type": tc.ctype}, tc.body)
				if tc.code == 1002 && target.method == "PUT" && r.Status == http.StatusOK {
					return // a merge with nothing to change
				}
				if r.Status >= 500 || r.Status == http.StatusConflict || r.Status < 400 {
					t.Fatalf("status %d: %s", r.Status, r.Body)
				}
				tokenField := strings.Contains(tc.msg, `"name"`) || strings.Contains(tc.msg, "policies") || tc.msg == "effect"
				if tc.code == 1002 || (tokenField && strings.Contains(target.path, "sso_connectors")) {
					failure(t, r, 400, 1002) // decoded fine; the domain's validation speaks
					return
				}
				f := failure(t, r, tc.status, tc.code)
				if !strings.Contains(f.Errors[0].Message, tc.msg) {
					t.Errorf("message %q does not contain %q", f.Errors[0].Message, tc.msg)
				}
			})
		}
	}
}
