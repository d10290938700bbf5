package access

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ssogate/ssogate/internal/access/policy"
	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/audit"
	"github.com/ssogate/ssogate/internal/ids"
	"github.com/ssogate/ssogate/internal/store"
)

// ConnectorDomains returns the email domains of an account's enabled,
// verified SSO connectors. The sso package owns that table; the wiring
// hands its query to Access (SetConnectorDomains), so neither package
// imports the other.
type ConnectorDomains func(ctx context.Context, q store.Querier, accountID string) ([]string, error)

// SetConnectorDomains registers where the "SSO App" learns which domains
// are enforced. Without it, the account is taken to have none.
func (s *Service) SetConnectorDomains(f ConnectorDomains) { s.connectorDomains = f }

// dashPolicyPrefix names the allow policy the SSO App keeps per domain.
const dashPolicyPrefix = "SSO connector: "

// ReconcileDashSSO makes the account's "SSO App" (type dash_sso) match the
// state instead of the moment something changed. It runs, inside the
// caller's transaction, whenever an input changes: a connector enabled or
// disabled, the Access organization created, an identity provider created
// or deleted. The rule:
//
//   - no Access organization: nothing (there is no team domain to serve
//     the app from); the app is created by the organization's creation;
//   - an enabled connector: the app exists, is in the App Launcher and has
//     one allow policy per enabled domain ("SSO connector: <domain>"); its
//     allowed_idps stays empty, which means every identity provider of the
//     account, so providers added or removed later are offered at once;
//   - no enabled connector: the domains' policies are removed and the app
//     is hidden; with no policy nobody is admitted. The app itself is kept,
//     so its AUD survives a disable/enable.
//
// It returns a note for the caller when an enabled connector has no SSO
// App yet because the organization is missing.
func (s *Service) ReconcileDashSSO(ctx context.Context, q store.Querier, accountID string) (note string, err error) {
	// It may run in another package's transaction (a connector toggled):
	// announce the change there, not only in this package's own.
	if err := s.announce(ctx, q, accountID); err != nil {
		return "", err
	}
	domains, err := s.enforcedDomains(ctx, q, accountID)
	if err != nil {
		return "", err
	}
	org, err := s.GetOrganization(ctx, q, accountID)
	if errors.Is(err, store.ErrNotFound) {
		if len(domains) > 0 {
			return "No SSO App yet: the account has no Access organization (team domain). It is created, " +
				"with this domain's policy, as soon as the organization is (POST …/access/organizations).", nil
		}
		return "", nil
	}
	if err != nil {
		return "", err
	}
	app, err := s.dashApp(ctx, q, accountID, org, len(domains) > 0)
	if err != nil || app == nil {
		return "", err
	}
	added, removed, err := s.syncDashPolicies(ctx, q, accountID, app.ID, domains)
	if err != nil {
		return "", err
	}
	visible := len(domains) > 0
	if len(added)+len(removed) == 0 && app.AppLauncherVisible == visible {
		return "", nil
	}
	return "", s.saveDashApp(ctx, q, *app, visible, added, removed)
}

func (s *Service) enforcedDomains(ctx context.Context, q store.Querier, accountID string) ([]string, error) {
	if s.connectorDomains == nil {
		return nil, nil
	}
	return s.connectorDomains(ctx, q, accountID)
}

// syncDashPolicies gives the app exactly one allow policy per domain,
// returning the domains whose policy it added and removed. Policies an
// admin added to the app under other names are left alone.
func (s *Service) syncDashPolicies(ctx context.Context, q store.Querier, accountID, appID string, domains []string) (added, removed []string, err error) {
	have, err := s.dashPolicyDomains(ctx, q, accountID, appID)
	if err != nil {
		return nil, nil, err
	}
	for _, d := range have {
		if !slices.Contains(domains, d) {
			if _, err := q.ExecContext(ctx, `DELETE FROM access_policies WHERE account_id=$1 AND app_id=$2 AND name=$3`,
				accountID, appID, dashPolicyPrefix+d); err != nil {
				return nil, nil, err
			}
			removed = append(removed, d)
		}
	}
	for _, d := range domains {
		if !slices.Contains(have, d) {
			if err := s.insertDomainPolicy(ctx, q, accountID, appID, dashPolicyPrefix+d, d); err != nil {
				return nil, nil, err
			}
			added = append(added, d)
		}
	}
	return added, removed, nil
}

// dashPolicyDomains lists the domains the app has a connector policy for.
func (s *Service) dashPolicyDomains(ctx context.Context, q store.Querier, accountID, appID string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT name FROM access_policies WHERE account_id=$1 AND app_id=$2`, accountID, appID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		if d, ok := strings.CutPrefix(name, dashPolicyPrefix); ok {
			out = append(out, d)
		}
	}
	return out, rows.Err()
}

// saveDashApp stores the app's launcher visibility and audits what the
// reconciliation changed.
func (s *Service) saveDashApp(ctx context.Context, q store.Querier, app App, visible bool, added, removed []string) error {
	old := app
	app.AppLauncherVisible = visible
	app.UpdatedAt = s.now()
	config, _ := json.Marshal(app.AppSettings)
	if _, err := q.ExecContext(ctx, `UPDATE access_apps SET config=$3, updated_on=$4 WHERE account_id=$1 AND id=$2`,
		app.AccountID, app.ID, string(config), store.Micros(app.UpdatedAt)); err != nil {
		return err
	}
	return audit.Record(ctx, q, audit.Event{AccountID: app.AccountID, Action: "access_app_update", Result: true,
		ResourceID: app.ID, ResourceType: "access_app", OldValue: old, NewValue: app,
		Metadata: map[string]any{"reason": "SSO App follows the enabled SSO connectors",
			"domains_added": nonNil(added), "domains_removed": nonNil(removed)}})
}

// dashApp returns the account's dash_sso app, creating it when create is
// set; nil when it does not exist and create is not set.
func (s *Service) dashApp(ctx context.Context, q store.Querier, accountID string, org Organization, create bool) (*App, error) {
	existing, err := s.AppOfType(ctx, q, accountID, TypeDashSSO)
	if err != nil || existing != nil || !create {
		return existing, err
	}
	now := s.now()
	a := App{ID: ids.NewUUID(), AUD: newAUD(), AccountID: accountID, Name: "SSO App", Type: TypeDashSSO, Domain: org.AuthDomain,
		AppSettings: AppSettings{SessionDuration: "24h", AllowedIdPs: []string{}, Tags: []string{}, AppLauncherVisible: true},
		CreatedAt:   now, UpdatedAt: now}
	config, _ := json.Marshal(a.AppSettings)
	if _, err := q.ExecContext(ctx, `INSERT INTO access_apps (`+appColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
		a.ID, accountID, a.AUD, a.Name, a.Type, a.Domain, string(config), store.Micros(now), store.Micros(now)); err != nil {
		return nil, store.Translate(err)
	}
	return &a, audit.Record(ctx, q, audit.Event{AccountID: accountID, Action: "access_app_create", Result: true,
		ResourceID: a.ID, ResourceType: "access_app", NewValue: a, Metadata: map[string]any{"reason": "an SSO connector is enabled"}})
}

func (s *Service) insertDomainPolicy(ctx context.Context, q store.Querier, accountID, appID, name, domain string) error {
	now := s.now()
	p := Policy{ID: ids.NewUUID(), AccountID: accountID, AppID: appID, Name: name, Decision: policy.DecisionAllow,
		Include: []policy.Rule{policy.EmailDomain(domain)}}
	rules, settings := encodePolicy(p)
	if _, err := q.ExecContext(ctx, `INSERT INTO access_policies (id, account_id, app_id, name, decision, rules,
		settings, created_on, updated_on) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`, p.ID, accountID, appID, name,
		p.Decision, rules, settings, store.Micros(now), store.Micros(now)); err != nil {
		return fmt.Errorf("SSO App policy: %w", err)
	}
	prec := 0
	return s.linkAppend(ctx, q, appID, p.ID, &prec)
}

// dashAppLocked refuses to delete the SSO App while a connector enforces
// SSO: the dashboard's SSO sign-in goes through it.
func (s *Service) dashAppLocked(ctx context.Context, q store.Querier, a App) error {
	if a.Type != TypeDashSSO {
		return nil
	}
	domains, err := s.enforcedDomains(ctx, q, a.AccountID)
	if err != nil || len(domains) == 0 {
		return err
	}
	return api.Invalid("", "the SSO App cannot be deleted while SSO is enforced for %s: the dashboard's SSO sign-in goes "+
		"through it; disable the SSO connector(s) first", strings.Join(domains, ", "))
}
