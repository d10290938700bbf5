package access

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ssogate/ssogate/internal/access/policy"
	"github.com/ssogate/ssogate/internal/audit"
	"github.com/ssogate/ssogate/internal/ids"
	"github.com/ssogate/ssogate/internal/store"
)

// SetDashSSO keeps the account's "SSO App" (type dash_sso) in step with an
// SSO connector, inside the connector's transaction: enabling makes sure
// the app exists, is shown in the App Launcher and has an allow policy for
// the connector's email domain (all the account's IdPs may be used, as
// allowed_idps is empty); disabling removes that domain's policy and, when
// no domain is left, hides the app — with no policy, nobody is admitted.
// Without an Access organization there is no team domain to serve the app
// from: the connector still changes, and the returned note says why no
// SSO App exists yet.
func (s *Service) SetDashSSO(ctx context.Context, q store.Querier, accountID, domain string, enabled bool) (note string, err error) {
	org, err := s.GetOrganization(ctx, q, accountID)
	if errors.Is(err, store.ErrNotFound) {
		if enabled {
			return "No SSO App was created: the account has no Access organization (team domain) yet. Create one and an identity provider, then disable and enable the connector again.", nil
		}
		return "", nil
	}
	if err != nil {
		return "", err
	}
	app, err := s.dashApp(ctx, q, accountID, org, enabled)
	if err != nil || app == nil {
		return "", err
	}
	name := "SSO connector: " + domain
	if _, err := q.ExecContext(ctx, `DELETE FROM access_policies WHERE account_id=$1 AND app_id=$2 AND name=$3`,
		accountID, app.ID, name); err != nil {
		return "", err
	}
	if enabled {
		if err := s.insertDomainPolicy(ctx, q, accountID, app.ID, name, domain); err != nil {
			return "", err
		}
	}
	var left int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM access_policies WHERE app_id=$1`, app.ID).Scan(&left); err != nil {
		return "", err
	}
	app.AppLauncherVisible = left > 0
	config, _ := json.Marshal(app.AppSettings)
	_, err = q.ExecContext(ctx, `UPDATE access_apps SET config=$2, updated_on=$3 WHERE id=$1`, app.ID, string(config), store.Micros(s.now()))
	return "", err
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
		ResourceID: a.ID, ResourceType: "access_app", NewValue: a, Metadata: map[string]any{"reason": "sso connector enabled"}})
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
