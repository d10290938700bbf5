package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/ssogate/ssogate/internal/idp/refop"
)

// runDevIdP serves the reference OpenID provider (laid out like authentik)
// on loopback, so the Access login can be tried without an authentik: it
// shows a login form for the users given on the command line.
func runDevIdP(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "dev-idp", "dev-idp [--listen 127.0.0.1:9000] --user EMAIL:PASSWORD[:GROUP,...] --redirect-uri URL")
	listen := fs.String("listen", "127.0.0.1:9000", "loopback address to serve on")
	clientID := fs.String("client-id", "ssogate", "OAuth client id")
	secret := fs.String("client-secret", "dev-secret-change-me", "OAuth client secret")
	var users, redirects stringList
	fs.Var(&users, "user", "a user as EMAIL:PASSWORD or EMAIL:PASSWORD:GROUP1,GROUP2 (repeatable)")
	fs.Var(&redirects, "redirect-uri", "an allowed redirect URI, e.g. http://acme.access.localhost:8080/cdn-cgi/access/callback (repeatable)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError("%v", err)
	}
	cfgUsers, err := parseDevUsers(users)
	if err != nil {
		return err
	}
	if len(redirects) == 0 {
		return usageError("give at least one --redirect-uri: the team domain's /cdn-cgi/access/callback")
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *listen, err)
	}
	idp, err := refop.New(refop.Config{Issuer: "http://" + ln.Addr().String(), Users: cfgUsers,
		Clients: []refop.Client{{ID: *clientID, Secret: *secret, RedirectURIs: redirects}}})
	if err != nil {
		ln.Close()
		return usageError("%v", err)
	}
	srv := &http.Server{Handler: idp.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { <-ctx.Done(); _ = srv.Close() }()
	fmt.Fprintf(env.Stdout, "OpenID provider (authentik layout) on http://%s\nissuer_url: %s\nclient_id: %s\nclient_secret: %s\n",
		ln.Addr(), idp.IssuerURL(), *clientID, *secret)
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func parseDevUsers(specs []string) ([]refop.User, error) {
	if len(specs) == 0 {
		return nil, usageError("give at least one --user EMAIL:PASSWORD")
	}
	var out []refop.User
	for _, s := range specs {
		parts := strings.SplitN(s, ":", 3)
		if len(parts) < 2 || !strings.Contains(parts[0], "@") || parts[1] == "" {
			return nil, usageError("--user %q: write EMAIL:PASSWORD or EMAIL:PASSWORD:GROUP1,GROUP2", s)
		}
		u := refop.User{Username: parts[0], Email: parts[0], Name: parts[0], Password: parts[1], EmailVerified: true}
		if len(parts) == 3 && parts[2] != "" {
			u.Groups = strings.Split(parts[2], ",")
		}
		out = append(out, u)
	}
	return out, nil
}
