package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Decision is how Access answered a request for a protected application
// (the outcome label of ssogate_access_decisions_total).
type Decision uint8

const (
	// DecisionAllow: a valid application token of a signed-in user.
	DecisionAllow Decision = iota
	// DecisionServiceToken: a service token a Service Auth policy admits,
	// or the application token minted for one.
	DecisionServiceToken
	// DecisionBypass: a Bypass policy let a service token's request through.
	DecisionBypass
	// DecisionServiceTokenDenied: a service token refused (unknown, wrong
	// secret, expired, or no policy admits it).
	DecisionServiceTokenDenied
	// DecisionLoginRequired: no valid credential; sent to sign in (or 401).
	DecisionLoginRequired
	// DecisionDeny: a signed-in user the application's policies refuse
	// (decided when the login reaches the application).
	DecisionDeny
	// DecisionError: no decision could be made (the database is down).
	DecisionError
	numDecisions
)

var decisionNames = [numDecisions]string{"allow", "service_token", "bypass", "service_token_denied", "login_required",
	"deny", "error"}

func (d Decision) String() string { return decisionNames[d] }

// appSeries are an application's children, resolved once: the gateway's
// hot path then costs a map read and atomic adds.
type appSeries struct {
	name      string
	decisions [numDecisions]prometheus.Counter
	upstream  prometheus.Observer
}

type appSeriesCache struct {
	m  *Metrics
	mu sync.RWMutex
	by map[string]*appSeries // by app id
}

func (c *appSeriesCache) init(m *Metrics) { c.m, c.by = m, map[string]*appSeries{} }

// get returns the app's children; a renamed app gets new ones (its series
// under the old name are removed, so a dashboard does not show both).
func (c *appSeriesCache) get(appID, name string) *appSeries {
	c.mu.RLock()
	s := c.by[appID]
	c.mu.RUnlock()
	if s != nil && s.name == name {
		return s
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s = c.by[appID]; s != nil && s.name == name {
		return s
	}
	if s != nil {
		c.m.decisions.DeletePartialMatch(prometheus.Labels{"app_id": appID})
		c.m.upstreamDuration.DeletePartialMatch(prometheus.Labels{"app_id": appID})
		c.m.upstreamErrors.DeletePartialMatch(prometheus.Labels{"app_id": appID})
	}
	s = &appSeries{name: name, upstream: c.m.upstreamDuration.WithLabelValues(appID, name)}
	for d := range numDecisions {
		s.decisions[d] = c.m.decisions.WithLabelValues(appID, name, d.String())
	}
	c.by[appID] = s
	return s
}

// AccessDecision counts how Access answered a request for an application.
func (m *Metrics) AccessDecision(appID, appName string, d Decision) {
	if m == nil || d >= numDecisions {
		return
	}
	m.apps.get(appID, appName).decisions[d].Inc()
}

// Upstream records how long an application's origin took to send its
// response headers.
func (m *Metrics) Upstream(appID, appName string, elapsed time.Duration) {
	if m == nil {
		return
	}
	m.apps.get(appID, appName).upstream.Observe(elapsed.Seconds())
}

// UpstreamError counts an origin failure of an application by class
// (connect, tls, timeout, closed, other). Failures are rare: the label
// child is looked up each time.
func (m *Metrics) UpstreamError(appID, appName, failure string) {
	if m == nil {
		return
	}
	m.apps.get(appID, appName) // a rename drops the old name's series first
	m.upstreamErrors.WithLabelValues(appID, appName, failure).Inc()
}

// Login flows (the flow label of ssogate_logins_total).
const (
	FlowAccess    = "access"    // a team domain's sign-in through an identity provider
	FlowDashboard = "dashboard" // the dashboard's password or SSO sign-in
)

// Login outcomes.
const (
	LoginSuccess = "success"
	LoginFailure = "failure"
)

// Login counts a completed sign-in attempt: flow, the identity provider's
// type (or the dashboard's method), its id (Access logins; "" when not yet
// known and for the dashboard's own methods), outcome and, for a failure,
// a short reason from a fixed set ("" on success). Ids, not names: an
// account's providers are few, and a rename must not split a series.
func (m *Metrics) Login(flow, idp, idpID, outcome, reason string) {
	if m == nil {
		return
	}
	m.logins.WithLabelValues(flow, idp, idpID, outcome, reason).Inc()
}

// DNS check outcomes: the three verdicts of internal/dnsverify, and error
// for a check that did not finish (timeout, shutdown).
var dnsOutcomes = []string{"found", "absent", "indeterminate", "error"}

// DNSCheck counts a DNS check of an SSO connector's domain.
func (m *Metrics) DNSCheck(outcome string) {
	if m == nil {
		return
	}
	known := false
	for _, o := range dnsOutcomes {
		known = known || o == outcome
	}
	if !known {
		outcome = "error"
	}
	m.dnsChecks.WithLabelValues(outcome).Inc()
}
