package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/internal/apptest"
)

// send is env.Do with full control of the headers (nil body: none; an
// empty header value: no such header).
func send(t testing.TB, env *apptest.Env, method, path string, header map[string]string, body []byte) apptest.Response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, env.APIURL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json") // as curl --json and the SDK do
	}
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := env.Server.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return apptest.Response{Status: resp.StatusCode, Header: resp.Header, Body: raw}
}

func bearer(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

// apiFailure is one error response, decoded.
type apiFailure struct {
	Success bool `json:"success"`
	Errors  []struct {
		Code       int    `json:"code"`
		Message    string `json:"message"`
		ErrorChain []struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error_chain"`
		Source *struct {
			Pointer string `json:"pointer"`
		} `json:"source"`
	} `json:"errors"`
	Messages []any `json:"messages"`
	Result   any   `json:"result"`
}

// failure checks the common shape of every error response and returns it:
// the status, JSON content type, success:false, a non-empty errors array
// whose first code is code, messages [] and result null.
func failure(t testing.TB, r apptest.Response, status, code int) apiFailure {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var f apiFailure
	if err := json.Unmarshal(r.Body, &f); err != nil {
		t.Fatalf("error body is not the envelope (%v): %s", err, r.Body)
	}
	if f.Success || len(f.Errors) == 0 || f.Messages == nil || f.Result != nil {
		t.Errorf("not a v4 error envelope: %s", r.Body)
	}
	if len(f.Errors) > 0 && f.Errors[0].Code != code {
		t.Errorf("errors[0].code = %d, want %d: %s", f.Errors[0].Code, code, r.Body)
	}
	if !strings.Contains(string(r.Body), `"result":null`) {
		t.Errorf("error envelope lacks result:null: %s", r.Body)
	}
	return f
}

func (f apiFailure) chainCodes() []int {
	var out []int
	for _, e := range f.Errors {
		for _, c := range e.ErrorChain {
			out = append(out, c.Code)
		}
	}
	return out
}

func (f apiFailure) codes() []int {
	var out []int
	for _, e := range f.Errors {
		out = append(out, e.Code)
	}
	return out
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
