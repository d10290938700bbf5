package cli

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net/url"
	"os"
	"strings"

	cloudflare "github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/option"
	"github.com/cloudflare/cloudflare-go/v6/packages/pagination"
	"github.com/cloudflare/cloudflare-go/v6/zero_trust"
	"github.com/spf13/pflag"
	"github.com/tidwall/gjson"
)

var idpColumns = []column{field("ID", "id"), field("NAME", "name"), field("TYPE", "type")}

func idpRows(r gjson.Result) []row {
	return []row{
		{"id", r.Get("id").String()},
		{"name", r.Get("name").String()},
		{"type", r.Get("type").String()},
		{"client id", r.Get("config.client_id").String()},
		{"issuer", r.Get("config.issuer_url").String()},
		{"auth url", r.Get("config.auth_url").String()},
		{"token url", r.Get("config.token_url").String()},
		{"certs url", r.Get("config.certs_url").String()},
		{"sso target url", r.Get("config.sso_target_url").String()},
	}
}

func setupIdPList(env *Env, fs *pflag.FlagSet) runFunc {
	c := newResCommand(env, fs)
	return func(ctx context.Context, args []string) error {
		return c.run(ctx, args, noArgs, func(ctx context.Context) error {
			raws, err := collect(env.Stderr, func(page int64) (*pagination.V4PagePaginationArray[zero_trust.IdentityProviderListResponse], error) {
				return c.client.ZeroTrust.IdentityProviders.List(ctx, zero_trust.IdentityProviderListParams{
					AccountID: cloudflare.F(c.account), Page: cloudflare.F(page), PerPage: cloudflare.F(int64(listPerPage))})
			})
			if err != nil {
				return c.apiFailure("list identity providers", err)
			}
			return c.showList(raws, idpColumns, "No identity providers in account "+c.account+".")
		})
	}
}

const idpAddOIDCLong = `The client secret is read from a file, or from standard input with --client-secret-file -,
never from the command line: arguments are visible to every user of the machine (ps, /proc)
and stay in shell history. E.g. with authentik:
  printf %s "$SECRET" | ssogate access idp add-oidc --name authentik --client-id ID \
    --client-secret-file - --issuer https://authentik.company/application/o/<slug>/

Give the IdP's endpoints with --auth-url, --token-url and --certs-url (as Cloudflare needs
them), or on ssogate only --issuer: ssogate reads the endpoints from the issuer's discovery
document and checks that ID tokens come from that issuer (issuer_url is an ssogate extension
that Cloudflare does not have).`

func setupIdPAddOIDC(env *Env, fs *pflag.FlagSet) runFunc {
	c := newResCommand(env, fs)
	name := fs.String("name", "", "the `NAME` shown on the login page")
	clientID := fs.String("client-id", "", "the OAuth client `ID` from the IdP")
	secretFile := fs.String("client-secret-file", "", "read the OAuth client secret from `FILE` (- for standard input)")
	fs.String("client-secret", "", "")
	_ = fs.MarkHidden("client-secret") // only to explain why it is refused
	authURL := fs.String("auth-url", "", "the IdP's authorization endpoint `URL`")
	tokenURL := fs.String("token-url", "", "the IdP's token endpoint `URL`")
	certsURL := fs.String("certs-url", "", "the IdP's JWKS `URL`")
	issuer := fs.String("issuer", "", "ssogate only: the issuer `URL`, whose discovery document gives the endpoints")
	scopes := fs.StringSlice("scopes", nil, "OAuth scopes, comma-separated (default: openid,email,profile)")
	var pkce optionalBool
	fs.Var(&pkce, "pkce", "use PKCE (the API's default: off)")
	fs.Lookup("pkce").NoOptDefVal = "true"
	emailClaim := fs.String("email-claim", "", "the ID token claim holding the e-mail address (default: email)")
	return func(ctx context.Context, args []string) error {
		var secret string
		check := func(args []string) (err error) {
			if err := noArgs(args); err != nil {
				return err
			}
			if fs.Lookup("client-secret").Changed {
				return usageError("--client-secret is not taken on the command line, where other users and shell history see it: " +
					"use --client-secret-file FILE, or --client-secret-file - to read it from standard input")
			}
			var missing []string
			for _, f := range []struct{ flag, v string }{{"--name", *name}, {"--client-id", *clientID}, {"--client-secret-file", *secretFile}} {
				if f.v == "" {
					missing = append(missing, f.flag)
				}
			}
			if *issuer == "" && (*authURL == "" || *tokenURL == "" || *certsURL == "") {
				missing = append(missing, "--auth-url, --token-url and --certs-url (or, on ssogate, --issuer)")
			}
			if len(missing) > 0 {
				return usageError("missing %s", strings.Join(missing, ", "))
			}
			for _, f := range []struct{ flag, v string }{{"--auth-url", *authURL}, {"--token-url", *tokenURL}, {"--certs-url", *certsURL}, {"--issuer", *issuer}} {
				if err := checkHTTPURL(f.flag, f.v); err != nil {
					return err
				}
			}
			secret, err = readSecret(env, "--client-secret-file", *secretFile)
			return err
		}
		return c.run(ctx, args, check, func(ctx context.Context) error {
			cfg := zero_trust.IdentityProviderAccessOIDCConfigParam{ClientID: cloudflare.F(*clientID), ClientSecret: cloudflare.F(secret)}
			if *authURL != "" {
				cfg.AuthURL = cloudflare.F(*authURL)
			}
			if *tokenURL != "" {
				cfg.TokenURL = cloudflare.F(*tokenURL)
			}
			if *certsURL != "" {
				cfg.CERTsURL = cloudflare.F(*certsURL)
			}
			if len(*scopes) > 0 {
				cfg.Scopes = cloudflare.F(*scopes)
			}
			if pkce.set {
				cfg.PKCEEnabled = cloudflare.F(pkce.value)
			}
			if *emailClaim != "" {
				cfg.EmailClaimName = cloudflare.F(*emailClaim)
			}
			var opts []option.RequestOption
			if *issuer != "" {
				opts = append(opts, option.WithJSONSet("config.issuer_url", *issuer))
			}
			return c.addIdP(ctx, zero_trust.IdentityProviderAccessOIDCParam{Name: cloudflare.F(*name),
				Type: cloudflare.F(zero_trust.IdentityProviderTypeOIDC), Config: cloudflare.F(cfg)}, *name, opts...)
		})
	}
}

func (c *resCommand) addIdP(ctx context.Context, idp zero_trust.IdentityProviderUnionParam, name string, opts ...option.RequestOption) error {
	res, err := c.client.ZeroTrust.IdentityProviders.New(ctx, zero_trust.IdentityProviderNewParams{
		AccountID: cloudflare.F(c.account), IdentityProvider: idp}, opts...)
	if err != nil {
		return c.apiFailure("add identity provider "+name, err)
	}
	return c.showObject(res.JSON.RawJSON(), fmt.Sprintf("Added identity provider %s.", res.ID), idpRows)
}

func checkHTTPURL(flag, v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return usageError("%s %q is not an absolute http(s) URL", flag, v)
	}
	return nil
}

const idpAddSAMLLong = `--issuer-url is the IdP's entity ID (authentik: the SAML provider's metadata URL) and
--sso-target-url where logins are sent. The IdP's signing certificate is given with
--idp-public-cert-file (a PEM file; each certificate in it counts) or --idp-public-cert (PEM or
the bare base64 body); either is sent as the bare base64 body, the form Cloudflare documents.`

func setupIdPAddSAML(env *Env, fs *pflag.FlagSet) runFunc {
	c := newResCommand(env, fs)
	name := fs.String("name", "", "the `NAME` shown on the login page")
	target := fs.String("sso-target-url", "", "the IdP's single sign-on `URL`")
	issuer := fs.String("issuer-url", "", "the IdP's entity `ID` (issuer)")
	var certs, certFiles, attrs []string
	fs.StringArrayVar(&certs, "idp-public-cert", nil, "the IdP's signing certificate, PEM or base64 (repeatable)")
	fs.StringArrayVar(&certFiles, "idp-public-cert-file", nil, "read the IdP's signing certificates from this PEM `FILE` (repeatable)")
	fs.StringArrayVar(&attrs, "attribute", nil, "a SAML attribute `NAME` to keep in the identity, for policies (repeatable)")
	emailAttr := fs.String("email-attribute-name", "", "the attribute holding the e-mail address (default: the subject)")
	return func(ctx context.Context, args []string) error {
		var bodies []string
		check := func(args []string) (err error) {
			if err := noArgs(args); err != nil {
				return err
			}
			var missing []string
			for _, f := range []struct{ flag, v string }{{"--name", *name}, {"--sso-target-url", *target}, {"--issuer-url", *issuer}} {
				if f.v == "" {
					missing = append(missing, f.flag)
				}
			}
			if len(certs)+len(certFiles) == 0 {
				missing = append(missing, "--idp-public-cert-file (or --idp-public-cert)")
			}
			if len(missing) > 0 {
				return usageError("missing %s", strings.Join(missing, ", "))
			}
			if err := checkHTTPURL("--sso-target-url", *target); err != nil {
				return err
			}
			bodies, err = certBodies(certs, certFiles)
			return err
		}
		return c.run(ctx, args, check, func(ctx context.Context) error {
			cfg := zero_trust.IdentityProviderAccessSAMLConfigParam{IssuerURL: cloudflare.F(*issuer),
				SSOTargetURL: cloudflare.F(*target), IdPPublicCERTs: cloudflare.F(bodies)}
			if len(attrs) > 0 {
				cfg.Attributes = cloudflare.F([]string(attrs))
			}
			if *emailAttr != "" {
				cfg.EmailAttributeName = cloudflare.F(*emailAttr)
			}
			return c.addIdP(ctx, zero_trust.IdentityProviderAccessSAMLParam{Name: cloudflare.F(*name),
				Type: cloudflare.F(zero_trust.IdentityProviderTypeSAML), Config: cloudflare.F(cfg)}, *name)
		})
	}
}

// certBodies reads certificates given inline or in files and returns each
// as its bare base64 DER body, checked to be an X.509 certificate.
func certBodies(inline, files []string) ([]string, error) {
	var out []string
	add := func(where string, text string) error {
		ders, err := certDERs(text)
		if err != nil {
			return usageError("%s: %v", where, err)
		}
		for _, der := range ders {
			if _, err := x509.ParseCertificate(der); err != nil {
				return usageError("%s: not an X.509 certificate: %v", where, err)
			}
			out = append(out, base64.StdEncoding.EncodeToString(der))
		}
		return nil
	}
	for _, c := range inline {
		if err := add("--idp-public-cert", c); err != nil {
			return nil, err
		}
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, usageError("--idp-public-cert-file: %v", err)
		}
		if err := add("--idp-public-cert-file "+f, string(b)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// certDERs reads the CERTIFICATE blocks of PEM text, or text that is one
// bare base64 body.
func certDERs(text string) ([][]byte, error) {
	var ders [][]byte
	rest := []byte(text)
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type == "CERTIFICATE" {
			ders = append(ders, b.Bytes)
		}
	}
	if len(ders) > 0 {
		return ders, nil
	}
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(text), ""))
	if err != nil || len(der) == 0 {
		return nil, fmt.Errorf("no PEM CERTIFICATE block and not base64")
	}
	return [][]byte{der}, nil
}

func setupIdPDelete(env *Env, fs *pflag.FlagSet) runFunc {
	return oneIDCommand(env, fs, idpIDs, func(ctx context.Context, c *resCommand, id string) error {
		res, err := c.client.ZeroTrust.IdentityProviders.Delete(ctx, id, zero_trust.IdentityProviderDeleteParams{AccountID: cloudflare.F(c.account)})
		if err != nil {
			return c.apiFailure("delete identity provider "+id, err)
		}
		return c.deleted(res.JSON.RawJSON(), "Deleted identity provider "+id+".")
	})
}
