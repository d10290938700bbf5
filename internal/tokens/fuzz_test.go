package tokens_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/apptest"
	"github.com/ssogate/ssogate/internal/tokens"
)

// FuzzTokenInput sends arbitrary bodies to the real create endpoint (the
// whole handler tree of a running ssogate, with the all-permissions token):
// the answer is a 200 with a well-formed token or a 4xx envelope, never a
// 5xx or a 409 (both of which the SDK retries).
func FuzzTokenInput(f *testing.F) {
	env := apptest.New(f)
	handler := env.App.Handler()
	path := api.Prefix + "/accounts/" + env.AccountID + "/tokens"
	g, _ := tokens.GroupByName(tokens.SSORead)
	res := `{"com.cloudflare.api.account.` + env.AccountID + `":"*"}`
	seeds := []string{
		``, `{}`, `[]`, `{"name":"x"}`, `{"name":"x","policies":[]}`,
		`{"name":"ok","policies":[{"effect":"allow","permission_groups":[{"id":"` + g.ID + `"}],"resources":` + res + `}]}`,
		`{"name":"full","policies":[{"effect":"deny","permission_groups":[{"id":"` + g.ID + `","meta":{"key":"k","value":"v"}}],"resources":` + res + `}],` +
			`"condition":{"request_ip":{"in":["10.0.0.0/8","::1"],"not_in":["10.0.0.1"]}},"not_before":"2000-01-01T00:00:00Z","expires_on":"9999-12-31T23:59:59Z","status":"disabled"}`,
		`{"name":"x","policies":[{"effect":"allow","permission_groups":[{"id":"` + g.ID + `"}],"resources":{"com.cloudflare.api.account.` + env.AccountID + `":{"a":"*"}}}]}`,
		`{"name":"x","expires_on":"0001-01-01T00:00:00Z"}`, `{"name":"\u0000"}`, `{"name":1e999}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest("POST", path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+env.Token)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		if rec.Code >= 500 || rec.Code == http.StatusConflict || (rec.Code != 200 && rec.Code < 400) {
			t.Fatalf("POST %q: status %d: %s", body, rec.Code, rec.Body)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Fatalf("Content-Type %q", ct)
		}
		var env struct {
			Success bool            `json:"success"`
			Errors  []api.Message   `json:"errors"`
			Result  json.RawMessage `json:"result"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
			t.Fatalf("body is not the envelope: %v: %s", err, rec.Body)
		}
		if rec.Code != 200 {
			if env.Success || len(env.Errors) == 0 || strings.TrimSpace(env.Errors[0].Message) == "" {
				t.Fatalf("status %d without an error message: %s", rec.Code, rec.Body)
			}
			return
		}
		checkToken(t, string(env.Result), tokenExtras(t, env.Result)...)
	})
}

// tokenExtras lists the optional keys a created token carries.
func tokenExtras(t *testing.T, raw json.RawMessage) []string {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("result is not an object: %s", raw)
	}
	extra := []string{"value"}
	for _, k := range []string{"not_before", "expires_on", "condition"} {
		if _, ok := m[k]; ok {
			extra = append(extra, k)
		}
	}
	return extra
}
