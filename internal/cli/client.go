package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
	"unicode"

	cloudflare "github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/option"
	"github.com/spf13/pflag"

	"github.com/ssogate/ssogate/internal/ids"
)

// The environment variables the integration guide tells admins to export;
// the client commands read the same ones so the guide's shell works as is.
const (
	envToken     = "CLOUDFLARE_API_TOKEN"
	envAccount   = "CLOUDFLARE_ACCOUNT_ID"
	envConnector = "CLOUDFLARE_SSO_CONNECTOR_ID"
	envBaseURL   = "CLOUDFLARE_BASE_URL"
	envDNS       = "SSOGATE_DNS_NAMESERVERS"

	defaultAPIURL = "http://127.0.0.1:8080/client/v4"
)

// apiFlags are the flags every API client command shares.
type apiFlags struct {
	apiURL    string
	account   string
	tokenFile string
	asJSON    bool   // set by --json and by --field
	field     string // --field: print only the value at this gjson path
	scope     accountScope
}

// accountScope is what a command needs of the account id.
type accountScope int

const (
	accountRequired accountScope = iota // sso: every path is under /accounts/{id}
	accountOptional                     // token verify: account-scoped when an account is known
	accountIgnored                      // account list: the accounts are the answer; no --account, and CLOUDFLARE_ACCOUNT_ID is not read
)

func (f *apiFlags) register(fs *pflag.FlagSet, scope accountScope) {
	f.scope = scope
	fs.StringVar(&f.apiURL, "api-url", "", "API base URL (env "+envBaseURL+", default "+defaultAPIURL+
		"; real Cloudflare: https://api.cloudflare.com/client/v4)")
	if scope != accountIgnored {
		fs.StringVar(&f.account, "account", "", "account id (env "+envAccount+")")
	}
	fs.StringVar(&f.tokenFile, "token-file", "", "read the API token from this file instead of env "+envToken)
	fs.BoolVar(&f.asJSON, "json", false, "print the result as the API returned it")
	fs.Func("field", "print only the value at `PATH` in the --json output (gjson syntax: 0.id, verification.code, #.id): "+
		"a string raw, an array of strings one per line, anything else as compact JSON; a PATH that matches nothing exits 1",
		func(path string) error {
			if strings.TrimSpace(path) == "" {
				return errors.New("want a path, e.g. id or 0.id")
			}
			f.field, f.asJSON = path, true
			return nil
		})
}

// session is what a client command needs once its flags are resolved.
type session struct {
	client  *cloudflare.Client
	baseURL string
	account string // may be empty for commands that do not need one
}

// connect resolves the URL, token and account (flags win over the
// environment) and builds the SDK client. Everything missing is reported
// at once, naming the variable the guide exports.
func (f *apiFlags) connect(env *Env) (*session, error) {
	// --field sets asJSON; only a later --json=false clears it, and that
	// can be seen only once every flag is parsed, which is here.
	if f.field != "" && !f.asJSON {
		return nil, usageError("--field prints from the JSON output; it cannot go with --json=false")
	}
	base, err := resolveBaseURL(f.apiURL, env.Getenv(envBaseURL))
	if err != nil {
		return nil, err
	}
	var missing []string
	token, err := f.token(env)
	if err != nil {
		return nil, err
	}
	if token == "" {
		missing = append(missing, fmt.Sprintf("%s is not set: export %s=<your_api_token> (or pass --token-file PATH)", envToken, envToken))
	}
	account := f.account
	if account == "" && f.scope != accountIgnored {
		account = strings.TrimSpace(env.Getenv(envAccount))
	}
	if account == "" && f.scope == accountRequired {
		missing = append(missing, fmt.Sprintf("%s is not set: export %s=<your_account_id> (or pass --account ID)", envAccount, envAccount))
	}
	if len(missing) > 0 {
		return nil, usageError("%s", strings.Join(missing, "\n"))
	}
	if account != "" && !validID(account) {
		return nil, usageError("account id %q is malformed: expected 32 lowercase hex characters, as in the dashboard URL and ssogate account list", account)
	}
	return &session{client: newClient(base, token, env.Stderr), baseURL: base, account: account}, nil
}

func (f *apiFlags) token(env *Env) (string, error) {
	if f.tokenFile == "" {
		return strings.TrimSpace(env.Getenv(envToken)), nil
	}
	b, err := os.ReadFile(f.tokenFile)
	if err != nil {
		return "", usageError("--token-file: %v", err)
	}
	t := strings.TrimSpace(string(b))
	if t == "" {
		return "", usageError("--token-file: %s is empty", f.tokenFile)
	}
	return t, nil
}

// resolveBaseURL picks the flag, then the environment, then the local
// default. A URL with no path gets /client/v4, where both ssogate and
// Cloudflare serve the API; without it the SDK would ask for /accounts/...
func resolveBaseURL(flagValue, envValue string) (string, error) {
	raw := flagValue
	if raw == "" {
		raw = strings.TrimSpace(envValue)
	}
	if raw == "" {
		raw = defaultAPIURL
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", usageError("API URL %q is not an http(s) URL, e.g. %s", raw, defaultAPIURL)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/client/v4"
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// newClient builds the SDK client. NewClient also reads CLOUDFLARE_* from
// the process environment; the explicit options override the URL and
// token, and the legacy key headers are dropped so a global API key in the
// shell is never sent alongside the token. The envelope's messages go to
// notes: the typed results drop them, and the middleware is the one place
// every command's responses pass through.
func newClient(baseURL, token string, notes io.Writer) *cloudflare.Client {
	return cloudflare.NewClient(
		option.WithBaseURL(baseURL),
		option.WithAPIToken(token),
		option.WithMaxRetries(2),
		option.WithRequestTimeout(time.Minute),
		option.WithHeaderDel("X-Auth-Key"),
		option.WithHeaderDel("X-Auth-Email"),
		option.WithHeaderDel("X-Auth-User-Service-Key"),
		option.WithMiddleware(printMessages(notes)),
	)
}

// printMessages writes the messages of every successful JSON response to
// w, one "note:" line each. Only successes: the SDK retries some error
// statuses, so an error's messages could show once per attempt; apiFailure
// shows those of the final error instead.
func printMessages(w io.Writer) option.Middleware {
	return func(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
		res, err := next(req)
		if err != nil || res.StatusCode >= http.StatusBadRequest || !isJSON(res.Header.Get("Content-Type")) {
			return res, err
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			return nil, err // as the SDK's own read would have failed
		}
		res.Body = io.NopCloser(bytes.NewReader(body))
		for _, m := range envelopeMessages(body) {
			fmt.Fprintf(w, "note: %s\n", m)
		}
		return res, nil
	}
}

func isJSON(contentType string) bool {
	t, _, _ := mime.ParseMediaType(contentType)
	return t == "application/json" || strings.HasSuffix(t, "+json")
}

// envelopeMessages reads the v4 envelope's messages. Items are objects
// with a message; a bare string is taken too, as older Cloudflare
// endpoints sent them. Each becomes one printable line: a server's
// newlines or terminal escapes must not reshape the CLI's output.
func envelopeMessages(body []byte) []string {
	var env struct {
		Messages []json.RawMessage `json:"messages"`
	}
	if json.Unmarshal(body, &env) != nil {
		return nil
	}
	var out []string
	for _, raw := range env.Messages {
		var text string
		if json.Unmarshal(raw, &text) != nil {
			var m struct {
				Message string `json:"message"`
			}
			_ = json.Unmarshal(raw, &m)
			text = m.Message
		}
		if text = oneLine(text); text != "" {
			out = append(out, text)
		}
	}
	return out
}

// oneLine turns control characters into spaces and collapses whitespace.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// validID is the shape of every id the CLI puts in a URL: accounts and SSO
// connectors are 32 lowercase hex characters on ssogate and Cloudflare
// alike. Checking here also keeps characters that would change the request
// path out of it (the SDK inserts ids unescaped), and turns a typo into a
// usage error instead of a 404 after a round trip.
func validID(s string) bool { return ids.IsHex32(s) }

// connectorID takes the id from the only positional argument or from the
// environment variable the guide exports.
func connectorID(env *Env, args []string) (string, error) {
	if len(args) > 1 {
		return "", usageError("give at most one SSO connector id, got %d arguments", len(args))
	}
	id := ""
	if len(args) == 1 {
		id = args[0]
	} else {
		id = strings.TrimSpace(env.Getenv(envConnector))
	}
	if id == "" {
		return "", usageError("no SSO connector id: give it as an argument or export %s=<your_sso_connector_id>", envConnector)
	}
	if !validID(id) {
		return "", usageError("SSO connector id %q is malformed: expected 32 lowercase hex characters, as sso create and sso list print them", id)
	}
	return id, nil
}

// apiFailure turns an SDK error into what a person needs: the envelope's
// messages and error chains for API errors (not the SDK's dump of the
// request), a hint for an unreachable server. It always exits 1.
func (s *session) apiFailure(what string, err error) error {
	var ae *cloudflare.Error
	if errors.As(err, &ae) {
		return &exitError{code: 1, err: fmt.Errorf("%s: %s", what, formatAPIError(ae))}
	}
	var ne net.Error
	var ue *url.Error
	if errors.As(err, &ne) || errors.As(err, &ue) {
		return &exitError{code: 1, err: fmt.Errorf("%s: %v\nIs the API at %s reachable? Set --api-url or %s.", what, err, s.baseURL, envBaseURL)}
	}
	return &exitError{code: 1, err: fmt.Errorf("%s: %w", what, err)}
}

// statusText is "400 Bad Request".
func statusText(code int) string { return fmt.Sprintf("%d %s", code, http.StatusText(code)) }
