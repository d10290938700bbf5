package browser_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/internal/browser"
)

// TestReadForm: the shared cap and parse, request by request; the
// dashboard's and the portal's tests drive it through their handlers.
func TestReadForm(t *testing.T) {
	big := "a=" + strings.Repeat("x", browser.MaxForm)
	tests := []struct {
		name, method, ctype, body string
		chunked                   bool
		status                    int    // 0: let through
		form                      string // PostForm's "a" afterwards
	}{
		{"small form", "POST", "application/x-www-form-urlencoded", "a=1&b=2", false, 0, "1"},
		{"small form, charset", "POST", "application/x-www-form-urlencoded; charset=utf-8", "a=1", false, 0, "1"},
		{"exactly the limit", "POST", "application/x-www-form-urlencoded", big[:browser.MaxForm], false, 0, strings.Repeat("x", browser.MaxForm-2)},
		{"one byte over", "POST", "application/x-www-form-urlencoded", big[:browser.MaxForm+1], false, 413, ""},
		{"over, no length", "POST", "application/x-www-form-urlencoded", big, true, 413, ""},
		{"PUT over", "PUT", "application/x-www-form-urlencoded", big, true, 413, ""},
		{"PATCH form", "PATCH", "application/x-www-form-urlencoded", "a=3", false, 0, "3"},
		{"GET with a large declared body", "GET", "", big, false, 413, ""},
		{"GET with a small body", "GET", "", "a=1", false, 0, ""},
		{"multipart", "POST", "multipart/form-data; boundary=b", "--b--\r\n", false, 415, ""},
		{"multipart, upper case", "POST", "Multipart/Form-Data; boundary=b", "--b--\r\n", false, 415, ""},
		{"multipart/mixed", "POST", "multipart/mixed; boundary=b", "--b--\r\n", false, 415, ""},
		{"malformed escape", "POST", "application/x-www-form-urlencoded", "a=%zz", false, 400, ""},
		{"no body", "POST", "", "", false, 0, ""},
		{"text/plain is left unread", "POST", "text/plain", "a=1", false, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, "/", strings.NewReader(tc.body))
			if tc.chunked {
				r.ContentLength = -1
				r.Body = io.NopCloser(r.Body) // hide the length from the reader too
			}
			if tc.ctype != "" {
				r.Header.Set("Content-Type", tc.ctype)
			}
			refused := browser.ReadForm(httptest.NewRecorder(), r)
			switch {
			case tc.status == 0 && refused != nil:
				t.Fatalf("refused: %v", refused)
			case tc.status != 0 && (refused == nil || refused.Status != tc.status || refused.Message == ""):
				t.Fatalf("got %+v, want a %d with a message", refused, tc.status)
			case tc.status == 0 && r.PostFormValue("a") != tc.form:
				t.Errorf("PostForm a = %.20q, want %.20q", r.PostFormValue("a"), tc.form)
			}
		})
	}
}

// TestReadFormCapsLaterReads: a body left unread (not a form) still cannot
// be read past the limit by whoever reads it later.
func TestReadFormCapsLaterReads(t *testing.T) {
	r := httptest.NewRequest("POST", "/", strings.NewReader(strings.Repeat("x", browser.MaxForm+10)))
	r.ContentLength = -1
	r.Header.Set("Content-Type", "application/octet-stream")
	if refused := browser.ReadForm(httptest.NewRecorder(), r); refused != nil {
		t.Fatalf("refused: %v", refused)
	}
	n, err := io.Copy(io.Discard, r.Body)
	var tooBig *http.MaxBytesError
	if n != browser.MaxForm || !errors.As(err, &tooBig) {
		t.Errorf("read %d bytes, error %v; want %d and a MaxBytesError", n, err, browser.MaxForm)
	}
}
