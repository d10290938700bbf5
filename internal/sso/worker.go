package sso

import (
	"context"
	"sync"
	"time"

	"github.com/ssogate/ssogate/internal/store"
)

// Worker re-checks pending connectors in the background.
type Worker struct {
	svc *Service
	// Concurrency bounds simultaneous DNS checks (and so memory): rows are
	// leased in batches of this size, never all at once.
	Concurrency int
	// Interval is how often the worker looks for due rows.
	Interval time.Duration
	// Lease is how long a leased row is reserved for this instance; a crash
	// lets another instance pick the row up when it runs out.
	Lease time.Duration
}

// NewWorker returns a worker with defaults (32 checks at once, every 5s).
func NewWorker(svc *Service, concurrency int) *Worker {
	if concurrency <= 0 {
		concurrency = 32
	}
	return &Worker{svc: svc, Concurrency: concurrency, Interval: 5 * time.Second, Lease: 2 * time.Minute}
}

// Run sweeps every Interval until ctx ends.
func (w *Worker) Run(ctx context.Context) {
	t := time.NewTicker(w.Interval)
	defer t.Stop()
	paused := false
	for {
		_, err := w.Sweep(ctx)
		if ctx.Err() == nil {
			paused = w.report(err, paused)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// report logs a sweep's failure. An unreachable database pauses the sweeps
// with one line, not one every Interval for as long as the outage lasts;
// it returns whether the sweeps are paused so.
func (w *Worker) report(err error, paused bool) bool {
	switch {
	case err == nil:
		if paused {
			w.svc.log.Info("verification sweeps resumed: the database is reachable again")
		}
		return false
	case store.IsUnavailable(err):
		if !paused {
			w.svc.log.Warn("verification sweeps paused: database unavailable", "error", err)
		}
		return true
	}
	w.svc.log.Error("verification sweep", "error", err)
	return paused
}

// Sweep expires overdue claims, then checks every connector that is due,
// Concurrency at a time, until none is left. It returns how many it checked.
func (w *Worker) Sweep(ctx context.Context) (int, error) {
	for {
		n, err := w.svc.expireDue(ctx, w.Concurrency)
		if err != nil {
			return 0, err
		}
		if n < w.Concurrency {
			break
		}
	}
	sem := make(chan struct{}, w.Concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	checked := 0
	for ctx.Err() == nil {
		batch, err := claimDue(ctx, w.svc.db, w.svc.now(), w.Lease, w.Concurrency)
		if err != nil {
			return checked, err
		}
		if len(batch) == 0 {
			return checked, nil
		}
		for _, c := range batch {
			sem <- struct{}{} // blocks while Concurrency checks are running
			wg.Add(1)
			checked++
			go func() {
				defer func() { <-sem; wg.Done() }()
				cctx, cancel := context.WithTimeout(ctx, CheckTimeout)
				defer cancel()
				if _, err := w.svc.check(cctx, c); err != nil && ctx.Err() == nil {
					w.svc.log.Warn("verification check", "connector_id", c.ID, "domain", c.EmailDomain, "error", err)
				}
			}()
		}
	}
	return checked, ctx.Err()
}
