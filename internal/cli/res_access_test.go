package cli_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/cli"
)

var uuidIn = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// runStdin runs the CLI with stdin as its standard input.
func runStdin(t *testing.T, want int, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	code := cli.Main(ctx, args, &cli.Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut,
		Getenv: func(k string) string { return env[k] }})
	if code != want {
		t.Fatalf("ssogate %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, out.String(), errOut.String())
	}
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// lastBody is the JSON body of the last request to a path ending in suffix.
func (ts *testServer) lastBody(t *testing.T, suffix string) map[string]any {
	t.Helper()
	seen := ts.seen()
	for i := len(seen) - 1; i >= 0; i-- {
		if strings.HasSuffix(seen[i].path, suffix) && len(seen[i].body) > 0 {
			var m map[string]any
			if err := json.Unmarshal(seen[i].body, &m); err != nil {
				t.Fatalf("body to %s is not JSON: %v", suffix, err)
			}
			return m
		}
	}
	t.Fatalf("no request with a body to …%s", suffix)
	return nil
}

func TestAccessOrgAndKeys(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	env := ts.env()

	contains(t, "org get before set", must(t, 1, env, "access", "org", "get").stderr, "HTTP 404", "no Access organization yet")
	r := must(t, 0, env, "access", "org", "set", "--name", "Acme", "--auth-domain", "acme", "--session-duration", "12h")
	contains(t, "org set", r.stdout, "Updated the Access organization.", "name:", "Acme", "team domain:", "acme.access.localhost", "12h")
	if body := ts.lastBody(t, "/access/organizations"); len(body) != 3 {
		t.Errorf("org set sent %v, want only the three settings given", body)
	}
	must(t, 0, env, "access", "org", "set", "--auto-redirect-to-identity")
	org := decode[map[string]any](t, must(t, 0, env, "access", "org", "get", "--json").stdout)
	if org["name"] != "Acme" || org["auth_domain"] != "acme.access.localhost" || org["auto_redirect_to_identity"] != true ||
		org["session_duration"] != "12h" {
		t.Errorf("org get --json = %v", org)
	}
	if got := must(t, 0, env, "access", "org", "get", "--field", "auth_domain").stdout; got != "acme.access.localhost\n" {
		t.Errorf("org get --field auth_domain = %q", got)
	}
	contains(t, "org set refused", must(t, 1, env, "access", "org", "set", "--session-duration", "1s").stderr,
		"HTTP 400", "session_duration")

	r = must(t, 0, env, "access", "keys", "rotate")
	contains(t, "keys rotate", r.stdout, "Rotated the Access signing key", "last rotation:", "rotation interval (days):")
	first := decode[map[string]any](t, must(t, 0, env, "access", "keys", "rotate", "--json").stdout)
	if _, ok := first["last_key_rotation_at"]; !ok {
		t.Errorf("keys rotate --json = %v", first)
	}
}

// selfSignedPEM is a throwaway certificate, as an IdP's signing
// certificate would be given.
func selfSignedPEM(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "idp.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// discoveryServer serves an OpenID discovery document, enough for the
// server to fill an identity provider's endpoints from its issuer.
func discoveryServer(t *testing.T) string {
	t.Helper()
	var issuer string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/openid-configuration" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"issuer":%q,"authorization_endpoint":"%s/authorize","token_endpoint":"%s/token","jwks_uri":"%s/jwks"}`,
			issuer, issuer, issuer, issuer)
	}))
	t.Cleanup(srv.Close)
	issuer = srv.URL
	return issuer
}

func TestAccessIdPs(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	env := ts.env()
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	certFile := filepath.Join(dir, "idp.pem")
	if err := os.WriteFile(secretFile, []byte("s3cret-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, []byte(selfSignedPEM(t)), 0o600); err != nil {
		t.Fatal(err)
	}
	contains(t, "empty list", must(t, 0, env, "access", "idp", "list").stdout, "No identity providers")

	r := must(t, 0, env, "access", "idp", "add-oidc", "--name", "authentik", "--client-id", "ssogate",
		"--client-secret-file", secretFile, "--auth-url", "https://idp.example/authorize",
		"--token-url", "https://idp.example/token", "--certs-url", "https://idp.example/jwks", "--scopes", "openid,email")
	oidc := uuidIn.FindString(r.stdout)
	contains(t, "add-oidc", r.stdout, "Added identity provider "+oidc, "client id:", "https://idp.example/token")
	body := ts.lastBody(t, "/identity_providers")
	cfg, _ := body["config"].(map[string]any)
	if cfg["client_secret"] != "s3cret-from-file" || cfg["issuer_url"] != nil || body["type"] != "oidc" {
		t.Errorf("add-oidc sent %v, want the secret from the file and no issuer_url", body)
	}
	if strings.Contains(r.stdout, "s3cret") {
		t.Errorf("add-oidc printed the secret:\n%s", r.stdout)
	}

	// --issuer (ssogate only): the server discovers the endpoints. The
	// secret comes from standard input.
	issuer := discoveryServer(t)
	r = runStdin(t, 0, env, "from-stdin\n", "access", "idp", "add-oidc", "--name", "discovered", "--client-id", "x",
		"--client-secret-file", "-", "--issuer", issuer)
	contains(t, "add-oidc --issuer", r.stdout, "issuer:", issuer, "auth url:", issuer+"/authorize")
	if cfg, _ := ts.lastBody(t, "/identity_providers")["config"].(map[string]any); cfg["client_secret"] != "from-stdin" || cfg["issuer_url"] != issuer {
		t.Errorf("add-oidc --issuer sent config %v", cfg)
	}

	saml := decode[struct {
		ID     string
		Config struct {
			IssuerURL string   `json:"issuer_url"`
			Certs     []string `json:"idp_public_certs"`
			Attrs     []string `json:"attributes"`
		}
	}](t, must(t, 0, env, "access", "idp", "add-saml", "--name", "corp SAML", "--sso-target-url", "https://saml.example/sso",
		"--issuer-url", "https://saml.example/metadata", "--idp-public-cert-file", certFile, "--attribute", "groups", "--json").stdout)
	if saml.ID == "" || saml.Config.IssuerURL != "https://saml.example/metadata" || len(saml.Config.Certs) != 1 ||
		strings.Contains(saml.Config.Certs[0], "BEGIN") || len(saml.Config.Attrs) != 1 {
		t.Errorf("add-saml --json = %+v, want the certificate as its base64 body", saml)
	}

	r = must(t, 0, env, "access", "idp", "list")
	for _, want := range []string{`(?m)^ID\s+NAME\s+TYPE$`, `(?m)^` + oidc + `\s+authentik\s+oidc$`, `(?m)^` + saml.ID + `\s+corp SAML\s+saml$`} {
		if !regexp.MustCompile(want).MatchString(r.stdout) {
			t.Errorf("idp list does not match %s:\n%s", want, r.stdout)
		}
	}

	contains(t, "add-oidc refused", must(t, 1, env, "access", "idp", "add-oidc", "--name", "bad", "--client-id", "x",
		"--client-secret-file", secretFile, "--auth-url", "https://a.example/", "--token-url", "https://a.example/t",
		"--certs-url", "https://a.example/j", "--scopes", "email").stderr, "HTTP 400", "openid")

	r = must(t, 0, env, "access", "idp", "delete", oidc)
	if r.stdout != "Deleted identity provider "+oidc+".\n" {
		t.Errorf("idp delete printed %q", r.stdout)
	}
	contains(t, "delete again", must(t, 1, env, "access", "idp", "delete", oidc).stderr, "HTTP 404")
	if n := len(decode[[]any](t, must(t, 0, env, "access", "idp", "list", "--json").stdout)); n != 2 {
		t.Errorf("idp list --json has %d, want 2 after the delete", n)
	}
}

func TestAccessAppsAndPolicies(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	env := ts.env()
	contains(t, "empty", must(t, 0, env, "access", "policy", "list").stdout, "No reusable Access policies")

	r := must(t, 0, env, "access", "policy", "add", "--name", "Employees", "--decision", "allow",
		"--include", "email_domain=acmecorp.company", "--include", "email=kim@partner.example",
		"--exclude", "email=lee@acmecorp.company", "--require", "ip=192.0.2.0/24")
	pol := uuidIn.FindString(r.stdout)
	contains(t, "policy add", r.stdout, "Added Access policy "+pol, "decision:", "allow",
		"include:", "email_domain=acmecorp.company, email=kim@partner.example", "exclude:", "email=lee@acmecorp.company",
		"require:", "ip=192.0.2.0/24")
	if body := ts.lastBody(t, "/access/policies"); fmt.Sprint(body["include"]) != "[map[email_domain:map[domain:acmecorp.company]] map[email:map[email:kim@partner.example]]]" {
		t.Errorf("policy add sent include %v", body["include"])
	}
	svc := decode[struct{ ID, Decision string }](t, must(t, 0, env, "access", "policy", "add", "--name", "CI", "--decision", "non_identity",
		"--include", "any_valid_service_token", "--json").stdout)
	if svc.Decision != "non_identity" {
		t.Errorf("policy add --json = %+v", svc)
	}
	contains(t, "refused rule", must(t, 1, env, "access", "policy", "add", "--name", "x", "--decision", "bypass",
		"--include", "email=kim@acmecorp.company").stderr, "HTTP 400", "include[0]")

	r = must(t, 0, env, "access", "app", "add", "--name", "Grafana", "--domain", "grafana.acmecorp.company",
		"--policy", pol, "--policy", svc.ID, "--session-duration", "8h")
	app := uuidIn.FindString(r.stdout)
	contains(t, "app add", r.stdout, "Added Access application "+app, "grafana.acmecorp.company", "AUD tag:", "8h", "Employees, CI")
	if _, ok := ts.lastBody(t, "/access/apps")["origin_url"]; ok {
		t.Error("app add sent origin_url without --origin-url")
	}
	withOrigin := decode[map[string]any](t, must(t, 0, env, "access", "app", "add", "--name", "Wiki", "--domain", "wiki.acmecorp.company",
		"--origin-url", "http://127.0.0.1:3000", "--json").stdout)
	if withOrigin["origin_url"] != "http://127.0.0.1:3000" || withOrigin["type"] != "self_hosted" {
		t.Errorf("app add --origin-url --json = %v", withOrigin)
	}
	contains(t, "same domain", must(t, 1, env, "access", "app", "add", "--name", "Again", "--domain", "grafana.acmecorp.company").stderr,
		"HTTP 400", "already protects grafana.acmecorp.company")

	r = must(t, 0, env, "access", "app", "list")
	if !regexp.MustCompile(`(?m)^` + app + `\s+Grafana\s+self_hosted\s+grafana.acmecorp.company\s+Employees, CI$`).MatchString(r.stdout) {
		t.Errorf("app list:\n%s", r.stdout)
	}
	r = must(t, 0, env, "access", "policy", "list")
	if !regexp.MustCompile(`(?m)^` + pol + `\s+Employees\s+allow\s+1\s+email_domain=acmecorp.company, email=kim@partner.example$`).MatchString(r.stdout) {
		t.Errorf("policy list:\n%s", r.stdout)
	}

	r = must(t, 0, env, "access", "app", "delete", app)
	if r.stdout != "Deleted Access application "+app+".\n" {
		t.Errorf("app delete printed %q", r.stdout)
	}
	must(t, 0, env, "access", "policy", "delete", pol)
	contains(t, "policy delete again", must(t, 1, env, "access", "policy", "delete", pol).stderr, "HTTP 404", "was not found")
	contains(t, "app delete again", must(t, 1, env, "access", "app", "delete", app).stderr, "HTTP 404")
	if got := must(t, 0, env, "access", "app", "list", "--field", "#.name").stdout; got != "Wiki\n" {
		t.Errorf("app list --field #.name after the delete = %q", got)
	}
}
