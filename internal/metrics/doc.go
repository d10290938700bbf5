// Package metrics is what ssogate tells its operators about itself while it
// runs: Prometheus metrics and the request log.
//
// Each App has its own Metrics and its own prometheus.Registry (never the
// client's global default registry), so tests can run several Apps in one
// process and scrape each. The /metrics handler is served on its own
// listener (--metrics-listen), never on the public one: metrics name
// applications, identity providers and routes, which the public listener
// must not give away.
//
// Observe wraps the whole handler tree. It gives every request a Request
// in its context — id, surface, route, account and actor — which the
// handlers deeper down fill in where they learn them (the API router
// knows the route pattern and the token, the dashboard the signed-in user,
// the gateway the application); Request is a pointer, so handlers that
// shallow-copy the request with WithContext still fill the same one. When
// the handler returns, the request is counted and timed by surface, route
// pattern, method and status class, and, unless the request log is off,
// written as one line.
//
// The gateway is benchmarked for throughput, so what runs per request
// allocates nothing for metrics: label children are resolved once and
// kept (per route, per application), and observations are atomic adds.
// The request log costs a line per request; it is buffered and written in
// whole lines at most every half second (like nginx's access_log
// buffer=), not with one write per request.
//
// The request log never carries a query string, a header, a cookie, a
// token or a form value: those hold authorization codes, state, session
// cookies, tokens and passwords.
package metrics
