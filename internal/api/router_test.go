package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/store"
)

const (
	ownAcct   = "0123456789abcdef0123456789abcdef"
	otherAcct = "fedcba9876543210fedcba9876543210"
	goodToken = "sgt_0000000000000000000000000000000000000"
)

// fakeAuth authenticates goodToken as a token of ownAcct whose grants
// answer grant(perm, account); any other value is an unknown token.
type fakeAuth struct {
	grant func(perm, account string) bool
	err   error // returned for goodToken instead of a principal
}

type grantFunc func(perm, account string) bool

func (g grantFunc) Allows(perm, account string) bool { return g(perm, account) }

func (f fakeAuth) Authenticate(_ context.Context, secret string, _ netip.Addr) (*api.Principal, error) {
	if secret != goodToken {
		return nil, api.InvalidToken("")
	}
	if f.err != nil {
		return nil, f.err
	}
	return &api.Principal{TokenID: strings.Repeat("1", 32), TokenName: "t", AccountID: ownAcct, Grants: grantFunc(f.grant)}, nil
}

// ownAccountOnly is what tokens.grants does: everything, on its own account.
func ownAccountOnly(_, account string) bool { return account == ownAcct }

func serve(t *testing.T, rt *api.Router, method, path string) (*http.Response, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(method, api.Prefix+path, nil)
	req.Header.Set("Authorization", "Bearer "+goodToken)
	rec := httptest.NewRecorder()
	rt.ServeHTTP(rec, req)
	res := rec.Result()
	raw, _ := io.ReadAll(res.Body)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s %s: body is not JSON (%v): %q", method, path, err, raw)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if res.Header.Get("X-Request-Id") == "" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("headers: %v", res.Header)
	}
	return res, m
}

func firstError(m map[string]any) (int, string) {
	errs, _ := m["errors"].([]any)
	if len(errs) == 0 {
		return 0, ""
	}
	e := errs[0].(map[string]any)
	code, _ := e["code"].(float64)
	msg, _ := e["message"].(string)
	return int(code), msg
}

// TestWriteError: the one place errors become HTTP.
func TestWriteError(t *testing.T) {
	tests := []struct {
		name        string
		handle      api.HandlerFunc
		status      int
		code        int
		header      map[string]string
		notInBody   string
		msgHasReqID bool
	}{
		{"plain error is a bare 500", func(*api.Request) (any, error) {
			return nil, errors.New("dial postgres://admin:hunter2@db: refused")
		}, 500, 10001, map[string]string{"X-Should-Retry": "false"}, "hunter2", true},
		{"panic is a bare 500", func(*api.Request) (any, error) {
			panic("nil map hunter2")
		}, 500, 10001, map[string]string{"X-Should-Retry": "false"}, "hunter2", true},
		{"store not found", func(*api.Request) (any, error) {
			return nil, fmt.Errorf("get: %w", store.ErrNotFound)
		}, 404, api.CodeNotFound, nil, "get:", false},
		{"store conflict is not a 409", func(*api.Request) (any, error) {
			return nil, fmt.Errorf("insert: %w", store.ErrConflict)
		}, 400, api.CodeConflict, nil, "insert:", false},
		{"api error keeps its cause out", func(*api.Request) (any, error) {
			e := api.Invalid("/name", "name is bad")
			e.Cause = errors.New("hunter2")
			return nil, e
		}, 400, api.CodeValidation, nil, "hunter2", false},
		{"rate limit carries Retry-After", func(*api.Request) (any, error) {
			e := api.Errorf(429, api.CodeRateLimited, "slow down")
			e.RetryAfter = 1500 * time.Millisecond
			return nil, e
		}, 429, api.CodeRateLimited, map[string]string{"Retry-After": "2"}, "", false},
		{"503 may be retried", func(*api.Request) (any, error) {
			return nil, api.Errorf(503, api.CodeInternal, "down")
		}, 503, api.CodeInternal, map[string]string{"X-Should-Retry": "true"}, "", false},
		{"unreachable database is a retryable 503", func(*api.Request) (any, error) {
			return nil, fmt.Errorf("scan: %w", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("hunter2 refused")})
		}, 503, api.CodeUnavailable, map[string]string{"X-Should-Retry": "true", "Retry-After": "1"}, "hunter2", false},
		{"PostgreSQL shutting down is a retryable 503", func(*api.Request) (any, error) {
			return nil, &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}
		}, 503, api.CodeUnavailable, map[string]string{"X-Should-Retry": "true", "Retry-After": "1"}, "administrator", false},
		{"error without messages", func(*api.Request) (any, error) {
			return nil, &api.Error{Status: 418}
		}, 418, api.CodeInternal, nil, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rt := api.NewRouter(fakeAuth{grant: ownAccountOnly}, slog.New(slog.DiscardHandler), nil)
			rt.Handle(api.Route{Method: "GET", Path: "/accounts/{account_id}/x", Permissions: []string{"P"}, Handle: tc.handle})
			res, m := serve(t, rt, "GET", "/accounts/"+ownAcct+"/x")
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %v", res.StatusCode, tc.status, m)
			}
			code, msg := firstError(m)
			if code != tc.code || msg == "" || m["success"] != false {
				t.Errorf("envelope: %v", m)
			}
			for k, v := range tc.header {
				if got := res.Header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			body, _ := json.Marshal(m)
			if tc.notInBody != "" && strings.Contains(string(body), tc.notInBody) {
				t.Errorf("the response leaks %q: %s", tc.notInBody, body)
			}
			if tc.msgHasReqID && !strings.Contains(msg, res.Header.Get("X-Request-Id")) {
				t.Errorf("500 message %q does not carry the request id %s", msg, res.Header.Get("X-Request-Id"))
			}
		})
	}
}

func TestReplies(t *testing.T) {
	tests := []struct {
		name   string
		out    any
		status int
		body   map[string]any
	}{
		{"bare value", map[string]string{"id": "x"}, 200,
			map[string]any{"success": true, "errors": []any{}, "messages": []any{}, "result": map[string]any{"id": "x"}}},
		{"nil", nil, 200,
			map[string]any{"success": true, "errors": []any{}, "messages": []any{}, "result": nil}},
		{"created", api.Reply{Status: 201, Result: "v"}, 201,
			map[string]any{"success": true, "errors": []any{}, "messages": []any{}, "result": "v"}},
		{"no result", api.Reply{NoResult: true, Messages: []api.Message{{Code: 1, Message: "m"}}}, 200,
			map[string]any{"success": true, "errors": []any{}, "messages": []any{map[string]any{"code": 1.0, "message": "m"}}}},
		{"list", api.List([]int{}, api.Page{Number: 2, PerPage: 5}, 5), 200,
			map[string]any{"success": true, "errors": []any{}, "messages": []any{}, "result": []any{},
				"result_info": map[string]any{"page": 2.0, "per_page": 5.0, "count": 0.0, "total_count": 5.0, "total_pages": 1.0}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rt := api.NewRouter(fakeAuth{grant: ownAccountOnly}, slog.New(slog.DiscardHandler), nil)
			rt.Handle(api.Route{Method: "GET", Path: "/x", Permissions: []string{"P"},
				Handle: func(*api.Request) (any, error) { return tc.out, nil }})
			res, m := serve(t, rt, "GET", "/x")
			if res.StatusCode != tc.status {
				t.Errorf("status %d", res.StatusCode)
			}
			if diff := cmp.Diff(tc.body, m); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAuthorize: what the router decides before any handler runs.
func TestAuthorize(t *testing.T) {
	tests := []struct {
		name   string
		auth   fakeAuth
		perms  []string
		path   string
		status int
		code   int
	}{
		{"own account", fakeAuth{grant: ownAccountOnly}, []string{"P"}, "/accounts/" + ownAcct + "/x", 200, 0},
		{"other account", fakeAuth{grant: ownAccountOnly}, []string{"P"}, "/accounts/" + otherAcct + "/x", 403, 10000},
		{"permission lacking", fakeAuth{grant: func(p, _ string) bool { return p == "Q" }}, []string{"P"}, "/accounts/" + ownAcct + "/x", 403, 10000},
		{"one of several", fakeAuth{grant: func(p, _ string) bool { return p == "Q" }}, []string{"P", "Q"}, "/accounts/" + ownAcct + "/x", 200, 0},
		{"any token, own account", fakeAuth{grant: func(string, string) bool { return false }}, []string{api.AnyToken}, "/accounts/" + ownAcct + "/x", 200, 0},
		{"any token, other account", fakeAuth{grant: func(string, string) bool { return true }}, []string{api.AnyToken}, "/accounts/" + otherAcct + "/x", 403, 10000},
		{"route without account: the token's own", fakeAuth{grant: ownAccountOnly}, []string{"P"}, "/x", 200, 0},
		{"authenticator refusal passes through", fakeAuth{err: api.Errorf(403, api.CodeIPRestricted, "nope")}, []string{"P"}, "/x", 403, api.CodeIPRestricted},
		{"authenticator failure is a bare 500", fakeAuth{err: errors.New("database is locked")}, []string{"P"}, "/x", 500, api.CodeInternal},
		// Tenancy is the router's promise ("decided here, once, for every
		// route"): a principal of one account is refused on another account's
		// path even if its Grants were to say yes.
		{"grants too generous", fakeAuth{grant: func(string, string) bool { return true }}, []string{"P"}, "/accounts/" + otherAcct + "/x", 403, 10000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rt := api.NewRouter(tc.auth, slog.New(slog.DiscardHandler), nil)
			ran := false
			path := strings.Replace(strings.Replace(tc.path, ownAcct, "{account_id}", 1), otherAcct, "{account_id}", 1)
			rt.Handle(api.Route{Method: "GET", Path: path, Permissions: tc.perms,
				Handle: func(r *api.Request) (any, error) { ran = true; return r.AccountID, nil }})
			res, m := serve(t, rt, "GET", tc.path)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %v", res.StatusCode, tc.status, m)
			}
			if code, _ := firstError(m); code != tc.code {
				t.Errorf("code %d, want %d: %v", code, tc.code, m)
			}
			if ran != (tc.status == 200) {
				t.Errorf("handler ran: %v", ran)
			}
		})
	}
}
