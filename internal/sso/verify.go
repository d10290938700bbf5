package sso

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/dnsverify"
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

// verifyBeforeEnable makes sure the connector is verified before it is
// enabled: a connector that is not yet verified is checked at once (within
// CheckTimeout), so the guide's "publish the record, then PATCH enabled"
// works without a begin_verification call it never makes. An awaiting or
// failed connector starts verification first (a failed one claims its
// domain again), so a miss leaves it pending and the worker keeps checking.
// There is no cooldown here, unlike begin_verification: every call is an
// authenticated write, and a cooldown would refuse a record published
// seconds after the worker's last miss.
func (s *Service) verifyBeforeEnable(ctx context.Context, accountID, id string) error {
	c, err := s.Get(ctx, accountID, id)
	if err != nil || c.Enabled || c.Status == Verified {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, CheckTimeout)
	defer cancel()
	if c.Status != Pending {
		err = s.mutate(ctx, accountID, id, func(cur *Connector) (string, error) {
			*cur = begin(*cur, s.settings, s.now().UTC())
			return "sso_connector_verification_begin", nil
		}, &c, nil)
		if err != nil {
			return err
		}
	}
	checked, err := s.check(ctx, c)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return notVerified(c, fmt.Sprintf("DNS did not answer within %s; try again.", CheckTimeout))
	case err != nil:
		return err
	case checked.Status == Verified:
		return nil
	}
	return notVerified(checked, checkSummary(checked))
}

// notVerified is the refusal to enable: what to publish, where, and what
// the last check saw.
func notVerified(c Connector, seen string) error {
	msg := fmt.Sprintf("SSO connector for %s cannot be enabled: its domain is not verified (status %s). "+
		"Publish a TXT record at %s with the value %q, wait for it to reach the domain's name servers and try again.",
		c.EmailDomain, c.Status, c.EmailDomain, c.Code)
	if seen != "" {
		msg += " " + seen
	}
	return api.Invalid("/enabled", "%s", msg)
}

// checkSummary says what each name server answered at the check just run,
// or the stored reason when no fresh result is at hand.
func checkSummary(c Connector) string {
	if c.LastResult == nil && c.lastResult != "" {
		var stored dnsverify.Result
		if json.Unmarshal([]byte(c.lastResult), &stored) == nil {
			c.LastResult = &stored
		}
	}
	if c.LastResult == nil || len(c.LastResult.Servers) == 0 {
		if c.Reason == "" {
			return ""
		}
		return "Last check: " + c.Reason
	}
	parts := make([]string, 0, len(c.LastResult.Servers))
	for _, r := range c.LastResult.Servers {
		parts = append(parts, r.Server+": "+serverAnswer(r))
	}
	return "Name servers asked: " + strings.Join(parts, "; ") + "."
}

// serverAnswer is one name server's answer in words.
func serverAnswer(r dnsverify.ServerResult) string {
	switch {
	case r.Verdict == dnsverify.Found:
		return "has the record"
	case r.Verdict == dnsverify.Indeterminate && r.Error != "":
		return "no definite answer (" + r.Error + ")"
	case r.Verdict == dnsverify.Indeterminate:
		return "no definite answer"
	case r.CNAME != "":
		return "the name is an alias (CNAME to " + r.CNAME + "), which cannot carry a TXT record"
	case r.Rcode == "NXDOMAIN":
		return "NXDOMAIN, the name does not exist"
	case len(r.Records) == 0:
		return "no TXT records"
	default:
		return fmt.Sprintf("%d TXT record(s), none of them the code: %s", len(r.Records), quoteAll(r.Records, 3))
	}
}

// quoteAll quotes up to max values, noting how many more there were.
func quoteAll(vs []string, max int) string {
	q := make([]string, 0, max+1)
	for i, v := range vs {
		if i == max {
			q = append(q, fmt.Sprintf("and %d more", len(vs)-max))
			break
		}
		q = append(q, strconv.Quote(v))
	}
	return strings.Join(q, ", ")
}

// check runs one DNS check for a pending connector and applies it. The
// result is dropped (and the stored row returned) if the connector changed
// or vanished while DNS was being asked.
func (s *Service) check(ctx context.Context, c Connector) (Connector, error) {
	res := s.checker.Check(ctx, c.EmailDomain, c.Code)
	if ctx.Err() != nil {
		s.metrics.DNSCheck("error")
		return c, ctx.Err()
	}
	s.metrics.DNSCheck(string(res.Verdict))
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
// The actor is whoever asked (a PATCH or begin_verification), or ssogate
// itself for the worker, whose context carries no actor.
func recordCheck(ctx context.Context, q store.Querier, before, after Connector) error {
	if before.Status == after.Status {
		return nil
	}
	action := "sso_connector_verified"
	if after.Status == Failed {
		action = "sso_connector_verification_failed"
	}
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
