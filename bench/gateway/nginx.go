package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/ssogate/ssogate/internal/idp/refop"
)

// nginxWorkers is nginx's worker_processes in both nginx scenarios: one
// per CPU (2 on the two-core machine of docs/benchmarks.md), as many as
// the Go servers' GOMAXPROCS, so neither kind of proxy is held to fewer
// cores than the other.
var nginxWorkers = runtime.NumCPU()

// nginxProxyServer is a server block on listen (with server_name name,
// when set) whose location / proxies to the upstream group with the
// headers docs/forward-auth.md's location / sets and nothing else. With
// the group "app" it is nginx-bare, the reference for forward auth: the
// nginx scenarios' app servers listen with reuseport, without which the
// kernel may hand most of wrk's 32 connections to one worker and the bare
// nginx's p99 came out several times its forward-auth twin's.
func nginxProxyServer(listen, name, group string) string {
	serverName := ""
	if name != "" {
		serverName = "    server_name " + name + ";\n"
	}
	return "server {\n    listen " + listen + ";\n" + serverName + `    location / {
        proxy_pass http://` + group + `;
        proxy_set_header Connection "";
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Forwarded-Proto $scheme;
    }
}
`
}

// startNginxBare runs nginx in front of the upstream with no auth.
func startNginxBare(ctx context.Context, f *fleet, o options, upstreamURL string) (*scenario, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + port
	p, err := startNginx(ctx, f, o, "nginx-bare", addr, strings.TrimPrefix(upstreamURL, "http://"), "", "",
		nginxProxyServer(addr+" reuseport", "", "app"))
	if err != nil {
		return nil, err
	}
	return &scenario{name: "nginx-bare", url: "http://" + addr + "/", server: p}, nil
}

// startNginxForwardAuth runs nginx with docs/forward-auth.md's block
// protecting the upstream through its own ssogate (behindProxy), and a
// second server block proxying the team domain to that ssogate, as
// forward-auth.md's second block does.
func startNginxForwardAuth(ctx context.Context, f *fleet, o options, idp *refop.Provider, upstreamURL string) (*scenario, error) {
	return behindProxy(ctx, f, o, idp, "nginx-forward-auth", "ssogate-forward-auth", func(port, ssogate string) (*proc, error) {
		addr := "127.0.0.1:" + port
		block, err := forwardAuthBlock(o.forwardAuthDoc, addr)
		if err != nil {
			return nil, err
		}
		team := nginxProxyServer(addr, teamDomain, "ssogate")
		return startNginx(ctx, f, o, "nginx-forward-auth", addr, strings.TrimPrefix(upstreamURL, "http://"), "ssogate", ssogate, block+team)
	})
}

// behindProxy is a forward-auth scenario: an ssogate on SQLite that trusts
// loopback proxies and names the proxy's port in its public URLs, the proxy
// in front of it and the upstream (startProxy, given the proxy's port and
// ssogate's address; the app has no origin_url), and a browser signed in
// through the proxy — app host, the team domain (proxied too), the
// provider, back through the proxy. wrk sends its CF_Authorization cookie
// to the proxy; every request costs the proxy and ssogate both.
func behindProxy(ctx context.Context, f *fleet, o options, idp *refop.Provider, name, ssogateName string,
	startProxy func(port, ssogate string) (*proc, error)) (*scenario, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	g, err := launchSsogate(ctx, f, o, ssogateName, "", "--trusted-proxies", "127.0.0.1/32", "--access-port", port)
	if err != nil {
		return nil, err
	}
	p, err := startProxy(port, g.addr)
	if err != nil {
		return nil, err
	}
	g.public = "127.0.0.1:" + port
	if err := g.setUp(ctx, idp, ssogateName, ""); err != nil {
		return nil, err
	}
	s := g.scenario(name, true)
	s.server, s.also = p, []*proc{g.proc}
	return s, nil
}

// startNginxAuthNull runs the same nginx block as nginx-forward-auth with
// the auth service replaced by authNull, which admits everything at once:
// nginx's subrequest and one keep-alive HTTP exchange with a Go server and
// nothing else. It measures what forward auth over HTTP costs before any
// check, so nginx-forward-auth against it is the cost of ssogate's check,
// and it against nginx-bare is the best any auth service nginx asks could
// reach. wrk sends what it sends to nginx-forward-auth (the same cookie,
// which nginx copies into the subrequest), or a filler of a token's length
// when that scenario is not run.
func startNginxAuthNull(ctx context.Context, f *fleet, o options, self, upstreamURL string, like *scenario) (*scenario, error) {
	auth, err := startHelper(ctx, f, self, "auth-null", "serve-auth-null", "/")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + port
	block, err := forwardAuthBlock(o.forwardAuthDoc, addr)
	if err != nil {
		return nil, err
	}
	p, err := startNginx(ctx, f, o, "nginx-auth-null", addr, strings.TrimPrefix(upstreamURL, "http://"), "ssogate",
		strings.TrimPrefix(auth.url, "http://"), block)
	if err != nil {
		return nil, err
	}
	return &scenario{name: "nginx-auth-null", url: "http://" + addr + "/", headers: nullAuthHeaders(port, like), server: p, also: []*proc{auth.proc}}, nil
}

// nullAuthHeaders is what wrk sends to a proxy on port asking authNull:
// the app's Host and what it sends to the forward-auth scenario like (the
// proxy copies the cookie into its subrequest, so the exchange carries the
// same bytes), or a cookie of a token's length when like is not run.
func nullAuthHeaders(port string, like *scenario) []string {
	host := "Host: " + appHost + ":" + port
	if like == nil {
		return []string{host, "Cookie: CF_Authorization=" + strings.Repeat("x", 900)}
	}
	return append([]string{host}, like.headers[1:]...)
}

// nginxOAuth2Proxy is oauth2-proxy's documented nginx configuration
// (auth_request to /oauth2/auth, error_page 401 to its sign-in, the
// X-Auth-Request-* identity copied upstream) around the same location / as
// nginx-bare's: the forward-auth setup people run today, against which
// ssogate's forward auth is measured as its gateway is against
// oauth2-proxy's proxy. Upstream groups keep connections open, as in the
// other nginx scenarios.
const nginxOAuth2Proxy = `server {
    listen LISTEN;
    location /oauth2/ {
        proxy_pass http://oauth2proxy;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Auth-Request-Redirect $request_uri;
    }
    location = /oauth2/auth {
        proxy_pass http://oauth2proxy;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-Uri $request_uri;
        proxy_set_header Content-Length "";
        proxy_pass_request_body off;
    }
    location / {
        auth_request /oauth2/auth;
        error_page 401 = /oauth2/sign_in;
        auth_request_set $user $upstream_http_x_auth_request_user;
        auth_request_set $email $upstream_http_x_auth_request_email;
        proxy_set_header X-User $user;
        proxy_set_header X-Email $email;
        proxy_pass http://app;
        proxy_set_header Connection "";
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Forwarded-Proto $scheme;
    }
}
`

// startNginxOAuth2Proxy runs oauth2-proxy as an auth service only (a
// static 202 upstream, X-Auth-Request-* headers on) and nginx with
// nginxOAuth2Proxy in front of the upstream; a browser signs in through
// nginx, and wrk sends oauth2-proxy's session cookie to nginx.
func startNginxOAuth2Proxy(ctx context.Context, f *fleet, o options, idp *refop.Provider, upstreamURL string) (*scenario, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + port
	auth, err := runOAuth2Proxy(ctx, f, o, idp, "oauth2-proxy-auth", "http://"+addr, "static://202", "--set-xauthrequest")
	if err != nil {
		return nil, err
	}
	p, err := startNginx(ctx, f, o, "nginx-oauth2-proxy", addr, strings.TrimPrefix(upstreamURL, "http://"), "oauth2proxy",
		strings.TrimPrefix(auth.base, "http://"), strings.Replace(nginxOAuth2Proxy, "LISTEN", addr+" reuseport", 1))
	if err != nil {
		return nil, err
	}
	cookie, err := oauth2ProxySession(ctx, "http://"+addr)
	if err != nil {
		return nil, fmt.Errorf("nginx-oauth2-proxy: %w", err)
	}
	return &scenario{
		name:    "nginx-oauth2-proxy",
		url:     "http://" + addr + "/",
		headers: []string{cookie},
		server:  p,
		also:    []*proc{auth.proc},
		forged:  []forgery{{}, {headers: []string{tamperMiddle(cookie)}}, {headers: []string{tamperSignature(cookie)}}},
	}, nil
}

var nginxBlockRE = regexp.MustCompile("(?s)```nginx\n(.*?)```")

// forwardAuthBlock is docs/forward-auth.md's nginx server block (the one
// TestForwardAuthNginx runs) for appHost on addr, its two backends
// replaced by the keepalive upstream groups "ssogate" and "app",
// `proxy_set_header Connection ""` added after every proxy_pass so nginx
// keeps its upstream connections open (with HTTP/1.1, set for the whole
// http block), and reuseport on its listen. Nothing else of the block
// changes.
func forwardAuthBlock(doc, addr string) (string, error) {
	b, err := os.ReadFile(doc)
	if err != nil {
		return "", err
	}
	m := nginxBlockRE.FindSubmatch(b)
	if m == nil {
		return "", fmt.Errorf("%s has no nginx block", doc)
	}
	block := strings.NewReplacer("listen 80;", "listen "+addr+" reuseport;", "app.example.com", appHost,
		"http://127.0.0.1:8080", "http://ssogate", "http://127.0.0.1:3000", "http://app").Replace(string(m[1]))
	var out strings.Builder
	for _, line := range strings.SplitAfter(block, "\n") {
		out.WriteString(line)
		if t := strings.TrimSpace(line); strings.HasPrefix(t, "proxy_pass ") {
			indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
			out.WriteString(indent + "proxy_set_header Connection \"\";\n")
		}
	}
	block = out.String()
	for _, want := range []string{"auth_request /", "http://ssogate/cdn-cgi/access/forward-auth/nginx", "proxy_pass http://app;", "listen " + addr} {
		if !strings.Contains(block, want) {
			return "", fmt.Errorf("%s's nginx block changed: no %q after substituting the addresses", doc, want)
		}
	}
	if strings.Contains(block, "127.0.0.1:8080") || strings.Contains(block, "127.0.0.1:3000") {
		return "", fmt.Errorf("%s's nginx block names an address the harness does not substitute", doc)
	}
	return block, nil
}

// startNginx runs nginx (master process and nginxWorkers workers, in the
// foreground, its files in a directory of its own) with servers in its
// http block and the upstream groups "app" (the Go upstream) and, when
// authAddr is set, authGroup (the auth service), each keeping up to 64
// idle connections.
func startNginx(ctx context.Context, f *fleet, o options, name, addr, upstream, authGroup, authAddr, servers string) (*proc, error) {
	if o.nginx == "" {
		return nil, fmt.Errorf("%s: no nginx (install Debian's with apt-get install -y nginx, name one with -nginx, or leave the nginx scenarios out with -no-nginx)", name)
	}
	dir := filepath.Join(f.work, name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	groups := "upstream app { server " + upstream + "; keepalive 64; }\n"
	if authAddr != "" {
		groups += "upstream " + authGroup + " { server " + authAddr + "; keepalive 64; }\n"
	}
	conf := fmt.Sprintf(`daemon off;
master_process on;
worker_processes %d;
pid %[2]s/nginx.pid;
error_log %[2]s/error.log warn;
events { worker_connections 1024; }
http {
access_log off;
client_body_temp_path %[2]s/body;
proxy_temp_path %[2]s/proxy;
fastcgi_temp_path %[2]s/fcgi;
uwsgi_temp_path %[2]s/uwsgi;
scgi_temp_path %[2]s/scgi;
proxy_http_version 1.1;
%s
%s}
`, nginxWorkers, dir, groups, servers)
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		return nil, err
	}
	if out, err := exec.CommandContext(ctx, o.nginx, "-t", "-q", "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", path).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%s: nginx -t: %v: %s", name, err, out)
	}
	p, err := f.start(name, nil, o.nginx, "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", path)
	if err != nil {
		return nil, err
	}
	return p, waitListening(ctx, p, addr, filepath.Join(dir, "error.log"))
}

// waitListening waits up to 20 s for a server to accept connections on
// addr.
func waitListening(ctx context.Context, p *proc, addr, errorLog string) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	for {
		if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			conn.Close()
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before it listened:\n%s\n%s", p.name, tail(p.log, 15), tail(errorLog, 15))
		case <-ctx.Done():
			return fmt.Errorf("%s not listening on %s: %w\n%s", p.name, addr, ctx.Err(), tail(errorLog, 15))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// nginxVersion is what nginx -v prints, or "(none)".
func nginxVersion(bin string) string {
	if bin == "" {
		return "(none)"
	}
	out, _ := exec.Command(bin, "-v").CombinedOutput()
	return strings.TrimPrefix(strings.TrimSpace(string(out)), "nginx version: ")
}
