package sso

import (
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/dnsverify"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func newConnector() Connector {
	deadline := t0.Add(48 * time.Hour)
	c := Connector{ID: "c1", EmailDomain: "acmecorp.company", Code: CodePrefix + "0123456789abcdef0123456789abcdef",
		Status: Awaiting, Deadline: &deadline}
	c.Reason = awaitingReason(c)
	return c
}

func TestBegin(t *testing.T) {
	s := Settings{PendingTTL: 48 * time.Hour}
	now := t0.Add(time.Hour)
	for _, from := range []Status{Awaiting, Pending, Failed} {
		c := newConnector()
		c.Status = from
		got := begin(c, s, now)
		if got.Status != Pending || !got.Deadline.Equal(now.Add(48*time.Hour)) || !got.NextCheckAt.Equal(now) || got.Attempts != 0 {
			t.Errorf("begin from %s: %+v", from, got)
		}
	}
	v := newConnector()
	v.Status = Verified
	if got := begin(v, s, now); got.Status != Verified {
		t.Errorf("begin must leave a verified connector alone, got %s", got.Status)
	}
}

func TestApplyResult(t *testing.T) {
	s := Settings{PendingTTL: 48 * time.Hour}
	pending := begin(newConnector(), s, t0)
	found := dnsverify.Result{Verdict: dnsverify.Found}
	absent := dnsverify.Result{Verdict: dnsverify.Absent, Reason: "ns1 answered without the record"}
	undecided := dnsverify.Result{Verdict: dnsverify.Indeterminate, Reason: "ns1 timed out"}
	cases := []struct {
		name       string
		res        dnsverify.Result
		at         time.Time
		wantStatus Status
		wantReason string
	}{
		{"found verifies", found, t0.Add(time.Minute), Verified, ""},
		{"absent stays pending with the reason", absent, t0.Add(time.Minute), Pending, "ns1 answered without the record"},
		{"indeterminate never fails before the deadline", undecided, t0.Add(47 * time.Hour), Pending, "ns1 timed out"},
		{"absent after the deadline fails", absent, t0.Add(48 * time.Hour), Failed, "Not verified before the deadline"},
		{"found after the deadline still verifies", found, t0.Add(49 * time.Hour), Verified, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := applyResult(pending, tc.res, tc.at)
			if got.Status != tc.wantStatus || !strings.Contains(got.Reason, tc.wantReason) {
				t.Fatalf("status %s reason %q; want %s containing %q", got.Status, got.Reason, tc.wantStatus, tc.wantReason)
			}
			if got.Attempts != 1 || got.LastCheckedOn == nil || !got.LastCheckedOn.Equal(tc.at) {
				t.Errorf("check not recorded: %+v", got)
			}
			switch got.Status {
			case Verified:
				if got.VerifiedOn == nil || got.NextCheckAt != nil {
					t.Errorf("verified connector: %+v", got)
				}
			case Pending:
				if got.NextCheckAt == nil || !got.NextCheckAt.After(tc.at) {
					t.Errorf("pending connector needs a later check: %+v", got)
				}
			case Failed:
				if got.live() || !strings.Contains(got.Reason, absent.Reason) {
					t.Errorf("failed connector must release its claim and keep the last answer: %+v", got)
				}
			}
		})
	}
}

func TestApplyResultIgnoresNonPending(t *testing.T) {
	c := newConnector() // awaiting: a stray result must not verify it
	got := applyResult(c, dnsverify.Result{Verdict: dnsverify.Found}, t0)
	if got.Status != Awaiting {
		t.Fatalf("status = %s", got.Status)
	}
}

func TestBackoff(t *testing.T) {
	cases := []struct {
		attempts int
		base     time.Duration
	}{{1, time.Minute}, {10, time.Minute}, {11, 5 * time.Minute}, {20, 5 * time.Minute}, {21, 15 * time.Minute}, {41, time.Hour}, {500, time.Hour}}
	for _, tc := range cases {
		for i := 0; i < 50; i++ {
			d := backoff(tc.attempts)
			if d < tc.base*9/10 || d > tc.base*11/10 {
				t.Fatalf("backoff(%d) = %s, want %s ±10%%", tc.attempts, d, tc.base)
			}
			if d%time.Microsecond != 0 {
				t.Fatalf("backoff(%d) = %s, not whole microseconds", tc.attempts, d)
			}
		}
	}
}

func TestExpire(t *testing.T) {
	got := expire(newConnector())
	if got.Status != Failed || got.live() || !strings.Contains(got.Reason, "never started") {
		t.Fatalf("expired awaiting connector: %+v", got)
	}
}
