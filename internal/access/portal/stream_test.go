package portal_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/ssogate/ssogate/internal/apptest"
)

// serverTimeout stands in for internal/app's ReadTimeout (30 s) and
// WriteTimeout (60 s): every stream below outlasts it several times over.
const serverTimeout = 300 * time.Millisecond

// timedServer serves h as internal/app's Run does, with its read and
// write timeouts at serverTimeout, and returns its address.
func timedServer(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: serverTimeout, ReadTimeout: serverTimeout, WriteTimeout: serverTimeout}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// streams is a signed-in browser for a self-hosted app whose origin serves
// stream at a path (and "ok" elsewhere), talking to ssogate's whole
// handler tree behind timedServer.
type streams struct {
	a      *acme
	c      *http.Client
	base   string // http://stream.localhost:<timed server port>
	appID  string
	origin *httptest.Server
}

func newStreams(t *testing.T, path string, stream http.HandlerFunc) *streams {
	t.Helper()
	a := newAcme(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	mux.HandleFunc(path, stream)
	origin := httptest.NewServer(mux)
	t.Cleanup(origin.Close)
	id, _ := a.app(t, `{"type":"self_hosted","name":"Stream","domain":"stream.localhost","origin_url":"`+origin.URL+`",
		"policies":["`+a.staffPolicy+`"]}`)
	login := a.env.Browser()
	// The login runs on the test's untimed server; cookies do not care
	// which port the timed server has.
	if final, _ := a.appLogin(t, login, "http://stream.localhost:"+a.env.Port()+"/", "alice"); final.body != "ok" {
		t.Fatalf("login: %d %s", final.status, final.body)
	}
	addr := timedServer(t, a.env.App.Handler())
	c := apptest.BrowserAt(addr)
	c.Jar, c.Timeout = login.Jar, 10*time.Second
	_, port, _ := net.SplitHostPort(addr)
	return &streams{a: a, c: c, base: "http://stream.localhost:" + port, appID: id, origin: origin}
}

// A chunked download that lasts three times the server's write timeout
// arrives whole through the gateway, each chunk as it is flushed; a bare
// reverse proxy behind the same server is cut.
func TestStreamLongDownload(t *testing.T) {
	t.Parallel()
	const chunks, every = 10, 100 * time.Millisecond
	origin := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := range chunks {
			fmt.Fprintf(w, "chunk %d\n", i)
			http.NewResponseController(w).Flush()
			time.Sleep(every)
		}
	})
	s := newStreams(t, "/download", origin)
	start := time.Now()
	resp, err := s.c.Get(s.base + "/download")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || strings.Count(string(body), "chunk") != chunks || resp.Header.Get("Content-Security-Policy") != "" {
		t.Fatalf("download through the gateway: %v, %d chunks after %s, CSP %q", err, strings.Count(string(body), "chunk"),
			time.Since(start), resp.Header.Get("Content-Security-Policy"))
	}

	// The control: the same server without the gateway's lifted deadline.
	to, _ := url.Parse(s.origin.URL)
	bare := timedServer(t, httputil.NewSingleHostReverseProxy(to))
	resp, err = http.Get("http://" + bare + "/download")
	if err == nil {
		body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil && strings.Count(string(body), "chunk") == chunks {
		t.Errorf("the control was not cut by the write timeout: the test proves nothing")
	}
}

// Server-sent events arrive as the origin flushes them, and a stream idle
// for twice the server's write timeout between events stays open.
func TestStreamServerSentEvents(t *testing.T) {
	t.Parallel()
	got := make(chan struct{})
	origin := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: one\n\n")
		http.NewResponseController(w).Flush()
		select { // the client has it before the origin writes again: flushed
		case <-got:
		case <-time.After(5 * time.Second):
			return
		}
		time.Sleep(2 * serverTimeout)
		fmt.Fprint(w, "data: two\n\n")
	})
	s := newStreams(t, "/events", origin)
	resp, err := s.c.Get(s.base + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	var events []string
	for lines.Scan() {
		if ev, ok := strings.CutPrefix(lines.Text(), "data: "); ok {
			events = append(events, ev)
			if ev == "one" {
				close(got)
			}
		}
	}
	if strings.Join(events, ",") != "one,two" || lines.Err() != nil {
		t.Errorf("events %v, error %v", events, lines.Err())
	}
}

// A request body is streamed to the origin as the client sends it — the
// origin echoes each piece before the client sends the next — over longer
// than the server's read timeout. ssogate's own pages keep that timeout.
func TestStreamRequestBody(t *testing.T) {
	t.Parallel()
	origin := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		_ = rc.EnableFullDuplex()
		fmt.Fprintln(w, "ready") // so the client has the headers before it sends
		_ = rc.Flush()
		lines := bufio.NewScanner(r.Body)
		for lines.Scan() {
			fmt.Fprintf(w, "echo %s\n", lines.Text())
			_ = rc.Flush()
		}
	})
	s := newStreams(t, "/upload", origin)
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", s.base+"/upload", pr)
	resp, err := s.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	echoes := bufio.NewScanner(resp.Body)
	if !echoes.Scan() || echoes.Text() != "ready" {
		t.Fatalf("first line %q", echoes.Text())
	}
	for i := range 4 {
		time.Sleep(serverTimeout / 2)
		fmt.Fprintf(pw, "piece %d\n", i)
		if !echoes.Scan() || echoes.Text() != fmt.Sprintf("echo piece %d", i) {
			t.Fatalf("piece %d was not echoed before the next was sent: %q %v", i, echoes.Text(), echoes.Err())
		}
	}
	pw.Close()
	if echoes.Scan() {
		t.Errorf("unexpected after the body: %q", echoes.Text())
	}

	// A form trickled to the team domain is cut by the read timeout.
	teamHost := strings.Replace(s.base, "stream.localhost", "acme.access.localhost", 1)
	start, done := time.Now(), make(chan struct{})
	pr, pw = io.Pipe()
	go func() {
		defer close(done)
		for range 12 { // 1.8 s in all
			time.Sleep(serverTimeout / 2)
			if _, err := io.WriteString(pw, "a=b&"); err != nil {
				return
			}
		}
		pw.Close()
	}()
	req, _ = http.NewRequest("POST", teamHost+"/", pr)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, err := s.c.Do(req); err == nil {
		resp.Body.Close()
	}
	if took := time.Since(start); took > 4*serverTimeout {
		t.Errorf("a trickled form to ssogate's own page was read for %s: the read timeout was lifted there", took)
	}
	pw.CloseWithError(errors.New("done"))
	<-done
}

// A client that stops reading is disconnected after the write timeout, and
// the origin's request is cancelled: lifting the deadline does not let a
// stalled reader hold a connection forever.
func TestStreamStalledReader(t *testing.T) {
	t.Parallel()
	cancelled := make(chan struct{})
	origin := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := make([]byte, 64<<10)
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				break
			}
		}
		close(cancelled)
	})
	s := newStreams(t, "/flood", origin)
	resp, err := s.c.Get(s.base + "/flood")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	select {
	case <-cancelled:
	case <-time.After(10 * serverTimeout):
		t.Fatal("the origin kept writing to a client that stopped reading")
	}
	if _, err := io.Copy(io.Discard, resp.Body); err == nil {
		t.Error("the stalled response ended cleanly")
	}
}

// WebSockets: the upgrade reaches the origin with the identity headers,
// messages go both ways, a connection outlives the server's timeouts, and
// close codes pass in both directions.
func TestStreamWebSocket(t *testing.T) {
	t.Parallel()
	type closed struct {
		code   websocket.StatusCode
		reason string
	}
	originSaw := make(chan closed, 1)
	origin := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		ctx := r.Context()
		for {
			_, msg, err := conn.Read(ctx)
			if err != nil {
				var ce websocket.CloseError
				errors.As(err, &ce)
				originSaw <- closed{ce.Code, ce.Reason}
				return
			}
			switch string(msg) {
			case "who":
				msg = []byte(r.Header.Get("Cf-Access-Authenticated-User-Email"))
			case "bye":
				_ = conn.Close(4001, "origin says bye")
				return
			}
			if err := conn.Write(ctx, websocket.MessageText, append([]byte("echo "), msg...)); err != nil {
				return
			}
		}
	})
	s := newStreams(t, "/ws", origin)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client := *s.c
	client.Timeout = 0
	dial := func() *websocket.Conn {
		t.Helper()
		conn, resp, err := websocket.Dial(ctx, strings.Replace(s.base, "http:", "ws:", 1)+"/ws", &websocket.DialOptions{HTTPClient: &client})
		if err != nil {
			t.Fatalf("dial through the gateway: %v (%v)", err, resp)
		}
		return conn
	}
	roundTrip := func(conn *websocket.Conn, msg string) string {
		t.Helper()
		if err := conn.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
			t.Fatalf("write %q: %v", msg, err)
		}
		_, got, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("read after %q: %v", msg, err)
		}
		return string(got)
	}

	conn := dial()
	if got := roundTrip(conn, "who"); got != "echo alice@acmecorp.company" {
		t.Errorf("identity at the origin: %q", got)
	}
	time.Sleep(2 * serverTimeout)
	if got := roundTrip(conn, "still there?"); got != "echo still there?" {
		t.Errorf("after an idle spell: %q", got)
	}
	if err := conn.Close(websocket.StatusNormalClosure, "client done"); err != nil {
		t.Errorf("client close: %v", err)
	}
	if got := <-originSaw; got != (closed{websocket.StatusNormalClosure, "client done"}) {
		t.Errorf("the origin saw the close as %+v", got)
	}

	conn = dial()
	_ = conn.Write(ctx, websocket.MessageText, []byte("bye"))
	_, _, err := conn.Read(ctx)
	if websocket.CloseStatus(err) != 4001 {
		t.Errorf("the origin's close reached the client as %v", err)
	}
}
