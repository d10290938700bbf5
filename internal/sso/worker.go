package sso

import (
	"context"
	"sync"
	"time"
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
	for {
		if _, err := w.Sweep(ctx); err != nil && ctx.Err() == nil {
			w.svc.log.Error("verification sweep", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
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
