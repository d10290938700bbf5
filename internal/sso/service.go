package sso

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"time"

	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/audit"
	"github.com/ssogate/ssogate/internal/dnsverify"
	"github.com/ssogate/ssogate/internal/domains"
	"github.com/ssogate/ssogate/internal/ids"
	"github.com/ssogate/ssogate/internal/metrics"
	"github.com/ssogate/ssogate/internal/store"
)

// Checker checks one domain's TXT record; *dnsverify.Verifier is one.
type Checker interface {
	Check(ctx context.Context, domain, expected string) dnsverify.Result
}

// Service is the SSO connector domain's entry point.
type Service struct {
	db       *store.DB
	checker  Checker
	policy   domains.Policy
	settings Settings
	log      *slog.Logger
	now      func() time.Time
	// onEnabled runs inside the transaction that enables or disables a
	// connector (Access keeps its "SSO App" in step); its note, if any, is
	// returned to the caller.
	onEnabled func(ctx context.Context, q store.Querier, c Connector) (note string, err error)
	metrics   *metrics.Metrics // nil: checks not counted
}

// OnEnabledChange registers the hook run when a connector is enabled or
// disabled, in the same transaction.
func (s *Service) OnEnabledChange(f func(ctx context.Context, q store.Querier, c Connector) (string, error)) {
	s.onEnabled = f
}

// Config configures a Service.
type Config struct {
	Settings Settings
	Policy   domains.Policy
	Now      func() time.Time // nil: time.Now
	// Metrics counts DNS checks by outcome (nil: not counted).
	Metrics *metrics.Metrics
}

// NewService returns a Service.
func NewService(db *store.DB, checker Checker, cfg Config, log *slog.Logger) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Now = store.Clock(cfg.Now)
	if cfg.Settings.PendingTTL <= 0 {
		cfg.Settings.PendingTTL = 48 * time.Hour
	}
	return &Service{db: db, checker: checker, policy: cfg.Policy, settings: cfg.Settings, log: log, now: cfg.Now,
		metrics: cfg.Metrics}
}

// CreateInput is the create body. BeginVerification is a pointer because
// absent and false differ: absent starts verification (the guide's create
// answers "pending"), only an explicit false leaves the connector awaiting.
type CreateInput struct {
	EmailDomain        *string `json:"email_domain"`
	BeginVerification  *bool   `json:"begin_verification"`
	UseFedrampLanguage bool    `json:"use_fedramp_language"`
}

// begins reports whether a create starts verification at once.
func (in CreateInput) begins() bool { return in.BeginVerification == nil || *in.BeginVerification }

// Create claims an email domain for the account.
func (s *Service) Create(ctx context.Context, accountID string, in CreateInput) (Connector, error) {
	if in.EmailDomain == nil {
		return Connector{}, api.Invalid("/email_domain", "email_domain is required, e.g. {\"email_domain\":\"acmecorp.company\"}")
	}
	domain, err := s.policy.Check(*in.EmailDomain)
	if err != nil {
		var de *domains.Error
		if errors.As(err, &de) {
			return Connector{}, api.Invalid("/email_domain", "%s", de.Message)
		}
		return Connector{}, err
	}
	now := s.now().UTC()
	deadline := now.Add(s.settings.PendingTTL)
	c := Connector{ID: ids.NewHex32(), AccountID: accountID, EmailDomain: domain, UseFedRAMP: in.UseFedrampLanguage,
		Code: NewCode(), Status: Awaiting, Deadline: &deadline, Version: 1, CreatedOn: now, UpdatedOn: now}
	c.Reason = awaitingReason(c)
	if in.begins() {
		// The first check waits a minute, like the ones after it: the code
		// was minted by this request, so asking DNS now can only miss.
		c = begin(c, s.settings, now)
		first := now.Add(backoff(0))
		c.NextCheckAt = &first
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.checkClaim(ctx, tx, c); err != nil {
			return err
		}
		if err := insert(ctx, tx, c); err != nil {
			return s.claimConflict(ctx, tx, c, err)
		}
		return record(ctx, tx, c, "sso_connector_create", nil)
	})
	return c, err
}

// checkClaim refuses a domain whose parent or child another account has
// verified, and explains a duplicate within the account.
func (s *Service) checkClaim(ctx context.Context, q store.Querier, c Connector) error {
	if own, err := findByAccountDomain(ctx, q, c.AccountID, c.EmailDomain); err == nil {
		return api.Errorf(400, api.CodeConflict, "This account already has SSO connector %s for %s; use it instead of creating another",
			own.ID, c.EmailDomain)
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	near, err := liveClaimsNear(ctx, q, c.AccountID, c.EmailDomain)
	if err != nil {
		return err
	}
	if len(near) > 0 {
		return api.Errorf(400, api.CodeConflict, "%s overlaps %s, which another account has verified; a domain and its subdomains belong to one account",
			c.EmailDomain, near[0].EmailDomain)
	}
	return nil
}

// claimConflict turns the unique-claim violation into a message that says
// what to do without revealing which account holds the domain.
func (s *Service) claimConflict(ctx context.Context, q store.Querier, c Connector, err error) error {
	if !errors.Is(err, store.ErrConflict) {
		return err
	}
	if store.UniqueViolationOn(err, "claim_domain") {
		return api.Errorf(400, api.CodeConflict, "%s is already claimed by an SSO connector of another account. "+
			"It must be deleted there first; a claim that is not verified within %s is released automatically",
			c.EmailDomain, s.settings.PendingTTL)
	}
	return api.Errorf(400, api.CodeConflict, "An SSO connector for %s already exists", c.EmailDomain)
}

// Get returns one connector of the account.
func (s *Service) Get(ctx context.Context, accountID, id string) (Connector, error) {
	c, err := get(ctx, s.db, accountID, id)
	if errors.Is(err, store.ErrNotFound) {
		return c, api.NotFound("SSO connector %s was not found in this account", id)
	}
	return c, err
}

// List returns the account's connectors.
func (s *Service) List(ctx context.Context, accountID string) ([]Connector, error) {
	return list(ctx, s.db, accountID)
}

// UpdateInput is the PATCH body; absent fields are left as they are.
type UpdateInput struct {
	Enabled            *bool `json:"enabled"`
	UseFedrampLanguage *bool `json:"use_fedramp_language"`
}

// Update applies a PATCH. Enabling requires a verified domain, and checks
// DNS at once when the domain is not verified yet (the guide publishes the
// record and PATCHes, nothing else); disabling always works, because it is
// how a locked-out admin restores password login. The note says what else
// happened (or could not), for the response.
func (s *Service) Update(ctx context.Context, accountID, id string, in UpdateInput) (c Connector, note string, err error) {
	if in.Enabled != nil && *in.Enabled {
		if err := s.verifyBeforeEnable(ctx, accountID, id); err != nil {
			return Connector{}, "", err
		}
	}
	var out Connector
	err = s.mutate(ctx, accountID, id, func(c *Connector) (string, error) {
		action := "sso_connector_update"
		if in.Enabled != nil && *in.Enabled && !c.Enabled {
			if c.Status != Verified {
				return "", notVerified(*c, checkSummary(*c))
			}
			action = "sso_connector_enable"
		}
		if in.Enabled != nil && !*in.Enabled && c.Enabled {
			action = "sso_connector_disable"
		}
		if in.Enabled != nil {
			c.Enabled = *in.Enabled
		}
		if in.UseFedrampLanguage != nil {
			c.UseFedRAMP = *in.UseFedrampLanguage
		}
		return action, nil
	}, &out, &note)
	return out, note, err
}

// Delete removes a disabled connector and releases its domain.
func (s *Service) Delete(ctx context.Context, accountID, id string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		c, err := get(ctx, tx, accountID, id)
		if errors.Is(err, store.ErrNotFound) {
			return api.NotFound("SSO connector %s was not found in this account", id)
		}
		if err != nil {
			return err
		}
		if c.Enabled {
			return api.Invalid("", "SSO connector %s is enabled and enforces SSO for %s; disable it first with PATCH {\"enabled\":false}",
				id, c.EmailDomain)
		}
		if err := remove(ctx, tx, accountID, id); err != nil {
			return err
		}
		return record(ctx, tx, c, "sso_connector_delete", nil)
	})
}

// mutate loads a connector, lets change edit it (returning the audit
// action), and saves it with the audit entry in one transaction.
func (s *Service) mutate(ctx context.Context, accountID, id string, change func(*Connector) (string, error), out *Connector, note *string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		c, err := get(ctx, tx, accountID, id)
		if errors.Is(err, store.ErrNotFound) {
			return api.NotFound("SSO connector %s was not found in this account", id)
		}
		if err != nil {
			return err
		}
		old := c
		action, err := change(&c)
		if err != nil {
			return err
		}
		c.Version++
		c.UpdatedOn = s.now().UTC()
		if err := save(ctx, tx, c); err != nil {
			return s.claimConflict(ctx, tx, c, err)
		}
		if c.Enabled != old.Enabled && s.onEnabled != nil {
			n, err := s.onEnabled(ctx, tx, c)
			if err != nil {
				return err
			}
			if note != nil {
				*note = n
			}
		}
		*out = c
		return record(ctx, tx, c, action, &old)
	})
}

func record(ctx context.Context, q store.Querier, c Connector, action string, old *Connector) error {
	ev := audit.Event{AccountID: c.AccountID, Action: action, Result: true, ResourceID: c.ID,
		ResourceType: "sso_connector", NewValue: c.View()}
	if old != nil {
		ev.OldValue = old.View()
	}
	return audit.Record(ctx, q, ev)
}
