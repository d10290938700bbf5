package cli

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	cloudflare "github.com/cloudflare/cloudflare-go/v6"
	"github.com/google/go-cmp/cmp"
)

func TestEnvelopeMessages(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
	}{
		{"objects", `{"success":true,"errors":[],"messages":[{"code":10000,"message":"Verification started: status pending"},{"code":1,"message":"second"}]}`,
			[]string{"Verification started: status pending", "second"}},
		{"bare strings", `{"messages":["This API Token is valid and active"]}`, []string{"This API Token is valid and active"}},
		{"empty", `{"success":true,"errors":[],"messages":[],"result":{}}`, nil},
		{"no key", `{"result":{}}`, nil},
		{"not JSON", `<html>`, nil},
		{"messages not an array", `{"messages":"oops"}`, nil},
		{"object without a message", `{"messages":[{"code":1}]}`, nil},
		{"newlines and escapes made one line", `{"messages":[{"message":"a\nb\u001b[31m  c\r\n"}]}`, []string{"a b [31m c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, envelopeMessages([]byte(tt.body))); diff != "" {
				t.Errorf("envelopeMessages (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPrintMessagesMiddleware: notes of successful JSON responses are
// printed and the body is left whole for the SDK; error responses (which
// the SDK may retry) and other content types are not read.
func TestPrintMessagesMiddleware(t *testing.T) {
	const body = `{"success":true,"errors":[],"messages":[{"code":10000,"message":"hello"}],"result":null}`
	tests := []struct {
		name        string
		status      int
		contentType string
		want        string
	}{
		{"success", 200, "application/json", "note: hello\n"},
		{"success with charset", 200, "application/json; charset=utf-8", "note: hello\n"},
		{"error", 400, "application/json", ""},
		{"server error", 503, "application/json", ""},
		{"not JSON", 200, "text/plain", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var notes bytes.Buffer
			next := func(*http.Request) (*http.Response, error) {
				return &http.Response{StatusCode: tt.status, Header: http.Header{"Content-Type": {tt.contentType}},
					Body: io.NopCloser(strings.NewReader(body))}, nil
			}
			req, _ := http.NewRequest("GET", "http://api.invalid/client/v4/user/tokens/verify", nil)
			res, err := printMessages(&notes)(req, next)
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := io.ReadAll(res.Body); string(got) != body {
				t.Errorf("body after the middleware = %q, want it whole", got)
			}
			if notes.String() != tt.want {
				t.Errorf("notes = %q, want %q", notes.String(), tt.want)
			}
		})
	}
}

func TestFormatAPIErrorShowsMessages(t *testing.T) {
	var ae cloudflare.Error
	raw := `{"success":false,"errors":[{"code":1002,"message":"bad thing"}],"messages":[{"code":1,"message":"try later"}],"result":null}`
	if err := ae.UnmarshalJSON([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	ae.StatusCode = 400
	want := "HTTP 400 Bad Request\n  bad thing (code 1002)\nnote: try later"
	if got := formatAPIError(&ae); got != want {
		t.Errorf("formatAPIError = %q, want %q", got, want)
	}
}
