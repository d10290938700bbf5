package sso

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/ssogate/ssogate/internal/dnsverify"
)

// The transitions of the verification state machine, as pure functions of
// the connector, an event and the time. They never touch the database.

// Settings of the state machine.
type Settings struct {
	PendingTTL     time.Duration // how long a claim may stay unverified (default 48h)
	ManualCooldown time.Duration // begin_verification re-queries DNS at most this often
}

func awaitingReason(c Connector) string {
	return fmt.Sprintf("Publish a TXT record at %s with the value %q, then call begin_verification.",
		c.EmailDomain, c.Code)
}

// begin moves a connector into pending (from awaiting, failed or pending),
// with a fresh deadline and an immediate check. Verified connectors are
// left as they are.
func begin(c Connector, s Settings, now time.Time) Connector {
	if c.Status == Verified {
		return c
	}
	deadline := now.Add(s.PendingTTL)
	c.Status, c.Deadline, c.NextCheckAt, c.Attempts = Pending, &deadline, &now, 0
	c.Reason = fmt.Sprintf("Waiting for the TXT record %q at %s.", c.Code, c.EmailDomain)
	return c
}

// applyResult records a DNS check on a pending connector: found verifies
// it; anything else keeps it pending with the next check scheduled, or
// fails it once the deadline has passed.
func applyResult(c Connector, r dnsverify.Result, now time.Time) Connector {
	c.LastResult, c.LastCheckedOn = &r, &now
	c.Attempts++
	if c.Status != Pending {
		return c
	}
	switch {
	case r.Verdict == dnsverify.Found:
		c.Status, c.Reason, c.VerifiedOn, c.NextCheckAt = Verified, "", &now, nil
	case c.Deadline != nil && !now.Before(*c.Deadline):
		if r.Reason != "" {
			c.Reason = r.Reason
		}
		c = expire(c)
	default:
		next := now.Add(backoff(c.Attempts))
		c.NextCheckAt, c.Reason = &next, r.Reason
		if r.Reason == "" {
			c.Reason = fmt.Sprintf("The TXT record %q was not found at %s yet.", c.Code, c.EmailDomain)
		}
	}
	return c
}

// expire fails an unverified connector whose deadline has passed. The
// reason keeps the last thing DNS said, which is what the admin needs.
func expire(c Connector) Connector {
	last := c.Reason
	if c.Status == Awaiting || last == "" {
		last = "Verification was never started."
	}
	c.Status, c.NextCheckAt = Failed, nil
	c.Reason = "Not verified before the deadline; the domain claim was released. Last result: " + last +
		" Call begin_verification to try again."
	return c
}

// backoff is the wait before check number attempts+1: every minute for the
// first ten minutes, every five until about an hour, every fifteen until
// about six hours, then hourly; ±10% jitter spreads checks that fell due
// together (dns-verification.md §8.2).
func backoff(attempts int) time.Duration {
	var d time.Duration
	switch {
	case attempts <= 10:
		d = time.Minute
	case attempts <= 20:
		d = 5 * time.Minute
	case attempts <= 40:
		d = 15 * time.Minute
	default:
		d = time.Hour
	}
	jitter := time.Duration(rand.Int64N(int64(d/5))) - d/10
	// Whole microseconds, like every stored time, so a response shows the
	// same next_check_on as a later read of the row.
	return (d + jitter).Truncate(time.Microsecond)
}
