package access

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"time"

	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/changes"
	"github.com/ssogate/ssogate/internal/secretbox"
	"github.com/ssogate/ssogate/internal/store"
	"github.com/ssogate/ssogate/internal/tokens"
)

// Config is what the Access layer needs to know about its deployment.
type Config struct {
	// AccessDomain is the parent of every team domain ("access.localhost":
	// teams live at <team>.access.localhost).
	AccessDomain string
	// Scheme and PortSuffix build the team URL: "http" and ":8080" locally,
	// "https" and "" behind TLS on 443.
	Scheme     string
	PortSuffix string
	// ReservedHosts can never be protected application hosts: the
	// dashboard's host, whose requests ssogate answers itself.
	ReservedHosts []string
}

// Service is the Access domain's entry point.
type Service struct {
	db   *store.DB
	box  *secretbox.Box
	cfg  Config
	log  *slog.Logger
	now  func() time.Time
	http *http.Client // for IdP discovery documents
	// connectorDomains tells the SSO App which domains are enforced.
	connectorDomains ConnectorDomains
	// feed announces every committed change, so each instance's Snapshot
	// and session cache follow within a second.
	feed *changes.Feed
}

// NewService returns a Service. now may be nil.
func NewService(db *store.DB, box *secretbox.Box, cfg Config, log *slog.Logger, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, box: box, cfg: cfg, log: log, now: store.Clock(now),
		http: &http.Client{Timeout: 10 * time.Second}}
}

// SetFeed makes every change of Access configuration, and every session
// revocation, announce itself on f when it commits.
func (s *Service) SetFeed(f *changes.Feed) { s.feed = f }

// tx runs fn in a transaction that, when it commits, announces that the
// account's Access configuration changed: every write to it goes through
// here, so no cache can miss one.
func (s *Service) tx(ctx context.Context, accountID string, fn func(tx *sql.Tx) error) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return s.announce(ctx, tx, accountID)
	})
}

// announce publishes an Access change of the account in q's transaction.
func (s *Service) announce(ctx context.Context, q store.Querier, accountID string) error {
	return s.feed.Publish(ctx, q, changes.Event{Kind: changes.Access, AccountID: accountID})
}

// SetHTTPClient replaces the client used to fetch IdP discovery documents.
func (s *Service) SetHTTPClient(c *http.Client) { s.http = c }

// Mount registers the Access API routes.
func (s *Service) Mount(rt *api.Router) {
	orgRead := []string{tokens.AccessOrgRead, tokens.AccessOrgWrite}
	orgWrite := []string{tokens.AccessOrgWrite}
	base := "/accounts/{account_id}/access"
	rt.Handle(api.Route{Method: "GET", Path: base + "/organizations", Permissions: orgRead, Handle: s.handleGetOrg})
	rt.Handle(api.Route{Method: "POST", Path: base + "/organizations", Permissions: orgWrite, Handle: s.handleCreateOrg})
	rt.Handle(api.Route{Method: "PUT", Path: base + "/organizations", Permissions: orgWrite, Handle: s.handleUpdateOrg})
	rt.Handle(api.Route{Method: "POST", Path: base + "/organizations/revoke_user", Permissions: orgWrite, Handle: s.handleRevokeUser})

	idps := base + "/identity_providers"
	rt.Handle(api.Route{Method: "POST", Path: idps, Permissions: orgWrite, Handle: s.handleCreateIdP})
	rt.Handle(api.Route{Method: "GET", Path: idps, Permissions: orgRead, Handle: s.handleListIdPs})
	rt.Handle(api.Route{Method: "GET", Path: idps + "/{idp_id}", Permissions: orgRead, Handle: s.handleGetIdP})
	rt.Handle(api.Route{Method: "PUT", Path: idps + "/{idp_id}", Permissions: orgWrite, Handle: s.handleUpdateIdP})
	rt.Handle(api.Route{Method: "DELETE", Path: idps + "/{idp_id}", Permissions: orgWrite, Handle: s.handleDeleteIdP})
	s.mountApps(rt)
	s.mountServiceTokens(rt)
}
