package metrics

import (
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// methods are the method label's values; any other method a client
// invents is "other", so clients cannot mint series.
var methods = [...]string{"other", http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
	http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace}

func methodIndex(m string) uint8 {
	for i := 1; i < len(methods); i++ {
		if methods[i] == m {
			return uint8(i)
		}
	}
	return 0
}

var statusClasses = [...]string{"other", "1xx", "2xx", "3xx", "4xx", "5xx"}

func statusClass(code int) uint8 {
	if code < 100 || code > 599 {
		return 0
	}
	return uint8(code / 100)
}

// maxHTTPSeries bounds the label combinations kept: routes are constants
// and patterns of ours, so this is never reached unless a bug puts a raw
// path in a route; past it, requests are counted under route "other".
const maxHTTPSeries = 4096

// httpKey is one label combination, comparable without building a string.
type httpKey struct {
	surface Surface
	method  uint8
	class   uint8
	route   string
}

// httpSeries are the children of one combination, resolved once: a
// request then costs a map read and two atomic adds, no allocation.
type httpSeries struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

type httpSeriesCache struct {
	m  *Metrics
	mu sync.RWMutex
	by map[httpKey]*httpSeries
}

func (c *httpSeriesCache) init(m *Metrics) {
	c.m, c.by = m, map[httpKey]*httpSeries{}
}

func (c *httpSeriesCache) get(k httpKey) *httpSeries {
	c.mu.RLock()
	s := c.by[k]
	c.mu.RUnlock()
	if s != nil {
		return s
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s = c.by[k]; s != nil {
		return s
	}
	if len(c.by) >= maxHTTPSeries {
		k.route = "other"
		if s = c.by[k]; s != nil {
			return s
		}
	}
	surface, method := k.surface.String(), methods[k.method]
	s = &httpSeries{requests: c.m.httpRequests.WithLabelValues(surface, k.route, method, statusClasses[k.class]),
		duration: c.m.httpDuration.WithLabelValues(surface, k.route, method)}
	c.by[k] = s
	return s
}

// observeHTTP counts and times one answered request.
func (m *Metrics) observeHTTP(r *Request, method string, status int, elapsed time.Duration) {
	if m == nil {
		return
	}
	s := m.http.get(httpKey{surface: r.surface, method: methodIndex(method), class: statusClass(status), route: r.route})
	s.requests.Inc()
	s.duration.Observe(elapsed.Seconds())
}
