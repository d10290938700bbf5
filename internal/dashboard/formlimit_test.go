package dashboard_test

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/apptest"
)

// upload is one streamed request body: head, then n zero bytes, then tail.
type upload struct {
	ctype      string
	head, tail []byte
	n          int64
	chunked    bool // no Content-Length
}

// multipartUpload is a form with one file part of n bytes, like the one
// that took an unauthenticated client to hundreds of MB of temp files.
func multipartUpload(n int64, fields ...string) upload {
	var head bytes.Buffer
	for i := 0; i+1 < len(fields); i += 2 {
		head.WriteString("--b\r\nContent-Disposition: form-data; name=\"" + fields[i] + "\"\r\n\r\n" + fields[i+1] + "\r\n")
	}
	head.WriteString("--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"f.bin\"\r\n" +
		"Content-Type: application/octet-stream\r\n\r\n")
	return upload{ctype: "multipart/form-data; boundary=b", head: head.Bytes(), tail: []byte("\r\n--b--\r\n"), n: n}
}

// streamPost sends u through c and reports, besides the answer, whether
// the server spooled it to a multipart temp file in tmp: the check runs
// while the server is still waiting for the end of the body, when such a
// file exists (the server deletes it once the handler returns).
func streamPost(t *testing.T, c *http.Client, target, tmp string, u upload) (page, bool) {
	t.Helper()
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", target, pr)
	req.Header.Set("Content-Type", u.ctype)
	if !u.chunked {
		req.ContentLength = int64(len(u.head)) + u.n + int64(len(u.tail))
	}
	type answer struct {
		p   page
		err error
	}
	answered := make(chan answer, 1)
	go func() {
		resp, err := c.Do(req)
		if err != nil {
			answered <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		answered <- answer{p: page{Status: resp.StatusCode, Body: string(body), Header: resp.Header}}
	}()
	allButTail := make(chan struct{})
	release := make(chan struct{})
	go func() {
		defer close(allButTail)
		if _, err := pw.Write(u.head); err != nil {
			return
		}
		zeros := make([]byte, 64<<10)
		for left := u.n; left > 0; left -= int64(len(zeros)) {
			if _, err := pw.Write(zeros[:min(left, int64(len(zeros)))]); err != nil {
				return
			}
		}
	}()
	go func() {
		<-release
		_, _ = pw.Write(u.tail)
		pw.Close()
	}()
	var a answer
	got, spooled := false, false
	select {
	case a = <-answered:
		got = true
	case <-allButTail:
		// The server has (nearly) all of it and waits for the end.
		for deadline := time.Now().Add(3 * time.Second); !got && !spooled && time.Now().Before(deadline); {
			select {
			case a = <-answered:
				got = true
			case <-time.After(20 * time.Millisecond):
				spooled = spooledIn(tmp)
			}
		}
	}
	close(release)
	if !got {
		a = <-answered
	}
	if a.err != nil {
		t.Fatalf("POST %s: %v", target, a.err)
	}
	return a.p, spooled || spooledIn(tmp)
}

// spooledIn reports whether dir holds a temp file of mime/multipart.
func spooledIn(dir string) bool {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "multipart-") {
			return true
		}
	}
	return false
}

// TestFormBodyLimits: every form post to the dashboard is capped before
// anything reads it — before the CSRF check, so without a login — and a
// multipart body is refused unread: a large upload gets a 413 page and
// never reaches the disk.
func TestFormBodyLimits(t *testing.T) {
	env := apptest.New(t)
	b := newBrowser(t, env)
	b.get("/login") // the pre-session cookie and its CSRF token
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where mime/multipart would spool file parts
	bigForm := "csrf=" + url.QueryEscape(b.csrf) + "&email=a%40example.com&pad="
	tests := []struct {
		name, path string
		body       upload
		status     int
		title      string
	}{
		{"/login/sso without a cookie, 48 MB multipart", "/login/sso", multipartUpload(48 << 20), 413, "Form too large"},
		{"/login with the pre-session cookie, 48 MB multipart", "/login", multipartUpload(48<<20, "csrf", b.csrf), 413, "Form too large"},
		{"/login, a small multipart form", "/login", multipartUpload(10, "csrf", b.csrf, "email", "a@example.com"), 415, "Form not read"},
		{"/login, 600 KB form", "/login", upload{ctype: "application/x-www-form-urlencoded", head: []byte(bigForm), n: 600 << 10}, 413, "Form too large"},
		{"/login, 600 KB form without a length", "/login", upload{ctype: "application/x-www-form-urlencoded", head: []byte(bigForm), n: 600 << 10, chunked: true}, 413, "Form too large"},
		{"/login/password, 600 KB form", "/login/password", upload{ctype: "application/x-www-form-urlencoded", head: []byte(bigForm), n: 600 << 10}, 413, "Form too large"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, spooled := streamPost(t, b.c, b.abs(tc.path), tmp, tc.body)
			if spooled {
				t.Errorf("the body was spooled to a temp file")
			}
			if p.Status != tc.status || !strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") || !strings.Contains(p.Body, tc.title) {
				t.Errorf("status %d (want %d), Content-Type %q, page: %.300s", p.Status, tc.status, p.Header.Get("Content-Type"), p.Body)
			}
		})
	}
	// An ordinary form still works, through the same cookie jar.
	if p := b.passwordLogin(adminEmail, adminPassword); p.Status != http.StatusSeeOther {
		t.Errorf("password login after the refusals: %d %.300s", p.Status, p.Body)
	}
}
