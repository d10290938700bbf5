package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// testTimeout bounds everything one test does in its browser, so a page
// that never arrives fails the test instead of hanging it.
const testTimeout = 60 * time.Second

// artifactsDir is test-artifacts/e2e at the repository root, seen from
// this package's directory (where go test runs it).
const artifactsDir = "../../test-artifacts/e2e"

// chromiumPath finds Debian's Chromium. Without it the tests skip, unless
// CI is set: there a missing browser must fail, not pass by skipping.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	const msg = "Chromium not found: the browser tests need `apt-get install -y chromium`"
	if os.Getenv("CI") != "" {
		t.Fatal(msg + " (CI is set, so this is a failure, not a skip)")
	}
	t.Skip(msg)
	return ""
}

// browser is one Chromium with one tab, owned by one test.
type browser struct {
	t    *testing.T
	ctx  context.Context // the tab, with the test's deadline
	tab  context.Context // the tab without deadline, for the last screenshot
	dir  string          // where this test's screenshots go
	n    int             // screenshots taken
	logs *lockedBuffer   // Chromium's output, shown when the test fails

	mu        sync.Mutex
	documents []string // URL of every document request, redirects included
}

// browsers lets step(t, name) find the test's browser.
var browsers sync.Map // *testing.T → *browser

// newBrowser starts a headless Chromium for t with a fresh profile. It is
// closed when the test ends, after a screenshot of the page if it failed.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	exe := chromiumPath(t)
	b := &browser{t: t, logs: &lockedBuffer{}, dir: filepath.Join(artifactsDir, safeName(t.Name()))}
	if err := os.RemoveAll(b.dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(b.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	profile := t.TempDir() // registered first, so removed after the browser is gone
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(profile),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.WindowSize(1280, 900),
		chromedp.CombinedOutput(b.logs),
	)
	// The allocator's deadline is the backstop that kills a browser which
	// stopped answering; the actions' own deadline comes first, leaving
	// time for the failure screenshot.
	allocCtx, cancelAlloc := context.WithTimeout(context.Background(), testTimeout+20*time.Second)
	allocCtx, cancelExec := chromedp.NewExecAllocator(allocCtx, opts...)
	tab, cancelTab := chromedp.NewContext(allocCtx)
	b.tab = tab
	ctx, cancelCtx := context.WithTimeout(tab, testTimeout)
	b.ctx = ctx
	t.Cleanup(func() {
		if t.Failed() {
			b.shot("failure", 10*time.Second)
			t.Logf("Chromium output (D-Bus noise left out):\n%s", b.logs.withoutNoise())
		}
		browsers.Delete(t)
		cancelCtx()
		closeCtx, cancel := context.WithTimeout(tab, 10*time.Second)
		if err := chromedp.Cancel(closeCtx); err != nil && !errors.Is(err, context.Canceled) {
			t.Logf("closing Chromium: %v", err)
		}
		cancel()
		cancelTab()
		cancelExec() // waits for the process to exit
		cancelAlloc()
	})
	// The first Run starts the browser; it binds the browser's life to its
	// context, so it gets the tab context, not the one with the deadline.
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("start Chromium (%s): %v\n%s", exe, err, b.logs.String())
	}
	if err := chromedp.Listen(tab, b.record); err != nil {
		t.Fatal(err)
	}
	browsers.Store(t, b)
	return b
}

// record keeps the URL of every document the tab requests (each redirect
// hop is a request of its own). It runs in the tab's event loop: no
// commands, return fast.
func (b *browser) record(ev any) {
	if ev, ok := ev.(*network.EventRequestWillBeSent); ok && ev.Type == network.ResourceTypeDocument {
		b.mu.Lock()
		b.documents = append(b.documents, ev.Request.URL)
		b.mu.Unlock()
	}
}

// visited returns the documents requested so far.
func (b *browser) visited() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.documents...)
}

// step saves a full-page screenshot of t's browser as the next numbered
// step: test-artifacts/e2e/<TestName>/<NN-name>.png.
func step(t *testing.T, name string) {
	t.Helper()
	v, ok := browsers.Load(t)
	if !ok {
		t.Fatalf("step %q: the test has no browser", name)
	}
	b := v.(*browser)
	if err := b.shot(name, 0); err != nil {
		t.Fatalf("screenshot %q: %v", name, err)
	}
}

// shot writes the screenshot; timeout 0 means the test's deadline.
func (b *browser) shot(name string, timeout time.Duration) error {
	ctx := b.ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(b.tab, timeout)
		defer cancel()
	}
	b.waitLoaded(ctx)
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return err
	}
	b.n++
	path := filepath.Join(b.dir, fmt.Sprintf("%02d-%s.png", b.n, safeName(name)))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		return err
	}
	b.t.Logf("screenshot %s", path)
	return nil
}

// waitLoaded gives the page up to two seconds to finish loading, so the
// screenshot shows it styled. A page that is busy navigating is not an
// error here; the next action will say what went wrong.
func (b *browser) waitLoaded(ctx context.Context) {
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); {
		state, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.readyState`))
		if err == nil && state == "complete" {
			return
		}
		if ctx.Err() != nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func safeName(s string) string { return strings.Trim(unsafeChars.ReplaceAllString(s, "-"), "-") }

// do runs actions, failing the test with what was being attempted.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v (page: %s)", what, err, b.location())
	}
}

// open navigates to u and waits for it to load.
func (b *browser) open(u string) {
	b.t.Helper()
	b.do("open "+u, chromedp.Navigate(u))
}

// waitVisible waits until the CSS selector matches a visible element.
func (b *browser) waitVisible(sel string) {
	b.t.Helper()
	b.do("wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
}

// fill replaces the value of an input (or select) and fires the events a
// person's typing would.
func (b *browser) fill(sel, value string) {
	b.t.Helper()
	b.do("fill "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.SetValue(chromedp.CSS(sel), value))
}

// typeInto types text into an input, key by key.
func (b *browser) typeInto(sel, text string) {
	b.t.Helper()
	b.do("type into "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Clear(chromedp.CSS(sel)),
		chromedp.SendKeys(chromedp.CSS(sel), text))
}

// click clicks the first visible element matching the CSS selector.
func (b *browser) click(sel string) {
	b.t.Helper()
	b.do("click "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
}

// text is the visible text of the first element matching sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("read text of %s: %v (page: %s)", sel, err, b.location())
	}
	return strings.TrimSpace(s)
}

// location is the tab's URL, or a note why it is unknown.
func (b *browser) location() string {
	ctx, cancel := context.WithTimeout(b.tab, 3*time.Second)
	defer cancel()
	u, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "unknown: " + err.Error()
	}
	return u
}

// eval evaluates a JavaScript expression; errors are returned, not fatal,
// since pages change under a poll.
func (b *browser) eval(expr string) (string, error) {
	ctx, cancel := context.WithTimeout(b.ctx, 3*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[string](expr))
}

// waitFor polls the page until check returns a non-empty answer or the
// test's deadline passes. It polls from Go, so navigations in between
// (which destroy in-page pollers) do no harm.
func (b *browser) waitFor(what string, check func() string) string {
	b.t.Helper()
	for {
		if got := check(); got != "" {
			return got
		}
		select {
		case <-b.ctx.Done():
			b.t.Fatalf("waiting for %s: %v (page: %s)", what, b.ctx.Err(), b.location())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitURL waits until the tab's URL satisfies ok, and returns it.
func (b *browser) waitURL(what string, ok func(*url.URL) bool) *url.URL {
	b.t.Helper()
	var found *url.URL
	b.waitFor(what, func() string {
		u, err := url.Parse(b.location())
		if err != nil || !ok(u) {
			return ""
		}
		found = u
		return u.String()
	})
	return found
}

// lockedBuffer collects Chromium's output from its own goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// withoutNoise is the output without the D-Bus complaints every headless
// Chromium makes in a container.
func (l *lockedBuffer) withoutNoise() string {
	var out []string
	for _, line := range strings.Split(l.String(), "\n") {
		if !strings.Contains(line, ":ERROR:dbus/") {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
