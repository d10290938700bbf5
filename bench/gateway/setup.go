package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ssogate/ssogate/internal/idp/refop"
)

// Scenario names, in the order of a forward pass.
var scenarioNames = []string{"bare", "oauth2-proxy", "ssogate-sqlite-cookie", "ssogate-sqlite-header", "ssogate-sqlite-service-token",
	"ssogate-pg-cookie", "nginx-bare", "nginx-auth-null", "nginx-forward-auth", "nginx-oauth2-proxy",
	"caddy-bare", "caddy-auth-null", "caddy-forward-auth"}

// scenario is one path wrk loads.
type scenario struct {
	name    string
	url     string   // what wrk requests
	headers []string // "Name: value" lines sent with every request
	server  *proc    // the process under test: its peak RSS and CPU time (its children's too: nginx's workers)
	also    []*proc  // other servers every request goes through (ssogate behind nginx): their peak RSS and CPU time count too
	extra   []int    // more pids whose CPU time counts (PostgreSQL)
	// forged are credentials a stranger could send (tampered, wrong or
	// none): none of them may reach the upstream.
	forged []forgery
	// setupRSS is the server's peak RSS (KiB) from its start until it was
	// set up and signed in. After the warm-up the peak is reset, so the one
	// read at the end is the peak under load.
	setupRSS int64
}

// forgery is one forged request's headers and, when it matters, the
// status it must get (0: anything but 200).
type forgery struct {
	headers []string
	status  int
}

// pids are the processes whose peak RSS is the scenario's: the server's
// and those of the servers behind it.
func (s *scenario) pids() []int {
	out := []int{s.server.pid()}
	for _, p := range s.also {
		out = append(out, p.pid())
	}
	return out
}

// alice is the one person the local OpenID provider signs in, at once.
var alice = refop.User{Username: "alice", Email: "alice@acmecorp.company", Name: "Alice", Password: "unused", EmailVerified: true}

// setUp starts the upstream and every server the selected scenarios need,
// signs a browser in to each through the local OpenID provider, and
// checks that each path returns the upstream's body and that forged
// credentials do not.
func setUp(ctx context.Context, f *fleet, o options) ([]*scenario, string, error) {
	want, err := selected(o)
	if err != nil {
		return nil, "", err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	up, err := startHelper(ctx, f, self, "upstream", "serve-upstream", countPath)
	if err != nil {
		return nil, "", err
	}
	idp, err := startIdP(f)
	if err != nil {
		return nil, "", err
	}
	var out []*scenario
	add := func(s ...*scenario) {
		for _, sc := range s {
			if want[sc.name] {
				out = append(out, sc)
			}
		}
	}
	if want["bare"] {
		p, err := startHelper(ctx, f, self, "bare-proxy", "serve-proxy", "/", up.url)
		if err != nil {
			return nil, "", err
		}
		add(&scenario{name: "bare", url: p.url + "/", server: p.proc})
	}
	if want["oauth2-proxy"] {
		s, err := startOAuth2Proxy(ctx, f, o, idp, up.url)
		if err != nil {
			return nil, "", err
		}
		add(s)
	}
	if want["ssogate-sqlite-cookie"] || want["ssogate-sqlite-header"] || want["ssogate-sqlite-service-token"] {
		g, err := startSsogate(ctx, f, o, idp, up.url, "ssogate-sqlite", "")
		if err != nil {
			return nil, "", err
		}
		add(g.scenario("ssogate-sqlite-cookie", true), g.scenario("ssogate-sqlite-header", false))
		if want["ssogate-sqlite-service-token"] {
			s, err := g.serviceTokenScenario(ctx, "ssogate-sqlite-service-token")
			if err != nil {
				return nil, "", err
			}
			add(s)
		}
	}
	if want["ssogate-pg-cookie"] {
		dbURL, postmaster, err := startPostgres(ctx, f, o)
		if err != nil {
			return nil, "", err
		}
		g, err := startSsogate(ctx, f, o, idp, up.url, "ssogate-pg", dbURL)
		if err != nil {
			return nil, "", err
		}
		s := g.scenario("ssogate-pg-cookie", true)
		s.extra = []int{postmaster}
		add(s)
	}
	if want["nginx-bare"] {
		s, err := startNginxBare(ctx, f, o, up.url)
		if err != nil {
			return nil, "", err
		}
		add(s)
	}
	var forwardAuth *scenario
	if want["nginx-forward-auth"] {
		s, err := startNginxForwardAuth(ctx, f, o, idp, up.url)
		if err != nil {
			return nil, "", err
		}
		add(s)
		forwardAuth = s
	}
	if want["nginx-auth-null"] {
		s, err := startNginxAuthNull(ctx, f, o, self, up.url, forwardAuth)
		if err != nil {
			return nil, "", err
		}
		add(s)
	}
	if want["nginx-oauth2-proxy"] {
		s, err := startNginxOAuth2Proxy(ctx, f, o, idp, up.url)
		if err != nil {
			return nil, "", err
		}
		add(s)
	}
	if want["caddy-bare"] {
		s, err := startCaddyBare(ctx, f, o, up.url)
		if err != nil {
			return nil, "", err
		}
		add(s)
	}
	var caddyForwardAuth *scenario
	if want["caddy-forward-auth"] {
		s, err := startCaddyForwardAuth(ctx, f, o, idp, up.url)
		if err != nil {
			return nil, "", err
		}
		add(s)
		caddyForwardAuth = s
	}
	if want["caddy-auth-null"] {
		s, err := startCaddyAuthNull(ctx, f, o, self, up.url, caddyForwardAuth)
		if err != nil {
			return nil, "", err
		}
		add(s)
	}
	// In the order of scenarioNames, whatever order they were started in.
	slices.SortStableFunc(out, func(a, b *scenario) int {
		return slices.Index(scenarioNames, a.name) - slices.Index(scenarioNames, b.name)
	})
	for _, s := range out {
		if err := checkScenario(ctx, s, up.url); err != nil {
			return nil, "", err
		}
	}
	for _, s := range out {
		if s.setupRSS, err = peakRSS(s.pids()...); err != nil {
			return nil, "", err
		}
	}
	return out, up.url, nil
}

// selected is the set of scenarios to run.
func selected(o options) (map[string]bool, error) {
	want := map[string]bool{}
	names := scenarioNames
	if o.only != "" {
		names = strings.Split(o.only, ",")
	}
	for _, n := range names {
		if !slices.Contains(scenarioNames, n) {
			return nil, fmt.Errorf("unknown scenario %q; want some of %s", n, strings.Join(scenarioNames, ","))
		}
		want[n] = !(o.noPostgres && n == "ssogate-pg-cookie") && !(o.noNginx && strings.HasPrefix(n, "nginx-")) &&
			!(o.noCaddy && strings.HasPrefix(n, "caddy-"))
	}
	return want, nil
}

// helper is a server process of this binary.
type helper struct {
	*proc
	url string
}

// startHelper runs this binary as the named helper server on a free port
// and waits until readyPath answers.
func startHelper(ctx context.Context, f *fleet, self, name, mode, readyPath string, args ...string) (*helper, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + port
	p, err := f.start(name, nil, append([]string{self, mode, addr}, args...)...)
	if err != nil {
		return nil, err
	}
	h := &helper{proc: p, url: "http://" + addr}
	return h, waitReady(ctx, p, h.url+readyPath)
}

// startIdP serves the repository's reference OpenID provider (authentik
// layout, the one the tests and `ssogate demo` use) in this process. It
// signs alice in without a form; each relying party adds its client.
func startIdP(f *fleet) (*refop.Provider, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	idp, err := refop.New(refop.Config{Issuer: "http://" + ln.Addr().String(), Users: []refop.User{alice}, AutoLogin: alice.Username})
	if err != nil {
		ln.Close()
		return nil, err
	}
	srv := &http.Server{Handler: idp.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	f.cleanups = append(f.cleanups, func() { _ = srv.Close() })
	return idp, nil
}

// browser is a client with a cookie jar that follows redirects like a
// browser; names under .localhost reach localAddr, as browsers send
// *.localhost to loopback.
func browser(localAddr string) *http.Client {
	jar, _ := cookiejar.New(nil)
	tr := &http.Transport{Proxy: nil, DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if h, _, _ := net.SplitHostPort(addr); localAddr != "" && strings.HasSuffix(h, ".localhost") {
			addr = localAddr
		}
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
	return &http.Client{Jar: jar, Transport: tr, Timeout: 30 * time.Second}
}

// probeClient sends one request and does not follow redirects.
var probeClient = &http.Client{
	Transport:     &http.Transport{Proxy: nil},
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// probe sends GET url with the headers ("Host: …" sets the Host) and
// returns the status and body.
func probe(ctx context.Context, url string, headers []string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return 0, "", err
	}
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ": ")
		if strings.EqualFold(name, "Host") {
			req.Host = value
		} else {
			req.Header.Add(name, value)
		}
	}
	resp, err := probeClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(body), err
}

// upstreamCount is how many requests the upstream has served.
func upstreamCount(ctx context.Context, upstreamURL string) (int64, error) {
	status, body, err := probe(ctx, upstreamURL+countPath, nil)
	if err != nil || status != http.StatusOK {
		return 0, fmt.Errorf("upstream counter: %d %v", status, err)
	}
	var n int64
	_, err = fmt.Sscan(body, &n)
	return n, err
}

// checkPath wants the upstream's body through s.
func checkPath(ctx context.Context, s *scenario) error {
	status, body, err := probe(ctx, s.url, s.headers)
	if err != nil || status != http.StatusOK || body != upstreamBody {
		return fmt.Errorf("%s: GET %s answered %d %q (%v), want 200 %q from the upstream", s.name, s.url, status, short(body), err, upstreamBody)
	}
	return nil
}

// checkScenario wants the upstream's body with the valid credential, and
// nothing reaching the upstream with each forged one.
func checkScenario(ctx context.Context, s *scenario, upstreamURL string) error {
	if err := checkPath(ctx, s); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "check %-28s valid credential: 200 %q from the upstream\n", s.name, upstreamBody)
	before, err := upstreamCount(ctx, upstreamURL)
	if err != nil {
		return err
	}
	for _, fg := range s.forged {
		status, body, err := probe(ctx, s.url, fg.headers)
		if err != nil {
			return fmt.Errorf("%s forged %q: %w", s.name, fg.headers, err)
		}
		if status == http.StatusOK || body == upstreamBody || (fg.status != 0 && status != fg.status) {
			want := "anything but 200"
			if fg.status != 0 {
				want = strconv.Itoa(fg.status)
			}
			return fmt.Errorf("%s: a forged credential got %d %q, want %s", s.name, status, short(body), want)
		}
		fmt.Fprintf(os.Stderr, "check %-28s forged credential refused: %d\n", s.name, status)
	}
	after, err := upstreamCount(ctx, upstreamURL)
	if err != nil {
		return err
	}
	if after != before {
		return fmt.Errorf("%s: %d requests with forged credentials reached the upstream", s.name, after-before)
	}
	return nil
}

// short is the start of a body, for messages.
func short(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// signIn follows a browser from u through the login to the upstream.
func signIn(ctx context.Context, c *http.Client, u string) error {
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("sign in at %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK || string(body) != upstreamBody {
		return fmt.Errorf("sign in at %s ended at %s with %d %q", u, resp.Request.URL, resp.StatusCode, short(string(body)))
	}
	return nil
}
