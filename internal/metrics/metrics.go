package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds one App's metrics and the registry they are scraped from.
// Its recording methods do nothing on a nil *Metrics, so a service built
// without metrics (a unit test) needs no stand-in.
type Metrics struct {
	reg *prometheus.Registry

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	http         httpSeriesCache

	logins           *prometheus.CounterVec
	decisions        *prometheus.CounterVec
	upstreamDuration *prometheus.HistogramVec
	upstreamErrors   *prometheus.CounterVec
	apps             appSeriesCache

	dnsChecks *prometheus.CounterVec
}

// latencyBuckets span a proxied request to a fast origin (well under a
// millisecond of ssogate's own time) to a login waiting on an IdP.
var latencyBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

// New returns the metrics of one App, with the Go runtime and process
// collectors registered.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ssogate_http_requests_total",
		Help: "HTTP requests answered, by surface, route pattern, method and status class."},
		[]string{"surface", "route", "method", "status_class"})
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ssogate_http_request_duration_seconds",
		Help:    "Time from a request's arrival to its handler's return, by surface, route pattern and method.",
		Buckets: latencyBuckets}, []string{"surface", "route", "method"})
	m.logins = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ssogate_logins_total",
		Help: "Completed sign-ins: flow (access or dashboard), identity provider type or method, the identity provider's id (Access), outcome and failure reason."},
		[]string{"flow", "idp", "idp_id", "outcome", "reason"})
	m.decisions = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ssogate_access_decisions_total",
		Help: "Access decisions for protected applications, by application and outcome."},
		[]string{"app_id", "app", "outcome"})
	m.upstreamDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ssogate_gateway_upstream_duration_seconds",
		Help:    "Time from sending an admitted request to the application's origin to its response headers.",
		Buckets: latencyBuckets}, []string{"app_id", "app"})
	m.upstreamErrors = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ssogate_gateway_upstream_errors_total",
		Help: "Admitted requests whose origin failed, by application and failure class."},
		[]string{"app_id", "app", "failure"})
	m.dnsChecks = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ssogate_dns_checks_total",
		Help: "DNS checks of SSO connector domains, by outcome."}, []string{"outcome"})
	m.reg.MustRegister(m.httpRequests, m.httpDuration, m.logins, m.decisions, m.upstreamDuration, m.upstreamErrors,
		m.dnsChecks, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector())
	for _, o := range dnsOutcomes { // present at zero, so rate() works from the first scrape
		m.dnsChecks.WithLabelValues(o)
	}
	m.http.init(m)
	m.apps.init(m)
	return m
}

// Register adds collectors (the database pool, caches, the verification
// queue) to this App's registry.
func (m *Metrics) Register(cs ...prometheus.Collector) { m.reg.MustRegister(cs...) }

// Registry is this App's registry, for tests that gather it directly.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition format. It is
// for the metrics listener only.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, ErrorHandling: promhttp.ContinueOnError,
		MaxRequestsInFlight: 4})
}
