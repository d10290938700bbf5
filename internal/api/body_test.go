package api_test

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/internal/apptest"
)

// TestStrictJSONBodies: the one decoder refuses what encoding/json lets
// through — null, invalid UTF-8, lone surrogates, duplicate keys at any
// depth, compressed bodies, bodies that are not declared JSON — with a
// status and a message that say what was wrong, and still accepts what
// curl --json and the SDK send.
func TestStrictJSONBodies(t *testing.T) {
	env := apptest.New(t)
	orgs := "/accounts/" + env.AccountID + "/access/organizations"
	if r := send(t, env, "POST", orgs, map[string]string{"Authorization": "Bearer " + env.Token, "Content-Type": "application/json"},
		[]byte(`{"name":"Acme","auth_domain":"acme"}`)); r.Status != http.StatusCreated {
		t.Fatalf("create organization: %d %s", r.Status, r.Body)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(`{"name":"Zipped"}`))
	_ = zw.Close()
	tests := []struct {
		name     string
		body     []byte
		header   map[string]string
		status   int
		code     int
		msg      string
		wantName string // the organization's name afterwards
	}{
		{"null", []byte(`null`), nil, 400, 6007, "null", "Acme"},
		{"null with spaces", []byte(" null\n"), nil, 400, 6007, "null", "Acme"},
		{"invalid UTF-8", []byte("{\"name\":\"\xff\xfe\xfd\"}"), nil, 400, 6007, "UTF-8", "Acme"},
		{"invalid UTF-8 in a key", []byte("{\"n\xffme\":\"x\"}"), nil, 400, 6007, "UTF-8", "Acme"},
		{"lone high surrogate", []byte(`{"name":"\ud800"}`), nil, 400, 6007, "surrogate", "Acme"},
		{"lone low surrogate", []byte(`{"name":"a\udc00b"}`), nil, 400, 6007, "surrogate", "Acme"},
		{"duplicate key", []byte(`{"name":"A","name":"B"}`), nil, 400, 6007, `"name" appears twice`, "Acme"},
		{"duplicate nested key", []byte(`{"name":"A","login_design":{"logo_path":"x","logo_path":"y"}}`), nil, 400, 6007, `"logo_path" appears twice`, "Acme"},
		{"duplicate key in an array", []byte(`{"allowed_idps":[],"x":[{"a":1},{"b":1,"b":2}]}`), nil, 400, 6007, "/x/1", "Acme"},
		{"gzip", gz.Bytes(), map[string]string{"Content-Encoding": "gzip"}, 415, 10415, "Content-Encoding", "Acme"},
		{"text/plain", []byte(`{"name":"Plain"}`), map[string]string{"Content-Type": "text/plain"}, 415, 10415, "application/json", "Acme"},
		{"curl -d", []byte(`{"name":"Form"}`), map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415, 10415, "application/json", "Acme"},
		{"no Content-Type", []byte(`{"name":"Bare"}`), map[string]string{"Content-Type": ""}, 415, 10415, "application/json", "Acme"},
		{"latin-1", []byte(`{"name":"Latin"}`), map[string]string{"Content-Type": "application/json; charset=iso-8859-1"}, 415, 10415, "UTF-8", "Acme"},
		{"charset utf-8", []byte(`{"name":"Acme UTF"}`), map[string]string{"Content-Type": "application/json; charset=utf-8"}, 200, 0, "", "Acme UTF"},
		{"charset UTF-8, upper case type", []byte(`{"name":"Acme Upper"}`), map[string]string{"Content-Type": "Application/JSON; charset=\"UTF-8\""}, 200, 0, "", "Acme Upper"},
		{"identity encoding", []byte(`{"name":"Acme Identity"}`), map[string]string{"Content-Encoding": "identity"}, 200, 0, "", "Acme Identity"},
		{"real U+FFFD is fine", []byte(`{"name":"Acme \ufffd"}`), nil, 200, 0, "", "Acme \ufffd"},
		{"surrogate pair is fine", []byte(`{"name":"Acme \ud83d\ude00"}`), nil, 200, 0, "", "Acme 😀"},
		{"same key in sibling objects is fine", []byte(`{"name":"Acme","x":[{"a":1},{"a":2}],"y":{"a":{"a":1}}}`), nil, 200, 0, "", "Acme"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{"Authorization": "Bearer " + env.Token, "Content-Type": "application/json"}
			for k, v := range tc.header {
				h[k] = v
			}
			r := send(t, env, "PUT", orgs, h, tc.body)
			if tc.status == http.StatusOK {
				if r.Status != http.StatusOK {
					t.Fatalf("status %d, want 200: %s", r.Status, r.Body)
				}
			} else {
				f := failure(t, r, tc.status, tc.code)
				if !strings.Contains(f.Errors[0].Message, tc.msg) {
					t.Errorf("message %q does not contain %q", f.Errors[0].Message, tc.msg)
				}
			}
			got := send(t, env, "GET", orgs, bearer(env.Token), nil).JSON(t)["result"].(map[string]any)["name"]
			if got != tc.wantName {
				t.Errorf("organization name %q, want %q", got, tc.wantName)
			}
		})
	}
}

// TestBodylessPostsCapBodies: routes that read no body refuse one over the
// API's limit like every other route, and still take none at all.
func TestBodylessPostsCapBodies(t *testing.T) {
	env := apptest.New(t)
	orgs := "/accounts/" + env.AccountID + "/access/organizations"
	if r := env.Do("POST", orgs, env.Token, `{"name":"Acme","auth_domain":"acme"}`); r.Status != http.StatusCreated {
		t.Fatalf("create organization: %d %s", r.Status, r.Body)
	}
	app := env.Do("POST", "/accounts/"+env.AccountID+"/access/apps", env.Token,
		`{"type":"self_hosted","name":"Wiki","domain":"wiki.acmecorp.company"}`)
	if app.Status != http.StatusCreated {
		t.Fatalf("create app: %d %s", app.Status, app.Body)
	}
	appID := app.JSON(t)["result"].(map[string]any)["id"].(string)
	conn := env.Do("POST", "/accounts/"+env.AccountID+"/sso_connectors", env.Token, `{"email_domain":"acmecorp.company"}`)
	if conn.Status != http.StatusOK {
		t.Fatalf("create connector: %d %s", conn.Status, conn.Body)
	}
	connID := conn.JSON(t)["result"].(map[string]any)["id"].(string)
	huge := bytes.Repeat([]byte(" "), 2<<20)
	for _, path := range []string{
		"/accounts/" + env.AccountID + "/access/apps/" + appID + "/revoke_tokens",
		"/accounts/" + env.AccountID + "/access/keys/rotate",
		"/accounts/" + env.AccountID + "/sso_connectors/" + connID + "/begin_verification",
	} {
		t.Run(path[strings.LastIndex(path, "/")+1:], func(t *testing.T) {
			r := send(t, env, "POST", path, map[string]string{"Authorization": "Bearer " + env.Token, "Content-Type": "application/json"}, huge)
			failure(t, r, http.StatusRequestEntityTooLarge, 10413)
			if r := send(t, env, "POST", path, bearer(env.Token), nil); r.Status != http.StatusOK {
				t.Errorf("without a body: %d %s", r.Status, r.Body)
			}
		})
	}
}
