package sso

import (
	"context"
	"database/sql"

	"github.com/ssogate/ssogate/internal/metrics"
	"github.com/ssogate/ssogate/internal/store"
)

// Queue reads the verification queue for the metrics: how many connectors
// are pending, since when the oldest has been (its deadline less the
// pending TTL: the row keeps no start time), and the earliest check still
// waiting. One query over every account — the operator's view, not a
// tenant's — on the index of pending rows.
func (s *Service) Queue(ctx context.Context) (metrics.Queue, error) {
	var (
		n                 int
		deadline, nextDue sql.NullInt64
	)
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*), MIN(deadline), MIN(next_check_at) FROM sso_connectors
		WHERE status='pending'`).Scan(&n, &deadline, &nextDue)
	if err != nil {
		return metrics.Queue{}, store.Translate(err)
	}
	q := metrics.Queue{Pending: n}
	if deadline.Valid {
		q.OldestPendingSince = store.FromMicros(deadline.Int64).Add(-s.settings.PendingTTL)
	}
	if nextDue.Valid {
		q.OldestDue = store.FromMicros(nextDue.Int64)
	}
	return q, nil
}
