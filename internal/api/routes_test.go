package api_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ssogate/ssogate/internal/accounts"
	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/apptest"
	"github.com/ssogate/ssogate/internal/ids"
	"github.com/ssogate/ssogate/internal/tokens"
)

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// concrete fills a route pattern's parameters from values, and any other
// parameter with a fresh 32-hex id.
func concrete(pattern string, values map[string]string) string {
	return pathParam.ReplaceAllStringFunc(pattern, func(m string) string {
		if v, ok := values[m[1:len(m)-1]]; ok {
			return v
		}
		return ids.NewHex32()
	})
}

// TestRouteTable walks the real route table: every route declares a known
// permission, and every route under /accounts/{account_id} refuses a token
// of another account (one holding every permission on its own) without
// changing anything.
func TestRouteTable(t *testing.T) {
	env := apptest.New(t)
	b, bToken := env.NewAccount("account B")
	conn := send(t, env, "POST", "/accounts/"+b+"/sso_connectors", bearer(bToken), []byte(`{"email_domain":"betacorp.company"}`))
	if conn.Status != http.StatusOK {
		t.Fatalf("create B's connector: %d %s", conn.Status, conn.Body)
	}
	list := send(t, env, "GET", "/accounts/"+b+"/tokens", bearer(bToken), nil).JSON(t)
	created := func(path, body string) string {
		r := send(t, env, "POST", "/accounts/"+b+path, bearer(bToken), []byte(body))
		if r.Status != http.StatusCreated {
			t.Fatalf("create B's %s: %d %s", path, r.Status, r.Body)
		}
		id, _ := r.JSON(t)["result"].(map[string]any)["id"].(string)
		return id
	}
	created("/access/organizations", `{"name":"Beta","auth_domain":"betacorp"}`)
	idp := created("/access/identity_providers", `{"name":"idp","type":"oidc","config":{"client_id":"c","client_secret":"s",
		"auth_url":"https://idp.example/a","token_url":"https://idp.example/t","certs_url":"https://idp.example/k"}}`)
	pol := created("/access/policies", `{"name":"p","decision":"allow","include":[{"everyone":{}}]}`)
	app := created("/access/apps", `{"type":"self_hosted","name":"app","domain":"app.betacorp.company","policies":["`+pol+`"]}`)
	serviceToken := created("/access/service_tokens", `{"name":"ci"}`)
	member := send(t, env, "POST", "/accounts/"+b+"/members", bearer(bToken),
		[]byte(`{"email":"member@betacorp.company","roles":["`+accounts.Roles()[1].ID+`"]}`))
	if member.Status != http.StatusOK {
		t.Fatalf("create B's member: %d %s", member.Status, member.Body)
	}
	values := map[string]string{
		"member_id":        member.JSON(t)["result"].(map[string]any)["id"].(string),
		"role_id":          accounts.Roles()[1].ID,
		"account_id":       b,
		"sso_connector_id": conn.JSON(t)["result"].(map[string]any)["id"].(string),
		"token_id":         list["result"].([]any)[0].(map[string]any)["id"].(string),
		"idp_id":           idp,
		"app_id":           app,
		"policy_id":        pol,
		"service_token_id": serviceToken,
	}
	before := snapshot(t, env, b, bToken)

	routes := env.App.API.Routes()
	if len(routes) < 15 {
		t.Fatalf("only %d routes registered", len(routes))
	}
	seen := map[string]bool{}
	for _, rt := range routes {
		t.Run(rt.Method+" "+rt.Path, func(t *testing.T) {
			if seen[rt.Method+" "+rt.Path] {
				t.Errorf("registered twice")
			}
			seen[rt.Method+" "+rt.Path] = true
			if len(rt.Permissions) == 0 || rt.Handle == nil {
				t.Fatalf("route declares no permission or no handler: %+v", rt)
			}
			for _, p := range rt.Permissions {
				if g, ok := tokens.GroupByName(p); p != api.AnyToken && (!ok || g.Name != p) {
					t.Errorf("permission %q is neither api.AnyToken nor a catalogue group", p)
				}
			}
			if !strings.HasPrefix(rt.Path, "/accounts/{account_id}") {
				return
			}
			path := concrete(rt.Path, values)
			var body []byte
			if rt.Method == "POST" || rt.Method == "PUT" || rt.Method == "PATCH" {
				body = []byte(`{"name":"x","email_domain":"evil.company","enabled":true,"status":"disabled"}`)
			}
			failure(t, send(t, env, rt.Method, path, bearer(env.Token), body), http.StatusForbidden, 10000)
			if rt.Method == "GET" { // the derived request is a real one: B's own token is served
				if r := send(t, env, "GET", path, bearer(bToken), nil); r.Status != http.StatusOK {
					t.Errorf("B's own token on %s: %d %s", path, r.Status, r.Body)
				}
			}
		})
	}
	if diff := cmp.Diff(before, snapshot(t, env, b, bToken)); diff != "" {
		t.Errorf("account B changed (-before +after):\n%s", diff)
	}
}

func TestHandleRefusesRouteWithoutPermission(t *testing.T) {
	noop := func(*api.Request) (any, error) { return nil, nil }
	for _, perms := range [][]string{nil, {}} {
		t.Run(fmt.Sprintf("%#v", perms), func(t *testing.T) {
			rt := api.NewRouter(nil, slog.New(slog.DiscardHandler), nil)
			defer func() {
				p := recover()
				if p == nil {
					t.Fatal("Handle accepted a route with no permission")
				}
				if msg := fmt.Sprint(p); !strings.Contains(msg, "GET /accounts/{account_id}/open") {
					t.Errorf("panic does not name the route: %v", msg)
				}
				if len(rt.Routes()) != 0 {
					t.Errorf("the refused route was registered")
				}
			}()
			rt.Handle(api.Route{Method: "GET", Path: "/accounts/{account_id}/open", Permissions: perms, Handle: noop})
		})
	}
	t.Run("declared", func(t *testing.T) {
		rt := api.NewRouter(nil, slog.New(slog.DiscardHandler), nil)
		rt.Handle(api.Route{Method: "GET", Path: "/x", Permissions: []string{api.AnyToken}, Handle: noop})
		got := rt.Routes()
		if len(got) != 1 || got[0].Path != "/x" {
			t.Fatalf("Routes() = %+v", got)
		}
		got[0].Permissions = nil // a copy: the table cannot be edited from outside
		if len(rt.Routes()[0].Permissions) != 1 {
			t.Error("Routes() shares the router's table")
		}
	})
}
