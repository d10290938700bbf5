package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ssogate/ssogate/internal/idp/refop"
)

// The application every ssogate instance protects, and its team.
const (
	appHost    = "app.localhost"
	team       = "acme"
	teamDomain = team + ".access.localhost" // serve's default --access-domain
)

// gateway is one running ssogate with a signed-in browser's app token.
type gateway struct {
	proc   *proc
	addr   string // 127.0.0.1:port, where it listens
	public string // 127.0.0.1:port where browsers reach its hosts: addr, or the proxy in front of it
	api    *apiClient
	access access
	token  string // CF_Authorization for appHost
}

// access is what configureAccess created.
type access struct {
	account, app, policy string // ids
}

// startSsogate runs the ssogate binary with serve (SQLite in its data
// directory, or dbURL) and sets it up as the application's reverse proxy
// (setUp).
func startSsogate(ctx context.Context, f *fleet, o options, idp *refop.Provider, upstreamURL, name, dbURL string) (*gateway, error) {
	g, err := launchSsogate(ctx, f, o, name, dbURL)
	if err != nil {
		return nil, err
	}
	g.public = g.addr
	return g, g.setUp(ctx, idp, name, upstreamURL)
}

// launchSsogate runs the ssogate binary with serve and args, its API
// reachable with a generated bootstrap token, and waits until it is
// ready.
func launchSsogate(ctx context.Context, f *fleet, o options, name, dbURL string, args ...string) (*gateway, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	g := &gateway{addr: "127.0.0.1:" + port}
	apiToken, secretKey := randomString(30), base64.StdEncoding.EncodeToString(randomBytes(32))
	argv := []string{o.ssogate, "serve", "--listen", g.addr, "--data-dir", filepath.Join(f.work, name), "--log-level", "warn",
		"--access-log=" + strconv.FormatBool(o.requestLogs)}
	if dbURL != "" {
		argv = append(argv, "--database-url", dbURL)
	}
	g.proc, err = f.start(name, []string{"SSOGATE_BOOTSTRAP_TOKEN=" + apiToken, "SSOGATE_SECRET_KEY=" + secretKey}, append(argv, args...)...)
	if err != nil {
		return nil, err
	}
	g.api = &apiClient{base: "http://" + g.addr + "/client/v4", token: apiToken}
	return g, waitReady(ctx, g.proc, "http://"+g.addr+"/readyz")
}

// setUp configures Access through the v4 API with the bootstrap token as
// an administrator would — organization, the local OpenID provider, an
// allow policy, a self-hosted app (whose origin is originURL, or none
// behind a forward-auth proxy) — and signs a browser in to the app
// through g.public.
func (g *gateway) setUp(ctx context.Context, idp *refop.Provider, name, originURL string) error {
	port := g.public[strings.LastIndexByte(g.public, ':')+1:]
	teamURL := "http://" + teamDomain + ":" + port
	secret := randomString(30)
	if err := idp.AddClient(refop.Client{ID: name, Secret: secret, RedirectURIs: []string{teamURL + "/cdn-cgi/access/callback"}}); err != nil {
		return err
	}
	var err error
	if g.access, err = configureAccess(ctx, g.api, name, secret, idp.IssuerURL(), originURL); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	c := browser(g.public)
	appURL := "http://" + appHost + ":" + port + "/"
	if err := signIn(ctx, c, appURL); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	u, _ := url.Parse(appURL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "CF_Authorization" {
			g.token = ck.Value
		}
	}
	if g.token == "" {
		return fmt.Errorf("%s: no CF_Authorization cookie for %s after the login", name, appHost)
	}
	return nil
}

// configureAccess is the README's setup for a self-hosted application,
// with Instant Auth so a visit goes straight to the IdP; without
// originURL, docs/forward-auth.md's (the proxy reaches the application).
func configureAccess(ctx context.Context, api *apiClient, clientID, secret, issuer, originURL string) (access, error) {
	var accounts []struct{ ID string }
	if err := api.do(ctx, "GET", "/accounts", nil, &accounts); err != nil || len(accounts) == 0 {
		return access{}, fmt.Errorf("list accounts: %d found, %v", len(accounts), err)
	}
	acct := "/accounts/" + accounts[0].ID
	if err := api.do(ctx, "POST", acct+"/access/organizations", map[string]any{"name": "Acme", "auth_domain": team}, nil); err != nil {
		return access{}, err
	}
	var idp, policy, app struct{ ID string }
	err := api.do(ctx, "POST", acct+"/access/identity_providers", map[string]any{"name": "local OP", "type": "oidc",
		"config": map[string]any{"client_id": clientID, "client_secret": secret, "issuer_url": issuer, "pkce_enabled": true}}, &idp)
	if err != nil {
		return access{}, err
	}
	err = api.do(ctx, "POST", acct+"/access/policies", map[string]any{"name": "Acme staff", "decision": "allow",
		"include": []any{map[string]any{"email_domain": map[string]any{"domain": "acmecorp.company"}}}}, &policy)
	if err != nil {
		return access{}, err
	}
	body := map[string]any{"type": "self_hosted", "name": "Bench", "domain": appHost,
		"policies": []string{policy.ID}, "allowed_idps": []string{idp.ID}, "auto_redirect_to_identity": true}
	if originURL != "" {
		body["origin_url"] = originURL
	}
	if err := api.do(ctx, "POST", acct+"/access/apps", body, &app); err != nil {
		return access{}, err
	}
	return access{account: accounts[0].ID, app: app.ID, policy: policy.ID}, nil
}

// scenario is a wrk scenario against this gateway (at g.public): the app
// token as the CF_Authorization cookie (a browser) or the cf-access-token
// header (a non-browser client).
func (g *gateway) scenario(name string, cookie bool) *scenario {
	port := g.public[strings.LastIndexByte(g.public, ':')+1:]
	host := "Host: " + appHost + ":" + port
	cred := func(token string) string {
		if cookie {
			return "Cookie: CF_Authorization=" + token
		}
		return "cf-access-token: " + token
	}
	return &scenario{
		name:    name,
		url:     "http://" + g.public + "/",
		headers: []string{host, cred(g.token)},
		server:  g.proc,
		forged: []forgery{
			{headers: []string{host}},
			{headers: []string{host, cred(tamperJWTClaims(g.token))}},
			{headers: []string{host, cred(tamperSignature(g.token))}},
		},
	}
}

// serviceTokenScenario creates a service token and a Service Auth
// (non_identity) policy admitting it, adds the policy to the app next to
// the allow policy, and returns a scenario that sends the token's
// CF-Access-Client-Id and CF-Access-Client-Secret on every request and no
// cookie, as a CI job would. The forged ones: no credential, a wrong
// secret and an unknown client id (both must get 401).
func (g *gateway) serviceTokenScenario(ctx context.Context, name string) (*scenario, error) {
	acct := "/accounts/" + g.access.account + "/access"
	var tok struct {
		ID           string `json:"id"`
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if err := g.api.do(ctx, "POST", acct+"/service_tokens", map[string]any{"name": "bench"}, &tok); err != nil {
		return nil, err
	}
	if tok.ClientID == "" || tok.ClientSecret == "" {
		return nil, fmt.Errorf("%s: the new service token has no client_id or client_secret", name)
	}
	var policy struct{ ID string }
	err := g.api.do(ctx, "POST", acct+"/policies", map[string]any{"name": "Bench machines", "decision": "non_identity",
		"include": []any{map[string]any{"service_token": map[string]any{"token_id": tok.ID}}}}, &policy)
	if err != nil {
		return nil, err
	}
	err = g.api.do(ctx, "PUT", acct+"/apps/"+g.access.app, map[string]any{"policies": []string{g.access.policy, policy.ID}}, nil)
	if err != nil {
		return nil, err
	}
	port := g.public[strings.LastIndexByte(g.public, ':')+1:]
	host := "Host: " + appHost + ":" + port
	id, secret := "CF-Access-Client-Id: "+tok.ClientID, "CF-Access-Client-Secret: "
	return &scenario{
		name:    name,
		url:     "http://" + g.public + "/",
		headers: []string{host, id, secret + tok.ClientSecret},
		server:  g.proc,
		forged: []forgery{
			{headers: []string{host}},
			{headers: []string{host, id, secret + tamperSignature(tok.ClientSecret)}, status: http.StatusUnauthorized},
			{headers: []string{host, "CF-Access-Client-Id: 0123456789abcdef0123456789abcdef.access", secret + tok.ClientSecret}, status: http.StatusUnauthorized},
		},
	}, nil
}

// tamperJWTClaims keeps the signature and puts mallory's address in the
// claims, as someone editing a stolen token would.
func tamperJWTClaims(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return token + "x"
	}
	claims, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return token + "x"
	}
	claims = bytes.ReplaceAll(claims, []byte(alice.Email), []byte("mallory@evil.example"))
	parts[1] = base64.RawURLEncoding.EncodeToString(claims)
	return strings.Join(parts, ".")
}

// tamperSignature changes a character near the end of the credential,
// inside a JWT's signature or oauth2-proxy's HMAC. Not the last one:
// base64's last character carries spare bits, and a decoder that ignores
// them reads the same signature.
func tamperSignature(s string) string {
	i := len(s) - 10
	repl := byte('A')
	if s[i] == 'A' {
		repl = 'B'
	}
	return s[:i] + string(repl) + s[i+1:]
}

// apiClient calls ssogate's v4 API with a bearer token.
type apiClient struct {
	base, token string
}

// do sends body as JSON and decodes the envelope's result into out.
func (a *apiClient) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := probeClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var env struct {
		Success bool            `json:"success"`
		Result  json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(raw, &env); err != nil || !env.Success {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, short(string(raw)))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(env.Result, out)
}

// randomString is n random bytes as unpadded base64url (4/3 n characters).
func randomString(n int) string { return base64.RawURLEncoding.EncodeToString(randomBytes(n)) }

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// startPostgres starts a throwaway PostgreSQL with the repository's
// script, and stops it and removes its files at cleanup. The cluster's
// directory is also written to work/pgdir, so bench/gateway.sh can stop
// it should this process be killed. It returns the database URL and the
// postmaster's pid (its backends' CPU time counts for the scenario).
func startPostgres(ctx context.Context, f *fleet, o options) (string, int, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "bash", o.pgScript)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	dir := lines[len(lines)-1]
	if strings.HasPrefix(dir, "/tmp/ssogate-pg.") {
		_ = os.WriteFile(filepath.Join(f.work, "pgdir"), []byte(dir), 0o600)
		f.cleanups = append(f.cleanups, func() {
			_ = exec.Command("bash", o.pgScript, "stop", dir).Run()
			_ = os.Remove(filepath.Join(f.work, "pgdir"))
		})
	}
	if err != nil {
		return "", 0, fmt.Errorf("throwaway PostgreSQL: %v: %s", err, stderr.String())
	}
	pidFile, err := os.ReadFile(filepath.Join(dir, "data", "postmaster.pid"))
	if err != nil {
		return "", 0, err
	}
	pid, err := strconv.Atoi(strings.SplitN(string(pidFile), "\n", 2)[0])
	if err != nil {
		return "", 0, fmt.Errorf("postmaster.pid: %w", err)
	}
	return strings.TrimSpace(stdout.String()), pid, nil
}
