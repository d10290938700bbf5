package cli

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/ssogate/ssogate/internal/access"
	"github.com/ssogate/ssogate/internal/access/policy"
	"github.com/ssogate/ssogate/internal/accounts"
	"github.com/ssogate/ssogate/internal/app"
	"github.com/ssogate/ssogate/internal/audit"
	"github.com/ssogate/ssogate/internal/config"
	"github.com/ssogate/ssogate/internal/dnsverify/dnstest"
	"github.com/ssogate/ssogate/internal/idp/refop"
	"github.com/ssogate/ssogate/internal/sso"
	"github.com/ssogate/ssogate/internal/tokens"
)

// The demo company, as in the integration guide.
const (
	demoDomain       = "acmecorp.company"
	demoAccountName  = "Acme Corp"
	demoTeam         = "acme"
	demoIdPName      = "authentik"
	demoClientID     = "ssogate"
	demoStateFile    = "demo.json"
	demoVerifyWithin = 30 * time.Second
)

// demoPerson is someone the demo creates, and how they sign in.
type demoPerson struct {
	Email    string   `json:"email"`
	Password string   `json:"password,omitempty"` // "": chosen by the operator (SSOGATE_BOOTSTRAP_PASSWORD)
	Groups   []string `json:"groups,omitempty"`
	Role     string   `json:"role,omitempty"` // ssogate role; "" = not a member of the account
	AtIdP    bool     `json:"at_idp"`         // a user of the IdP (SSO); else a dashboard password
	// Fallback: an IdP user whose password also signs in to the dashboard
	// once SSO is disabled (the guide's lock-out recovery, shown on bob).
	Fallback bool   `json:"dashboard_fallback,omitempty"`
	Note     string `json:"note,omitempty"`
	// Bootstrap: created by the bootstrap (SSOGATE_BOOTSTRAP_*), not here.
	Bootstrap bool `json:"bootstrap,omitempty"`
}

// demoState is what the first run created. It is kept in the data directory
// (0600, like secret.key) so that a run on the same --data-dir neither seeds
// again nor loses the credentials it can no longer read from the database.
type demoState struct {
	AccountID    string       `json:"account_id"`
	AccountName  string       `json:"account_name"`
	ConnectorID  string       `json:"sso_connector_id"`
	IdPID        string       `json:"identity_provider_id"`
	ClientSecret string       `json:"client_secret"`
	Token        string       `json:"api_token"`
	TokenPerms   []string     `json:"api_token_permissions"`
	People       []demoPerson `json:"people"`
}

// demoSite is what the demo prints once it is ready.
type demoSite struct {
	state                    *demoState
	fresh, tempDir           bool
	dataDir, apiURL, teamURL string
	dashboardURL, idpIssuer  string
	dnsAddr                  string
}

// demoFlags are the demo's own flags; the server flags come from config.
type demoFlags struct {
	idpListen, dnsListen string
	keepData             bool // --data-dir given
}

// runDemo starts ssogate with an identity provider, a DNS server and a
// company account already set up as the integration guide leaves them, so
// the whole flow can be clicked through in a browser.
func setupDemo(env *Env, fs *pflag.FlagSet) runFunc {
	var df demoFlags
	fs.StringVar(&df.idpListen, "idp-listen", "127.0.0.1:0", "loopback address of the demo's OpenID provider")
	fs.StringVar(&df.dnsListen, "dns-listen", "127.0.0.1:0", "loopback address (UDP and TCP) of the demo's DNS server")
	settings := config.Bind(fs, config.AllSettings)
	// Accepted so that using them gets an explanation, not "unknown flag".
	_ = fs.MarkHidden("database-url")
	_ = fs.MarkHidden("dns-nameservers")
	return func(ctx context.Context, args []string) error {
		cfg, err := demoConfig(env, fs, settings, &df, args)
		if err != nil {
			return err
		}
		return runDemo(ctx, env, cfg, df)
	}
}

func runDemo(ctx context.Context, env *Env, cfg config.Config, df demoFlags) (err error) {
	if !df.keepData {
		dir, err := os.MkdirTemp("", "ssogate-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.DataDir = dir
	}
	if cfg.Listen, err = pinListen(cfg.Listen); err != nil {
		return err
	}
	dns, err := dnstest.Start(df.dnsListen)
	if err != nil {
		return fmt.Errorf("start the demo DNS server on %s: %w", df.dnsListen, err)
	}
	defer dns.Close()
	cfg.DNSNameservers = []string{dns.Addr()}

	ctx, cancel := context.WithCancel(ctx) // stops the IdP however runDemo ends
	defer cancel()
	site, idp, err := prepareDemo(audit.WithActor(ctx, audit.Actor{ID: "ssogate-demo", Type: "system", Interface: "CLI"}),
		env, cfg, df, dns)
	if idp != nil {
		defer func() { cancel(); <-idp.done }()
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil // interrupted while setting up
		}
		return err
	}
	site.tempDir = !df.keepData
	printDemo(env.Stdout, site)
	return app.Run(ctx, cfg, env.Stdout, env.Stderr)
}

const demoLong = "Starts ssogate with the reference OpenID provider (authentik layout) and a DNS server for " + demoDomain + "\n" +
	"in the same process, and the guide's setup done: account, Access, SSO connector verified and enabled.\n" +
	"State lives in a temporary directory removed on exit unless --data-dir is given (reused on the next run).\n" +
	"The demo always uses SQLite and its own DNS server: SSOGATE_DATA_DIR, SSOGATE_DATABASE_URL and\n" +
	"SSOGATE_DNS_NAMESERVERS are ignored."

func demoConfig(env *Env, fs *pflag.FlagSet, settings *config.Flags, df *demoFlags, args []string) (config.Config, error) {
	if len(args) > 0 {
		return config.Config{}, usageError("unexpected argument %q; the demo takes flags only", args[0])
	}
	switch {
	case fs.Changed("database-url"):
		return config.Config{}, usageError("--database-url: the demo keeps its state in SQLite; give --data-dir DIR to keep it between runs")
	case fs.Changed("dns-nameservers"):
		return config.Config{}, usageError("--dns-nameservers: the demo serves %s from its own DNS server and points ssogate at it; use --dns-listen to choose its address", demoDomain)
	}
	cfg, err := loadConfig(env, settings)
	if err != nil {
		return cfg, err
	}
	df.keepData = fs.Changed("data-dir")
	cfg.DatabaseURL = ""
	if env.Getenv("SSOGATE_BOOTSTRAP_ACCOUNT_NAME") == "" {
		cfg.BootstrapAccountName = demoAccountName
	}
	return cfg, nil
}

// pinListen replaces port 0 with a free port: the team domain's URLs and the
// IdP's redirect URI are written before ssogate listens, so they need the
// real port. A busy fixed port fails here, before anything is created.
func pinListen(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("listen on %s: %w", addr, err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	host, _, _ := net.SplitHostPort(addr)
	return net.JoinHostPort(host, port), nil
}

// prepareDemo opens the database and either seeds it (first run) or
// re-points the stored setup at this run's IdP and DNS server. The IdP, once
// started, is returned even with an error; it serves until ctx ends.
func prepareDemo(ctx context.Context, env *Env, cfg config.Config, df demoFlags, dns *dnstest.Server) (*demoSite, *idpServer, error) {
	a, err := app.New(ctx, cfg, app.Options{}, env.Stderr)
	if err != nil {
		return nil, nil, err
	}
	defer a.Close()
	site := &demoSite{fresh: a.Bootstrap != nil, dataDir: cfg.DataDir, dnsAddr: dns.Addr(), apiURL: apiBase(cfg) + "/client/v4"}
	if site.fresh {
		site.state = newDemoState(a.Bootstrap)
	} else if site.state, err = readDemoState(cfg.DataDir); err != nil {
		return nil, nil, err
	}
	if err := demoOrganization(ctx, a, site); err != nil {
		return nil, nil, err
	}
	idp, err := startIdP(ctx, df.idpListen, site.state.idpUsers(), refop.Client{ID: demoClientID,
		Secret: site.state.ClientSecret, RedirectURIs: []string{site.teamURL + "/cdn-cgi/access/callback"}})
	if err != nil {
		return nil, nil, err
	}
	site.idpIssuer = idp.IssuerURL()
	if site.fresh {
		err = seedDemo(ctx, a, site, dns)
	} else {
		err = reuseDemo(ctx, a, site, dns)
	}
	return site, idp, err
}

// newDemoState generates the demo's secrets; the bootstrap created the
// account and its first super administrator.
func newDemoState(boot *app.BootstrapResult) *demoState {
	st := &demoState{AccountID: boot.Account.ID, AccountName: boot.Account.Name, ClientSecret: accounts.NewPassword(),
		TokenPerms: []string{tokens.SSOWrite, tokens.AccessOrgWrite, tokens.AccessAppsWrite, tokens.ServiceTokensWrite, tokens.SettingsRead}}
	st.People = []demoPerson{
		{Email: "alice@" + demoDomain, Groups: []string{"admins", "engineering"}, Role: accounts.RoleSuperAdmin, AtIdP: true},
		{Email: "bob@" + demoDomain, Groups: []string{"engineering"}, Role: accounts.RoleAdmin, AtIdP: true, Fallback: true},
		{Email: "mallory@" + demoDomain, Groups: []string{"contractors"}, AtIdP: true,
			Note: "not a member: the dashboard must refuse her"},
		{Email: "carol@contractor.dev", Role: accounts.RoleAdmin, Note: "outside the SSO domain"},
		{Email: boot.Email, Password: boot.Password, Role: accounts.RoleSuperAdmin, Note: "the bootstrap administrator",
			Bootstrap: true},
	}
	for i, p := range st.People {
		if !p.Bootstrap {
			st.People[i].Password = accounts.NewPassword()
		}
	}
	return st
}

func (st *demoState) idpUsers() []refop.User {
	var out []refop.User
	for _, p := range st.People {
		if p.AtIdP {
			out = append(out, devUser(p.Email, p.Password, p.Groups))
		}
	}
	return out
}

// demoOrganization creates the Access organization on the first run and
// finds its team URL on every run.
func demoOrganization(ctx context.Context, a *app.App, site *demoSite) error {
	var org access.Organization
	var err error
	if site.fresh {
		name, team := demoAccountName, demoTeam
		org, err = a.Access.CreateOrganization(ctx, site.state.AccountID, access.OrgInput{Name: &name, AuthDomain: &team})
	} else {
		org, err = a.Access.GetOrganization(ctx, a.DB, site.state.AccountID)
	}
	if err != nil {
		return fmt.Errorf("the Access organization: %w", err)
	}
	site.teamURL = a.Access.TeamURL(org.AuthDomain)
	site.dashboardURL = dashboardBase(a.Config, site.teamURL)
	return nil
}

// seedDemo sets the account up the way the guide leaves it. The state file
// is written last: a data directory without it was not (fully) seeded.
func seedDemo(ctx context.Context, a *app.App, site *demoSite, dns *dnstest.Server) error {
	st := site.state
	if err := seedAccess(ctx, a, site); err != nil {
		return err
	}
	if err := seedMembers(ctx, a, st); err != nil {
		return err
	}
	domain := demoDomain
	c, err := a.SSO.Create(ctx, st.AccountID, sso.CreateInput{EmailDomain: &domain})
	if err != nil {
		return fmt.Errorf("create the SSO connector: %w", err)
	}
	st.ConnectorID = c.ID
	publishTXT(dns, c.EmailDomain, c.Code)
	if err := verifyConnector(ctx, a.SSO, c); err != nil {
		return err
	}
	on := true
	_, note, err := a.SSO.Update(ctx, st.AccountID, c.ID, sso.UpdateInput{Enabled: &on})
	if err != nil {
		return fmt.Errorf("enable the SSO connector: %w", err)
	}
	if note != "" { // the SSO App was not created
		return fmt.Errorf("enable the SSO connector: %s", note)
	}
	return writeDemoState(site.dataDir, st)
}

// seedAccess adds the IdP, the App Launcher and a bookmark, both allowed
// for the demo domain.
func seedAccess(ctx context.Context, a *app.App, site *demoSite) error {
	st := site.state
	name, typ, id, pkce := demoIdPName, "oidc", demoClientID, true
	idp, err := a.Access.CreateIdP(ctx, st.AccountID, access.IdPInput{Name: &name, Type: &typ, Config: &access.OIDCConfigRaw{
		ClientID: &id, ClientSecret: &st.ClientSecret, IssuerURL: &site.idpIssuer, PKCEEnabled: &pkce}})
	if err != nil {
		return fmt.Errorf("create the identity provider: %w", err)
	}
	st.IdPID = idp.ID
	pname, allow := "Acme staff", policy.DecisionAllow
	include := []policy.Rule{policy.EmailDomain(demoDomain)}
	pol, err := a.Access.CreatePolicy(ctx, st.AccountID, "", access.PolicyInput{Name: &pname, Decision: &allow, Include: &include})
	if err != nil {
		return fmt.Errorf("create the Access policy: %w", err)
	}
	links := []access.PolicyLinkRaw{{ID: pol.ID}}
	launcher, bookmark, grafana, grafanaURL, visible := access.TypeAppLauncher, access.TypeBookmark, "Grafana", "https://grafana."+demoDomain, true
	if _, err := a.Access.CreateApp(ctx, st.AccountID, access.AppInput{Type: &launcher, Policies: &links}); err != nil {
		return fmt.Errorf("create the App Launcher: %w", err)
	}
	if _, err := a.Access.CreateApp(ctx, st.AccountID, access.AppInput{Type: &bookmark, Name: &grafana, Domain: &grafanaURL,
		AppLauncherVisible: &visible, Policies: &links}); err != nil {
		return fmt.Errorf("create the bookmark application: %w", err)
	}
	return nil
}

// seedMembers adds the members (the bootstrap added its administrator) and
// the API token, in one transaction.
func seedMembers(ctx context.Context, a *app.App, st *demoState) error {
	var refs []tokens.GroupRef
	for _, name := range st.TokenPerms {
		g, _ := tokens.GroupByName(name)
		refs = append(refs, tokens.GroupRef{ID: g.ID})
	}
	return a.DB.Tx(ctx, func(tx *sql.Tx) error {
		now := time.Now()
		for _, p := range st.People {
			if p.Role == "" || p.Bootstrap {
				continue
			}
			hash := "" // people of the SSO domain have no password, but for the lock-out fallback
			if !p.AtIdP || p.Fallback {
				hash = accounts.HashPassword(p.Password)
			}
			if _, err := accounts.AddMember(ctx, tx, st.AccountID, p.Email, hash, p.Role, now); err != nil {
				return fmt.Errorf("member %s: %w", p.Email, err)
			}
		}
		v, err := a.Tokens.CreateTx(ctx, tx, st.AccountID, app.TokenInput(st.AccountID, "demo: SSO connectors and Access", refs), "")
		st.Token = v.Value
		return err
	})
}

// verifyConnector asks for verification, as POST …/begin_verification does,
// until the connector is verified.
func verifyConnector(ctx context.Context, svc *sso.Service, c sso.Connector) error {
	deadline := time.Now().Add(demoVerifyWithin)
	for {
		got, err := svc.BeginVerification(ctx, c.AccountID, c.ID)
		if err != nil {
			return fmt.Errorf("verify %s: %w", c.EmailDomain, err)
		}
		switch {
		case got.Status == sso.Verified:
			return nil
		case got.Status == sso.Failed || time.Now().After(deadline):
			return fmt.Errorf("verify %s: status %s: %s", c.EmailDomain, got.Status, got.Reason)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// reuseDemo points the stored IdP at this run's provider (its port changes)
// and publishes the TXT records of the account's connectors again.
func reuseDemo(ctx context.Context, a *app.App, site *demoSite, dns *dnstest.Server) error {
	st := site.state
	if _, err := a.Access.UpdateIdP(ctx, st.AccountID, st.IdPID, access.IdPInput{
		Config: &access.OIDCConfigRaw{IssuerURL: &site.idpIssuer}}); err != nil {
		return fmt.Errorf("point identity provider %s at %s: %w", st.IdPID, site.idpIssuer, err)
	}
	conns, err := a.SSO.List(ctx, st.AccountID)
	if err != nil {
		return err
	}
	for _, c := range conns {
		publishTXT(dns, c.EmailDomain, c.Code)
	}
	return nil
}

func writeDemoState(dir string, st *demoState) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, demoStateFile), b, 0o600)
}

func readDemoState(dir string) (*demoState, error) {
	b, err := os.ReadFile(filepath.Join(dir, demoStateFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, usageError("%s holds an ssogate database the demo did not set up (or whose setup was interrupted); "+
			"give the demo an empty or new --data-dir, or leave it out for a temporary one", dir)
	}
	if err != nil {
		return nil, err
	}
	st := &demoState{}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, demoStateFile), err)
	}
	return st, nil
}

// apiBase is the URL to print for the API: the listen address, with
// loopback for an unspecified host.
func apiBase(cfg config.Config) string {
	host, port, _ := net.SplitHostPort(cfg.Listen)
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	scheme := "http://"
	if cfg.TLSCert != "" {
		scheme = "https://"
	}
	return scheme + net.JoinHostPort(host, port)
}

// dashboardBase is where the SSO App sends people: --dashboard-url, else
// localhost on the port the team domain uses (as internal/app decides).
func dashboardBase(cfg config.Config, teamURL string) string {
	if cfg.DashboardURL != "" {
		return strings.TrimSuffix(cfg.DashboardURL, "/")
	}
	u, err := url.Parse(teamURL)
	if err != nil || u.Port() == "" {
		return "http://localhost"
	}
	return "http://localhost:" + u.Port()
}

func printDemo(w io.Writer, s *demoSite) {
	st := s.state
	if s.fresh {
		fmt.Fprintf(w, "\nssogate demo: %q is set up as the integration guide leaves it.\n", st.AccountName)
	} else {
		fmt.Fprintf(w, "\nssogate demo: %s already holds the demo (%q); nothing was created again.\n", s.dataDir, st.AccountName)
	}
	fmt.Fprintf(w, "  account id:          %s\n", st.AccountID)
	fmt.Fprintf(w, "  SSO connector:       %s for %s, verified over DNS (TXT served by %s) and enabled\n", st.ConnectorID, demoDomain, s.dnsAddr)
	fmt.Fprintf(w, "  identity provider:   %q (authentik layout), issuer %s\n", demoIdPName, s.idpIssuer)
	fmt.Fprintf(w, "  Access team domain:  %s: App Launcher, \"Grafana\" bookmark, \"SSO App\"\n", s.teamURL)
	if s.tempDir {
		fmt.Fprintf(w, "  data:                %s (temporary, removed on exit; --data-dir DIR keeps it)\n", s.dataDir)
	} else {
		fmt.Fprintf(w, "  data:                %s (kept, credentials in %s; run the demo again with the same --data-dir)\n",
			s.dataDir, demoStateFile)
	}
	fmt.Fprintf(w, "\nTry it:\n  1. Open the App Launcher  %s/\n", s.teamURL)
	fmt.Fprintf(w, "     choose %q, sign in as alice@%s (password below), then click \"SSO App\":\n", demoIdPName, demoDomain)
	fmt.Fprintf(w, "     it hands a one-time assertion to the dashboard and signs her in.\n")
	fmt.Fprintf(w, "  2. The dashboard          %s/login\n", s.dashboardURL)
	fmt.Fprintf(w, "     @%s must use SSO there; carol and the bootstrap administrator use passwords.\n", demoDomain)
	fmt.Fprintf(w, "  3. Lock-out recovery: run the curl below, then sign in as bob@%s with his password.\n", demoDomain)
	printPeople(w, st)
	printAPI(w, s)
	fmt.Fprintf(w, "\nCtrl-C stops ssogate, the identity provider and the DNS server.\n\n")
}

func printPeople(w io.Writer, st *demoState) {
	fmt.Fprintf(w, "\nAt the identity provider (%s, username = email):\n", demoIdPName)
	for _, p := range st.People {
		if p.AtIdP {
			fmt.Fprintf(w, "  %-26s %-28s groups %-20s %s\n", p.Email, p.Password, strings.Join(p.Groups, ","), roleNote(p))
		}
	}
	fmt.Fprintf(w, "Dashboard password login:\n")
	for _, p := range st.People {
		if !p.AtIdP {
			pw := p.Password
			if pw == "" {
				pw = "(SSOGATE_BOOTSTRAP_PASSWORD)"
			}
			fmt.Fprintf(w, "  %-26s %-28s %s\n", p.Email, pw, roleNote(p))
		}
	}
}

func roleNote(p demoPerson) string {
	switch {
	case p.Role == "":
		return p.Note
	case p.AtIdP && p.Fallback:
		return p.Role + " (SSO; the same password signs in to the dashboard once SSO is disabled)"
	case p.AtIdP:
		return p.Role + " (SSO only, no password)"
	case p.Note != "":
		return p.Role + ", " + p.Note
	}
	return p.Role
}

func printAPI(w io.Writer, s *demoSite) {
	st := s.state
	fmt.Fprintf(w, "\nAPI token (%s):\n  %s\n", strings.Join(st.TokenPerms, ", "), st.Token)
	fmt.Fprintf(w, "The guide's exports:\n  export CLOUDFLARE_BASE_URL=%s\n  export CLOUDFLARE_API_TOKEN=%s\n", s.apiURL, st.Token)
	fmt.Fprintf(w, "  export CLOUDFLARE_ACCOUNT_ID=%s\n  export CLOUDFLARE_SSO_CONNECTOR_ID=%s\n", st.AccountID, st.ConnectorID)
	fmt.Fprintf(w, "Locked out? The guide's recovery turns SSO off with the token:\n")
	fmt.Fprintf(w, "  curl \"%s/accounts/%s/sso_connectors/%s\" \\\n    --request PATCH --header \"Authorization: Bearer %s\" --json '{\"enabled\": false}'\n",
		s.apiURL, st.AccountID, st.ConnectorID, st.Token)
}
