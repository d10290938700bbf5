package access

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/audit"
	"github.com/ssogate/ssogate/internal/store"
)

// Organization is an account's Access organization.
type Organization struct {
	AccountID  string `json:"-"`
	Name       string `json:"name"`
	AuthDomain string `json:"auth_domain"`
	OrgSettings
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// OrgSettings are the organization's optional settings, stored as one
// JSON document. The booleans are always returned, as Cloudflare does
// (the Terraform provider reads a missing one as drift from false);
// the WARP, MFA and unmatched-request ones are kept and returned but
// change nothing: ssogate has no WARP client, MFA or zones.
type OrgSettings struct {
	SessionDuration          string       `json:"session_duration"`
	AutoRedirectToIdentity   bool         `json:"auto_redirect_to_identity"`
	IsUIReadOnly             bool         `json:"is_ui_read_only"`
	UIReadOnlyToggleReason   string       `json:"ui_read_only_toggle_reason,omitempty"`
	AllowAuthenticateViaWARP bool         `json:"allow_authenticate_via_warp"`
	WARPAuthNonBrowser401    bool         `json:"warp_auth_non_browser_401"`
	DenyUnmatchedRequests    bool         `json:"deny_unmatched_requests"`
	MFARequiredForAllApps    bool         `json:"mfa_required_for_all_apps"`
	LoginDesign              *LoginDesign `json:"login_design,omitempty"`
}

// LoginDesign is the look of the login page.
type LoginDesign struct {
	BackgroundColor string `json:"background_color,omitempty"`
	TextColor       string `json:"text_color,omitempty"`
	LogoPath        string `json:"logo_path,omitempty"`
	HeaderText      string `json:"header_text,omitempty"`
	FooterText      string `json:"footer_text,omitempty"`
}

// OrgInput is a create or (merged) update body.
type OrgInput struct {
	Name                   *string      `json:"name"`
	AuthDomain             *string      `json:"auth_domain"`
	SessionDuration        *string      `json:"session_duration"`
	AutoRedirectToIdentity *bool        `json:"auto_redirect_to_identity"`
	IsUIReadOnly           *bool        `json:"is_ui_read_only"`
	UIReadOnlyToggleReason *string      `json:"ui_read_only_toggle_reason"`
	AllowAuthenticateVia   *bool        `json:"allow_authenticate_via_warp"`
	WARPAuthNonBrowser401  *bool        `json:"warp_auth_non_browser_401"`
	DenyUnmatchedRequests  *bool        `json:"deny_unmatched_requests"`
	MFARequiredForAllApps  *bool        `json:"mfa_required_for_all_apps"`
	LoginDesign            *LoginDesign `json:"login_design"`
}

var teamLabel = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// checkAuthDomain accepts "<team>.<access domain>" (or the bare team name)
// and returns the full team domain.
func checkAuthDomain(v, accessDomain string) (string, error) {
	v = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(v)), ".")
	team := strings.TrimSuffix(v, "."+accessDomain)
	if !teamLabel.MatchString(team) {
		return "", api.Invalid("/auth_domain", "auth_domain must be <team>.%s where <team> is 1-63 letters, digits or hyphens, not %q",
			accessDomain, v)
	}
	return team + "." + accessDomain, nil
}

// checkDuration validates a Cloudflare duration string such as "24h".
func checkDuration(ptr, v string, min, max time.Duration) error {
	d, err := time.ParseDuration(v)
	if err != nil || d < min || d > max {
		return api.Invalid(ptr, "%s must be a duration from %s to %s such as \"24h\" or \"30m\", not %q",
			strings.TrimPrefix(ptr, "/"), min, max, v)
	}
	return nil
}

func (s *Service) applyOrg(o *Organization, in OrgInput) error {
	if in.Name != nil {
		name := strings.TrimSpace(*in.Name)
		if name == "" || len(name) > 200 {
			return api.Invalid("/name", "name must be 1 to 200 characters")
		}
		o.Name = name
	}
	if in.AuthDomain != nil {
		d, err := checkAuthDomain(*in.AuthDomain, s.cfg.AccessDomain)
		if err != nil {
			return err
		}
		o.AuthDomain = d
	}
	if in.SessionDuration != nil {
		if err := checkDuration("/session_duration", *in.SessionDuration, 15*time.Minute, 730*time.Hour); err != nil {
			return err
		}
		o.SessionDuration = *in.SessionDuration
	}
	if in.AutoRedirectToIdentity != nil {
		o.AutoRedirectToIdentity = *in.AutoRedirectToIdentity
	}
	if in.IsUIReadOnly != nil {
		o.IsUIReadOnly = *in.IsUIReadOnly
	}
	if in.UIReadOnlyToggleReason != nil {
		if len(*in.UIReadOnlyToggleReason) > 1000 {
			return api.Invalid("/ui_read_only_toggle_reason", "ui_read_only_toggle_reason is at most 1000 characters")
		}
		o.UIReadOnlyToggleReason = *in.UIReadOnlyToggleReason
	}
	for _, f := range []struct {
		dst *bool
		in  *bool
	}{{&o.AllowAuthenticateViaWARP, in.AllowAuthenticateVia}, {&o.WARPAuthNonBrowser401, in.WARPAuthNonBrowser401},
		{&o.DenyUnmatchedRequests, in.DenyUnmatchedRequests}, {&o.MFARequiredForAllApps, in.MFARequiredForAllApps}} {
		if f.in != nil {
			*f.dst = *f.in
		}
	}
	if in.LoginDesign != nil {
		o.LoginDesign = in.LoginDesign
	}
	return nil
}

const orgColumns = `account_id, name, auth_domain, settings, created_on, updated_on`

func scanOrg(row interface{ Scan(...any) error }) (Organization, error) {
	var o Organization
	var settings string
	var created, updated int64
	if err := row.Scan(&o.AccountID, &o.Name, &o.AuthDomain, &settings, &created, &updated); err != nil {
		return o, store.Translate(err)
	}
	o.CreatedAt, o.UpdatedAt = store.FromMicros(created), store.FromMicros(updated)
	return o, json.Unmarshal([]byte(settings), &o.OrgSettings)
}

// GetOrganization returns the account's organization.
func (s *Service) GetOrganization(ctx context.Context, q store.Querier, accountID string) (Organization, error) {
	return scanOrg(q.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM access_organizations WHERE account_id=$1`, accountID))
}

// OrganizationByDomain finds the organization a team domain belongs to
// (every team-domain request asks, so it is one indexed query).
func (s *Service) OrganizationByDomain(ctx context.Context, authDomain string) (Organization, error) {
	return scanOrg(s.db.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM access_organizations WHERE auth_domain=$1`,
		strings.ToLower(authDomain)))
}

// CreateOrganization creates the account's organization.
func (s *Service) CreateOrganization(ctx context.Context, accountID string, in OrgInput) (Organization, error) {
	if in.Name == nil || in.AuthDomain == nil {
		return Organization{}, api.Invalid("", "name and auth_domain are required to create the organization, e.g. {\"name\":\"Acme\",\"auth_domain\":\"acme.%s\"}", s.cfg.AccessDomain)
	}
	now := s.now()
	o := Organization{AccountID: accountID, OrgSettings: OrgSettings{SessionDuration: "24h"}, CreatedAt: now, UpdatedAt: now}
	if err := s.applyOrg(&o, in); err != nil {
		return o, err
	}
	err := s.tx(ctx, accountID, func(tx *sql.Tx) error {
		settings, _ := json.Marshal(o.OrgSettings)
		_, err := tx.ExecContext(ctx, `INSERT INTO access_organizations (account_id, name, auth_domain, settings,
			created_on, updated_on) VALUES ($1,$2,$3,$4,$5,$6)`, accountID, o.Name, o.AuthDomain, string(settings),
			store.Micros(now), store.Micros(now))
		if err := orgConflict(store.Translate(err), o); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.Event{AccountID: accountID, Action: "access_organization_create",
			Result: true, ResourceID: accountID, ResourceType: "access_organization", NewValue: o}); err != nil {
			return err
		}
		_, err = s.ReconcileDashSSO(ctx, tx, accountID) // an enabled connector gets its SSO App now
		return err
	})
	return o, err
}

func orgConflict(err error, o Organization) error {
	switch {
	case err == nil:
		return nil
	case store.UniqueViolationOn(err, "auth_domain"):
		return api.Errorf(400, api.CodeConflict, "the team domain %s is taken; choose another team name", o.AuthDomain)
	case errors.Is(err, store.ErrConflict):
		return errOrgExists
	}
	return err
}

var errOrgExists = api.Errorf(400, api.CodeConflict, "this account already has an Access organization; update it with PUT")

// UpdateOrganization merges in into the organization, or creates it when
// the account has none: Cloudflare's PUT is an upsert, and the Terraform
// provider creates the organization with PUT only (issue 11).
// Both are audited as what they did.
func (s *Service) UpdateOrganization(ctx context.Context, accountID string, in OrgInput) (o Organization, err error) {
	for range 2 {
		o, err = s.updateOrganization(ctx, accountID, in)
		if !errors.Is(err, store.ErrNotFound) {
			return o, err
		}
		if o, err = s.CreateOrganization(ctx, accountID, in); !errors.Is(err, errOrgExists) {
			return o, err
		}
		// A concurrent PUT created it first: update that one.
	}
	return o, err
}

func (s *Service) updateOrganization(ctx context.Context, accountID string, in OrgInput) (Organization, error) {
	var o Organization
	err := s.tx(ctx, accountID, func(tx *sql.Tx) error {
		var err error
		o, err = s.GetOrganization(ctx, tx, accountID)
		if err != nil {
			return err
		}
		old := o
		if err := s.applyOrg(&o, in); err != nil {
			return err
		}
		if o.AuthDomain != old.AuthDomain {
			if err := s.teamDomainLocked(ctx, tx, accountID); err != nil {
				return err
			}
		}
		o.UpdatedAt = s.now()
		settings, _ := json.Marshal(o.OrgSettings)
		_, err = tx.ExecContext(ctx, `UPDATE access_organizations SET name=$2, auth_domain=$3, settings=$4,
			updated_on=$5 WHERE account_id=$1`, accountID, o.Name, o.AuthDomain, string(settings), store.Micros(o.UpdatedAt))
		if err := orgConflict(store.Translate(err), o); err != nil {
			return err
		}
		if o.AuthDomain != old.AuthDomain {
			// The App Launcher and the SSO App live on the team domain.
			if _, err := tx.ExecContext(ctx, `UPDATE access_apps SET domain=$2 WHERE account_id=$1 AND type IN ($3, $4)`,
				accountID, o.AuthDomain, TypeAppLauncher, TypeDashSSO); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Event{AccountID: accountID, Action: "access_organization_update",
			Result: true, ResourceID: accountID, ResourceType: "access_organization", OldValue: old, NewValue: o})
	})
	return o, err
}

// teamDomainLocked refuses to move the team domain while SSO connectors
// exist: the dashboard's SSO sign-in goes through it (Cloudflare answers
// auth_domain_cannot_be_updated_dash_sso).
func (s *Service) teamDomainLocked(ctx context.Context, q store.Querier, accountID string) error {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM sso_connectors WHERE account_id=$1`, accountID).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return api.Invalid("/auth_domain", "auth_domain_cannot_be_updated_dash_sso: the team domain cannot change while the account has %d SSO connector(s); delete them first", n)
	}
	return nil
}

// TeamURL is the base URL of a team domain, without a trailing slash
// (the iss of Access tokens).
func (s *Service) TeamURL(authDomain string) string {
	return s.cfg.Scheme + "://" + authDomain + s.cfg.PortSuffix
}
