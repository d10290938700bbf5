package main

import (
	"context"
	"debug/buildinfo"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"

	"github.com/ssogate/ssogate/internal/idp/refop"
)

// The Caddy scenarios repeat the nginx ones with Caddy v2 (issue 10 asks
// for forward auth "through nginx or Caddy vs the same proxy with no
// auth"): Caddy is a Go server, so where nginx's own share of a request is
// small and the subrequest doubles it, Caddy's is larger and the
// subrequest adds relatively less.

// caddyGlobal is the Caddyfile's global block: no admin endpoint, no
// automatic HTTPS (everything is plain HTTP on loopback), no saved config.
const caddyGlobal = "{\n\tadmin off\n\tauto_https off\n\tpersist_config off\n}\n"

// startCaddyBare runs Caddy proxying the app host to the upstream with
// no auth: `reverse_proxy` and nothing else.
func startCaddyBare(ctx context.Context, f *fleet, o options, upstreamURL string) (*scenario, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	site := "http://" + appHost + ":" + port + " {\n\treverse_proxy " + strings.TrimPrefix(upstreamURL, "http://") + "\n}\n"
	p, err := startCaddy(ctx, f, o, "caddy-bare", port, site)
	if err != nil {
		return nil, err
	}
	return &scenario{name: "caddy-bare", url: "http://127.0.0.1:" + port + "/", headers: []string{"Host: " + appHost + ":" + port}, server: p}, nil
}

// startCaddyForwardAuth runs Caddy with docs/forward-auth.md's site block
// protecting the upstream through its own ssogate (behindProxy), plus a
// site proxying the team domain to that ssogate, as TestForwardAuthCaddy
// does.
func startCaddyForwardAuth(ctx context.Context, f *fleet, o options, idp *refop.Provider, upstreamURL string) (*scenario, error) {
	return behindProxy(ctx, f, o, idp, "caddy-forward-auth", "ssogate-caddy", func(port, ssogate string) (*proc, error) {
		block, err := caddyForwardAuthBlock(o.forwardAuthDoc, port, ssogate, strings.TrimPrefix(upstreamURL, "http://"))
		if err != nil {
			return nil, err
		}
		team := "http://" + teamDomain + ":" + port + " {\n\treverse_proxy " + ssogate + "\n}\n"
		return startCaddy(ctx, f, o, "caddy-forward-auth", port, block+team)
	})
}

// startCaddyAuthNull runs the same site block as caddy-forward-auth with
// its auth service replaced by authNull: Caddy's forward_auth round trip
// and nothing else, the ceiling any auth service Caddy asks can reach.
// wrk sends what it sends to caddy-forward-auth, or a filler of a token's
// length when that scenario is not run.
func startCaddyAuthNull(ctx context.Context, f *fleet, o options, self, upstreamURL string, like *scenario) (*scenario, error) {
	auth, err := startHelper(ctx, f, self, "caddy-auth-null-service", "serve-auth-null", "/")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	block, err := caddyForwardAuthBlock(o.forwardAuthDoc, port, strings.TrimPrefix(auth.url, "http://"), strings.TrimPrefix(upstreamURL, "http://"))
	if err != nil {
		return nil, err
	}
	p, err := startCaddy(ctx, f, o, "caddy-auth-null", port, block)
	if err != nil {
		return nil, err
	}
	return &scenario{name: "caddy-auth-null", url: "http://127.0.0.1:" + port + "/", headers: nullAuthHeaders(port, like), server: p, also: []*proc{auth.proc}}, nil
}

var caddyBlockRE = regexp.MustCompile("(?s)```caddy\n(.*?)```")

// caddyForwardAuthBlock is docs/forward-auth.md's Caddy site block (the one
// TestForwardAuthCaddy runs) for appHost on port, its two backends
// replaced by authAddr and appAddr. Nothing else of the block changes.
func caddyForwardAuthBlock(doc, port, authAddr, appAddr string) (string, error) {
	b, err := os.ReadFile(doc)
	if err != nil {
		return "", err
	}
	m := caddyBlockRE.FindSubmatch(b)
	if m == nil {
		return "", fmt.Errorf("%s has no caddy block", doc)
	}
	block := strings.NewReplacer("app.example.com {", "http://"+appHost+":"+port+" {",
		"127.0.0.1:8080", authAddr, "127.0.0.1:3000", appAddr).Replace(string(m[1]))
	for _, want := range []string{"forward_auth " + authAddr, "/cdn-cgi/access/forward-auth/caddy", "reverse_proxy " + appAddr, "http://" + appHost + ":" + port + " {"} {
		if !strings.Contains(block, want) {
			return "", fmt.Errorf("%s's caddy block changed: no %q after substituting the addresses", doc, want)
		}
	}
	return block, nil
}

// startCaddy runs Caddy with sites (Caddyfile syntax) after caddyGlobal,
// its state in a directory of its own, and waits until it listens on
// 127.0.0.1:port.
func startCaddy(ctx context.Context, f *fleet, o options, name, port, sites string) (*proc, error) {
	if o.caddy == "" {
		return nil, fmt.Errorf("%s: no caddy (bench/gateway.sh builds v2.11.9; name one with -caddy, or leave the Caddy scenarios out with -no-caddy)", name)
	}
	dir := filepath.Join(f.work, name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(path, []byte(caddyGlobal+sites), 0o600); err != nil {
		return nil, err
	}
	env := []string{"HOME=" + dir, "XDG_DATA_HOME=" + dir, "XDG_CONFIG_HOME=" + dir}
	p, err := f.start(name, env, o.caddy, "run", "--config", path, "--adapter", "caddyfile")
	if err != nil {
		return nil, err
	}
	return p, waitListening(ctx, p, "127.0.0.1:"+port, p.log)
}

// caddyVersion is the Caddy module's version in the binary's build
// information (a go install'ed caddy's own "caddy version" says
// "unknown"), or "(none)".
func caddyVersion(bin string) string {
	if bin == "" {
		return "(none)"
	}
	bi, err := buildinfo.ReadFile(bin)
	if err != nil {
		return "(unknown)"
	}
	// go install'ed, Caddy is the main module; built by xcaddy, a dependency.
	for _, m := range append([]*debug.Module{&bi.Main}, bi.Deps...) {
		if m.Path == "github.com/caddyserver/caddy/v2" {
			return m.Version + " (" + bi.GoVersion + ")"
		}
	}
	return "(unknown)"
}
