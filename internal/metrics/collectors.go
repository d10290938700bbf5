package metrics

import (
	"context"
	"database/sql"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// DBCollector reports the database pool (open, in use and idle
// connections, waits) as the client's go_sql_* metrics with
// db_name="ssogate": both SQLite and PostgreSQL (pgx's stdlib driver) run
// behind database/sql.
func DBCollector(db *sql.DB) prometheus.Collector {
	return collectors.NewDBStatsCollector(db, "ssogate")
}

// CacheStats reads a cache's lookups since start.
type CacheStats func() (hits, misses uint64)

var cacheLookups = prometheus.NewDesc("ssogate_cache_lookups_total",
	"Lookups in ssogate's in-memory caches, by cache and result (hit or miss).", []string{"cache", "result"}, nil)

// CacheCollector reports caches' hits and misses, read at scrape time from
// the counters each cache keeps itself (so the lookup path pays one atomic
// add): cache names the cache, as in "api_tokens".
func CacheCollector(caches map[string]CacheStats) prometheus.Collector {
	return cacheCollector(caches)
}

type cacheCollector map[string]CacheStats

func (c cacheCollector) Describe(ch chan<- *prometheus.Desc) { ch <- cacheLookups }

func (c cacheCollector) Collect(ch chan<- prometheus.Metric) {
	for name, stats := range c {
		hits, misses := stats()
		ch <- prometheus.MustNewConstMetric(cacheLookups, prometheus.CounterValue, float64(hits), name, "hit")
		ch <- prometheus.MustNewConstMetric(cacheLookups, prometheus.CounterValue, float64(misses), name, "miss")
	}
}

// Queue is the domain verification queue as the database has it.
type Queue struct {
	Pending int // connectors in status pending
	// OldestPendingSince is when the longest-pending connector began
	// verification; OldestDue is the earliest next check still waiting.
	// Zero when there is none.
	OldestPendingSince, OldestDue time.Time
}

var (
	queuePending = prometheus.NewDesc("ssogate_verification_pending_connectors",
		"SSO connectors waiting for their domain's TXT record (status pending).", nil, nil)
	queueOldest = prometheus.NewDesc("ssogate_verification_oldest_pending_age_seconds",
		"How long the longest-pending SSO connector has been pending (0 when none is).", nil, nil)
	queueDelay = prometheus.NewDesc("ssogate_verification_check_delay_seconds",
		"How late the most overdue DNS check is (0 when none is due): above the sweep interval, the worker is behind.", nil, nil)
)

// queueReadTimeout bounds the scrape's one query: a scrape must not hang
// on a database that does not answer.
const queueReadTimeout = 2 * time.Second

// QueueCollector reports the verification queue, read with one query at
// scrape time. A failed read leaves the queue's metrics out of that scrape
// (logged at debug: during an outage every scrape would fail).
func QueueCollector(read func(context.Context) (Queue, error), now func() time.Time, log *slog.Logger) prometheus.Collector {
	return &queueCollector{read: read, now: now, log: log}
}

type queueCollector struct {
	read func(context.Context) (Queue, error)
	now  func() time.Time
	log  *slog.Logger
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queuePending
	ch <- queueOldest
	ch <- queueDelay
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), queueReadTimeout)
	defer cancel()
	q, err := c.read(ctx)
	if err != nil {
		c.log.Debug("metrics: read the verification queue", "error", err)
		return
	}
	now := c.now()
	ch <- prometheus.MustNewConstMetric(queuePending, prometheus.GaugeValue, float64(q.Pending))
	ch <- prometheus.MustNewConstMetric(queueOldest, prometheus.GaugeValue, secondsSince(now, q.OldestPendingSince))
	ch <- prometheus.MustNewConstMetric(queueDelay, prometheus.GaugeValue, secondsSince(now, q.OldestDue))
}

func secondsSince(now, t time.Time) float64 {
	if t.IsZero() || !now.After(t) {
		return 0
	}
	return now.Sub(t).Seconds()
}
