package sso

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/audit"
	"github.com/ssogate/ssogate/internal/store"
)

// BeginVerification moves the connector to pending and checks DNS at once
// (within ctx), so that a record already published verifies the connector
// before the response. A failed claim claims its domain again. Repeated
// calls within the manual cooldown do not query DNS again.
func (s *Service) BeginVerification(ctx context.Context, accountID, id string) (Connector, error) {
	var c Connector
	err := s.mutate(ctx, accountID, id, func(cur *Connector) (string, error) {
		if cur.Status == Verified {
			return "sso_connector_verification_begin", nil
		}
		recent := cur.Status == Pending && cur.LastCheckedOn != nil &&
			s.now().Sub(*cur.LastCheckedOn) < s.settings.ManualCooldown
		*cur = begin(*cur, s.settings, s.now().UTC())
		if recent {
			next := cur.LastCheckedOn.Add(s.settings.ManualCooldown)
			cur.NextCheckAt = &next
		}
		return "sso_connector_verification_begin", nil
	}, &c, nil)
	if err != nil || c.Status != Pending || c.NextCheckAt.After(s.now()) {
		return c, err
	}
	return s.check(ctx, c)
}

// check runs one DNS check for a pending connector and applies it. The
// result is dropped (and the stored row returned) if the connector changed
// or vanished while DNS was being asked.
func (s *Service) check(ctx context.Context, c Connector) (Connector, error) {
	res := s.checker.Check(ctx, c.EmailDomain, c.Code)
	if ctx.Err() != nil {
		return c, ctx.Err()
	}
	next := applyResult(c, res, s.now().UTC())
	next.Version++
	next.UpdatedOn = s.now().UTC()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := save(ctx, tx, next); err != nil {
			return err
		}
		return recordCheck(ctx, tx, c, next)
	})
	if errors.Is(err, store.ErrNotFound) {
		cur, gerr := get(ctx, s.db, c.AccountID, c.ID)
		if errors.Is(gerr, store.ErrNotFound) {
			return c, api.NotFound("SSO connector %s was deleted while its domain was being checked", c.ID)
		}
		return cur, gerr
	}
	return next, err
}

// recordCheck audits the transitions a check causes; a check that leaves
// the connector pending is not an audit event (the row keeps the result).
func recordCheck(ctx context.Context, q store.Querier, before, after Connector) error {
	if before.Status == after.Status {
		return nil
	}
	action := "sso_connector_verified"
	if after.Status == Failed {
		action = "sso_connector_verification_failed"
	}
	ctx = audit.WithActor(ctx, audit.System)
	return record(ctx, q, after, action, &before)
}

// expireDue fails unverified connectors whose deadline has passed.
func (s *Service) expireDue(ctx context.Context, limit int) (int, error) {
	due, err := dueToExpire(ctx, s.db, s.now(), limit)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range due {
		next := expire(c)
		next.Version++
		next.UpdatedOn = s.now().UTC()
		err := s.db.Tx(ctx, func(tx *sql.Tx) error {
			if err := save(ctx, tx, next); err != nil {
				return err
			}
			return recordCheck(ctx, tx, c, next)
		})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return n, err
		}
		n++
	}
	return n, nil
}

// CheckTimeout bounds the synchronous check of begin_verification.
const CheckTimeout = 10 * time.Second
