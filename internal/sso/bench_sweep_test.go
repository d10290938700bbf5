package sso

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/accounts"
	"github.com/ssogate/ssogate/internal/dnsverify"
	"github.com/ssogate/ssogate/internal/dnsverify/dnstest"
	"github.com/ssogate/ssogate/internal/domains"
	"github.com/ssogate/ssogate/internal/store"
	"github.com/ssogate/ssogate/internal/store/storetest"
)

// BenchmarkSweep measures one background sweep over N pending connectors:
// lease batches, check each domain against a real DNS server on loopback,
// write the verdicts. Half the domains publish their record (they verify),
// half do not (they stay pending with a reason), so both write paths run.
// Two metrics show that memory is bounded by the concurrency limit, not by
// N: peak-goroutines (sampled while sweeping; at most Concurrency checks
// plus the server's own) and retained-KB (live heap after the sweep minus
// before, both after a GC). Peak HeapInuse is not used: it is dominated by
// GC headroom over the in-process DNS server's zones, which do grow with N.
// Rerun with
//
//	go test -run '^$' -bench Sweep -benchtime 3x ./internal/sso/
func BenchmarkSweep(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("domains=%d", n), func(b *testing.B) { benchSweep(b, n) })
	}
}

func benchSweep(b *testing.B, n int) {
	ctx := context.Background()
	dns, err := dnstest.Start("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer dns.Close()
	verifier, err := dnsverify.New(dnsverify.Config{Nameservers: []string{dns.Addr()}, QueryTimeout: 2 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	db := storetest.Open(b, store.SQLite)
	svc := NewService(db, verifier, Config{Policy: domains.DefaultPolicy()}, slog.New(slog.DiscardHandler))
	seed(b, db, dns, n)
	w := NewWorker(svc, 32)
	b.ReportAllocs()
	b.ResetTimer()
	var peakG atomic.Int64
	var retained int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		resetPending(b, db)
		dns.ResetLog()
		runtime.GC()
		base := heapAlloc()
		stop := sampleGoroutines(&peakG)
		b.StartTimer()
		checked, err := w.Sweep(ctx)
		b.StopTimer()
		stop()
		if err != nil || checked != n {
			b.Fatalf("swept %d of %d: %v", checked, n, err)
		}
		dns.ResetLog()
		runtime.GC()
		retained = max(retained, int64(heapAlloc())-int64(base))
		b.StartTimer()
	}
	b.ReportMetric(float64(peakG.Load()), "peak-goroutines")
	b.ReportMetric(float64(retained)/1024, "retained-KB")
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "domains/s")
}

func seed(b *testing.B, db *store.DB, dns *dnstest.Server, n int) {
	ctx := context.Background()
	acct, err := accounts.NewService(db).CreateAccount(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		for i := 0; i < n; i++ {
			d := fmt.Sprintf("d%05d.bench.example", i)
			c := Connector{ID: fmt.Sprintf("%032x", i), AccountID: acct.ID, EmailDomain: d, Code: NewCode(),
				Status: Pending, Version: 1, CreatedOn: now, UpdatedOn: now}
			dns.AddZone(d, "ns1."+d)
			if i%2 == 0 {
				dns.AddTXT(d, c.Code)
			}
			if err := insert(ctx, tx, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

func resetPending(b *testing.B, db *store.DB) {
	deadline := time.Now().Add(48 * time.Hour)
	_, err := db.ExecContext(context.Background(), `UPDATE sso_connectors SET status='pending', next_check_at=0,
		deadline=$1, verified_on=NULL, lease_until=NULL`, store.Micros(deadline))
	if err != nil {
		b.Fatal(err)
	}
}

func heapAlloc() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// sampleGoroutines records the peak goroutine count every millisecond
// until the returned stop is called.
func sampleGoroutines(peak *atomic.Int64) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if g := int64(runtime.NumGoroutine()); g > peak.Load() {
					peak.Store(g)
				}
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}
