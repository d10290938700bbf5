package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/ssogate/ssogate/internal/idp/refop"
)

// runDevIdP serves the reference OpenID provider (laid out like authentik)
// on loopback, so the Access login can be tried without an authentik: it
// shows a login form for the users given on the command line.
func setupDevIdP(env *Env, fs *pflag.FlagSet) runFunc {
	listen := fs.String("listen", "127.0.0.1:9000", "loopback address to serve on")
	clientID := fs.String("client-id", "ssogate", "OAuth client id")
	secret := fs.String("client-secret", "dev-secret-change-me", "OAuth client secret")
	var users, redirects stringList
	fs.Var(&users, "user", "a user as EMAIL:PASSWORD or EMAIL:PASSWORD:GROUP1,GROUP2 (repeatable)")
	fs.Var(&redirects, "redirect-uri", "an allowed redirect URI, e.g. http://acme.access.localhost:8080/cdn-cgi/access/callback (repeatable)")
	return func(ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		return devIdP(ctx, env, *listen, refop.Client{ID: *clientID, Secret: *secret, RedirectURIs: redirects}, users)
	}
}

func devIdP(ctx context.Context, env *Env, listen string, client refop.Client, users []string) error {
	cfgUsers, err := parseDevUsers(users)
	if err != nil {
		return err
	}
	if len(client.RedirectURIs) == 0 {
		return usageError("give at least one --redirect-uri: the team domain's /cdn-cgi/access/callback")
	}
	idp, err := startIdP(ctx, listen, cfgUsers, client)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "OpenID provider (authentik layout) on http://%s\nissuer_url: %s\nclient_id: %s\nclient_secret: %s\n",
		idp.addr, idp.IssuerURL(), client.ID, client.Secret)
	return <-idp.done
}

// idpServer is the reference OpenID provider serving on its own loopback
// listener (dev-idp, and the demo next to ssogate in one process).
type idpServer struct {
	*refop.Provider
	addr string
	done chan error // Serve's outcome, once ctx has ended
}

// startIdP listens on listen and serves a reference OpenID provider with
// users and one client until ctx ends. The issuer is the listener's real
// address, so port 0 works.
func startIdP(ctx context.Context, listen string, users []refop.User, client refop.Client) (*idpServer, error) {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", listen, err)
	}
	p, err := refop.New(refop.Config{Issuer: "http://" + ln.Addr().String(), Users: users, Clients: []refop.Client{client}})
	if err != nil {
		ln.Close()
		return nil, usageError("%v", err)
	}
	s := &idpServer{Provider: p, addr: ln.Addr().String(), done: make(chan error, 1)}
	srv := &http.Server{Handler: p.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { <-ctx.Done(); _ = srv.Close() }()
	go func() {
		err := srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
	return s, nil
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
		var groups []string
		if len(parts) == 3 && parts[2] != "" {
			groups = strings.Split(parts[2], ",")
		}
		out = append(out, devUser(parts[0], parts[1], groups))
	}
	return out, nil
}

// devUser is a provider user who signs in with their email address as the
// username, so what people type at the IdP is what ssogate shows.
func devUser(email, password string, groups []string) refop.User {
	return refop.User{Username: email, Email: email, Name: email, Password: password, Groups: groups, EmailVerified: true}
}
