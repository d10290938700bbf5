package access

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/ssogate/ssogate/internal/access/policy"
	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/audit"
	"github.com/ssogate/ssogate/internal/ids"
	"github.com/ssogate/ssogate/internal/store"
)

// Policy is an Access policy as the API shows it: reusable (AppID empty,
// linked to apps by id) or scoped to one application.
type Policy struct {
	ID              string        `json:"id"`
	Name            string        `json:"name"`
	Decision        string        `json:"decision"`
	Include         []policy.Rule `json:"include"`
	Exclude         []policy.Rule `json:"exclude"`
	Require         []policy.Rule `json:"require"`
	SessionDuration string        `json:"session_duration,omitempty"`
	PolicyRequirements
	Precedence int       `json:"precedence,omitempty"`
	Reusable   bool      `json:"reusable"`
	AppCount   int       `json:"app_count"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	AppID      string    `json:"-"`
	AccountID  string    `json:"-"`
}

// Decidable is the policy as the evaluator sees it.
func (p Policy) Decidable() policy.Policy {
	return policy.Policy{ID: p.ID, Name: p.Name, Decision: p.Decision, Include: p.Include,
		Exclude: p.Exclude, Require: p.Require, Precedence: p.Precedence}
}

// PolicyInput is a create or update body; PUT merges the keys sent.
type PolicyInput struct {
	Name            *string        `json:"name"`
	Decision        *string        `json:"decision"`
	Include         *[]policy.Rule `json:"include"`
	Exclude         *[]policy.Rule `json:"exclude"`
	Require         *[]policy.Rule `json:"require"`
	SessionDuration *string        `json:"session_duration"`
	PolicyRequirements
	Precedence *int `json:"precedence"`
	// MFAConfig and ConnectionRules are Cloudflare features ssogate does
	// not have (per-policy MFA, SSH/RDP connection rules): read only to be
	// refused when set, since a policy asking for MFA that admitted
	// without it would admit more than it says.
	MFAConfig       *json.RawMessage `json:"mfa_config"`
	ConnectionRules *json.RawMessage `json:"connection_rules"`
}

type ruleSet struct {
	Include []policy.Rule `json:"include"`
	Exclude []policy.Rule `json:"exclude"`
	Require []policy.Rule `json:"require"`
}

func applyPolicy(p *Policy, in PolicyInput, create bool) error {
	if in.MFAConfig != nil { // null decodes to nil: only a value is refused
		return api.Invalid("/mfa_config", "mfa_config is not supported: ssogate does not enforce MFA per policy, so a policy "+
			"requiring it would admit people without it. Leave it out (or null); require MFA at the identity provider")
	}
	if in.ConnectionRules != nil {
		return api.Invalid("/connection_rules", "connection_rules is not supported: ssogate has no SSH or RDP applications. Leave it out (or null)")
	}
	if create && (in.Name == nil || in.Decision == nil || in.Include == nil) {
		return api.Invalid("", "name, decision and include are required, e.g. {\"name\":\"Employees\",\"decision\":\"allow\",\"include\":[{\"email_domain\":{\"domain\":\"acmecorp.company\"}}]}")
	}
	if in.Name != nil {
		p.Name = strings.TrimSpace(*in.Name)
	}
	if in.Decision != nil {
		p.Decision = *in.Decision
	}
	for _, f := range []struct {
		dst *[]policy.Rule
		in  *[]policy.Rule
	}{{&p.Include, in.Include}, {&p.Exclude, in.Exclude}, {&p.Require, in.Require}} {
		if f.in != nil {
			*f.dst = *f.in
		}
	}
	p.Include, p.Exclude, p.Require = nonNil(p.Include), nonNil(p.Exclude), nonNil(p.Require)
	if in.SessionDuration != nil {
		if err := checkDuration("/session_duration", *in.SessionDuration, time.Minute, 730*time.Hour); err != nil {
			return err
		}
		p.SessionDuration = *in.SessionDuration
	}
	if err := checkRequirements(in.PolicyRequirements); err != nil {
		return err
	}
	mergeRequirements(&p.PolicyRequirements, in.PolicyRequirements)
	if in.Precedence != nil {
		if *in.Precedence < 1 {
			return api.Invalid("/precedence", "precedence must be 1 or more")
		}
		p.Precedence = *in.Precedence
	}
	if err := policy.ValidatePolicy(p.Decidable()); err != nil {
		return api.Invalid("", "%s", strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	return nil
}

const policyColumns = `p.id, p.account_id, COALESCE(p.app_id, ''), p.name, p.decision, p.rules, p.settings,
	p.created_on, p.updated_on`

func scanPolicy(row interface{ Scan(...any) error }, extra ...any) (Policy, error) {
	var p Policy
	var rules, settings string
	var created, updated int64
	dest := append([]any{&p.ID, &p.AccountID, &p.AppID, &p.Name, &p.Decision, &rules, &settings, &created, &updated}, extra...)
	if err := row.Scan(dest...); err != nil {
		return p, err
	}
	var rs ruleSet
	if err := json.Unmarshal([]byte(rules), &rs); err != nil {
		return p, err
	}
	var st policySettings
	if err := json.Unmarshal([]byte(settings), &st); err != nil {
		return p, err
	}
	p.Include, p.Exclude, p.Require = rs.Include, rs.Exclude, rs.Require
	p.SessionDuration, p.PolicyRequirements = st.SessionDuration, st.PolicyRequirements
	p.CreatedAt, p.UpdatedAt = store.FromMicros(created), store.FromMicros(updated)
	p.Reusable = p.AppID == ""
	return p, nil
}

func encodePolicy(p Policy) (rules, settings string) {
	r, _ := json.Marshal(ruleSet{Include: nonNil(p.Include), Exclude: nonNil(p.Exclude), Require: nonNil(p.Require)})
	s, _ := json.Marshal(policySettings{SessionDuration: p.SessionDuration, PolicyRequirements: p.PolicyRequirements})
	return string(r), string(s)
}

// policySettings is the settings column: what a policy has besides its
// rules.
type policySettings struct {
	SessionDuration string `json:"session_duration"`
	PolicyRequirements
}

// nonNil makes a nil slice encode as [] rather than null.
func nonNil[T any](r []T) []T {
	if r == nil {
		return []T{}
	}
	return r
}

// getPolicy reads one policy of the account, with its app count.
func getPolicy(ctx context.Context, q store.Querier, accountID, id string) (Policy, error) {
	var count int
	p, err := scanPolicy(q.QueryRowContext(ctx, `SELECT `+policyColumns+`,
		(SELECT COUNT(*) FROM access_app_policies l WHERE l.policy_id = p.id)
		FROM access_policies p WHERE p.account_id=$1 AND p.id=$2`, accountID, id), &count)
	if errors.Is(store.Translate(err), store.ErrNotFound) {
		return p, api.NotFound("Access policy %s was not found in this account", id)
	}
	p.AppCount = count
	return p, err
}

// appPolicy reads a policy as one application uses it (its own, or a
// reusable one linked to it), with its precedence there.
func appPolicy(ctx context.Context, q store.Querier, accountID, appID, id string) (Policy, error) {
	p, err := getPolicy(ctx, q, accountID, id)
	if err != nil {
		return p, err
	}
	err = q.QueryRowContext(ctx, `SELECT precedence FROM access_app_policies WHERE app_id=$1 AND policy_id=$2`,
		appID, id).Scan(&p.Precedence)
	if errors.Is(store.Translate(err), store.ErrNotFound) {
		return p, api.NotFound("Access policy %s is not used by application %s", id, appID)
	}
	return p, err
}

// ListPolicies lists the account's reusable policies.
func (s *Service) ListPolicies(ctx context.Context, accountID string) ([]Policy, error) {
	return queryPolicies(ctx, s.db, `SELECT `+policyColumns+`,
		(SELECT COUNT(*) FROM access_app_policies l WHERE l.policy_id = p.id), 0
		FROM access_policies p WHERE p.account_id=$1 AND p.app_id IS NULL ORDER BY p.created_on, p.id`, accountID)
}

// AppPolicies lists the policies that apply to an application (its own and
// the reusable ones linked to it), by precedence.
func (s *Service) AppPolicies(ctx context.Context, q store.Querier, accountID, appID string) ([]Policy, error) {
	return queryPolicies(ctx, q, `SELECT `+policyColumns+`,
		(SELECT COUNT(*) FROM access_app_policies c WHERE c.policy_id = p.id), l.precedence
		FROM access_app_policies l JOIN access_policies p ON p.id = l.policy_id
		WHERE p.account_id=$1 AND l.app_id=$2 ORDER BY l.precedence`, accountID, appID)
}

func queryPolicies(ctx context.Context, q store.Querier, query string, args ...any) ([]Policy, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Policy{}
	for rows.Next() {
		var count, precedence int
		p, err := scanPolicy(rows, &count, &precedence)
		if err != nil {
			return nil, err
		}
		p.AppCount, p.Precedence = count, precedence
		out = append(out, p)
	}
	return out, rows.Err()
}

// CreatePolicy creates a reusable policy (appID "") or one scoped to an app.
func (s *Service) CreatePolicy(ctx context.Context, accountID, appID string, in PolicyInput) (Policy, error) {
	now := s.now()
	p := Policy{ID: ids.NewUUID(), AccountID: accountID, AppID: appID, Reusable: appID == "", CreatedAt: now, UpdatedAt: now}
	if err := applyPolicy(&p, in, true); err != nil {
		return p, err
	}
	err := s.tx(ctx, accountID, func(tx *sql.Tx) error {
		if err := checkServiceTokenRefs(ctx, tx, accountID, nil, p); err != nil {
			return err
		}
		rules, settings := encodePolicy(p)
		var app any
		if appID != "" {
			if _, err := s.getApp(ctx, tx, accountID, appID); err != nil {
				return err
			}
			app = appID
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO access_policies (id, account_id, app_id, name, decision, rules,
			settings, created_on, updated_on) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`, p.ID, accountID, app, p.Name,
			p.Decision, rules, settings, store.Micros(now), store.Micros(now)); err != nil {
			return store.Translate(err)
		}
		if appID != "" {
			if err := s.linkAppend(ctx, tx, appID, p.ID, &p.Precedence); err != nil {
				return err
			}
			p.AppCount = 1 // as a later GET counts it
		}
		return audit.Record(ctx, tx, audit.Event{AccountID: accountID, Action: "access_policy_create", Result: true,
			ResourceID: p.ID, ResourceType: "access_policy", NewValue: p})
	})
	return p, err
}

// linkAppend links a policy to an app at the given precedence, or after the
// last one when it is 0.
func (s *Service) linkAppend(ctx context.Context, q store.Querier, appID, policyID string, precedence *int) error {
	if *precedence == 0 {
		if err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(precedence), 0) + 1 FROM access_app_policies
			WHERE app_id=$1`, appID).Scan(precedence); err != nil {
			return err
		}
	}
	_, err := q.ExecContext(ctx, `INSERT INTO access_app_policies (app_id, policy_id, precedence) VALUES ($1,$2,$3)`,
		appID, policyID, *precedence)
	if store.IsUniqueViolation(err) {
		return api.Invalid("/precedence", "precedence %d is already used by another policy of this application", *precedence)
	}
	return err
}

// UpdatePolicy merges in into a policy (appID "" for reusable ones).
func (s *Service) UpdatePolicy(ctx context.Context, accountID, appID, id string, in PolicyInput) (Policy, error) {
	var p Policy
	err := s.tx(ctx, accountID, func(tx *sql.Tx) error {
		var err error
		if p, err = getPolicy(ctx, tx, accountID, id); err != nil {
			return err
		}
		if p.AppID != appID {
			return api.NotFound("Access policy %s was not found here", id)
		}
		old := p
		if err := applyPolicy(&p, in, false); err != nil {
			return err
		}
		if err := checkServiceTokenRefs(ctx, tx, accountID, &old, p); err != nil {
			return err
		}
		p.UpdatedAt = s.now()
		rules, settings := encodePolicy(p)
		if _, err := tx.ExecContext(ctx, `UPDATE access_policies SET name=$3, decision=$4, rules=$5, settings=$6,
			updated_on=$7 WHERE account_id=$1 AND id=$2`, accountID, id, p.Name, p.Decision, rules, settings,
			store.Micros(p.UpdatedAt)); err != nil {
			return err
		}
		if appID != "" && in.Precedence == nil {
			if err := tx.QueryRowContext(ctx, `SELECT precedence FROM access_app_policies WHERE app_id=$1 AND policy_id=$2`,
				appID, id).Scan(&p.Precedence); err != nil {
				return err
			}
		}
		if appID != "" && in.Precedence != nil {
			_, err := tx.ExecContext(ctx, `UPDATE access_app_policies SET precedence=$3 WHERE app_id=$1 AND policy_id=$2`,
				appID, id, p.Precedence)
			if store.IsUniqueViolation(err) {
				return api.Invalid("/precedence", "precedence %d is already used by another policy of this application", p.Precedence)
			}
			if err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Event{AccountID: accountID, Action: "access_policy_update", Result: true,
			ResourceID: id, ResourceType: "access_policy", OldValue: old, NewValue: p})
	})
	return p, err
}

// DeletePolicy deletes a policy. A reusable policy still linked to apps is
// refused, so no application silently loses the policy that admitted people.
func (s *Service) DeletePolicy(ctx context.Context, accountID, appID, id string) error {
	return s.tx(ctx, accountID, func(tx *sql.Tx) error {
		p, err := getPolicy(ctx, tx, accountID, id)
		if err != nil {
			return err
		}
		switch {
		case appID == "" && p.AppID != "", appID != "" && p.AppID != appID && p.AppID != "":
			return api.NotFound("Access policy %s was not found here", id)
		case appID != "" && p.AppID == "":
			// An app's link to a reusable policy: unlink only.
			res, err := tx.ExecContext(ctx, `DELETE FROM access_app_policies WHERE app_id=$1 AND policy_id=$2`, appID, id)
			if err := store.Affected(res, err); err != nil {
				return api.NotFound("Access policy %s is not linked to this application", id)
			}
		case p.AppID == "" && p.AppCount > 0:
			return api.Invalid("", "policy %s is used by %d application(s); remove it from them first", id, p.AppCount)
		default:
			if _, err := tx.ExecContext(ctx, `DELETE FROM access_policies WHERE account_id=$1 AND id=$2`, accountID, id); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Event{AccountID: accountID, Action: "access_policy_delete", Result: true,
			ResourceID: id, ResourceType: "access_policy", OldValue: p})
	})
}
