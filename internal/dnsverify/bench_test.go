package dnsverify

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func BenchmarkCheckDirect(b *testing.B) {
	srv := startServer(b, "127.0.0.1:0")
	srv.AddZone("example.com")
	srv.AddTXT("example.com", "v=spf1 -all")
	srv.AddTXT("example.com", want)
	v := directVerifier(b, srv)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if r := v.Check(ctx, "example.com", want); r.Verdict != Found {
			b.Fatalf("verdict %s: %s", r.Verdict, r.Reason)
		}
	}
}

// TestSweep: many concurrent checks through one Verifier (shared clients
// and caches) each get their own, correct verdict. How fast the 10,000-domain
// sweep runs is measured by BenchmarkSweep in internal/sso, not asserted here.
func TestSweep(t *testing.T) {
	domains, workers := 2000, 32
	srv := startServer(t, "127.0.0.1:0")
	srv.AddZone("example.com")
	for i := range domains {
		if i%2 == 0 {
			srv.AddTXT(fmt.Sprintf("d%05d.example.com", i), want)
		}
	}
	v := directVerifier(t, srv)
	jobs := make(chan int)
	var found, absent, other atomic.Int64
	var wg sync.WaitGroup
	begin := time.Now()
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				switch check(t, v, fmt.Sprintf("d%05d.example.com", i), want).Verdict {
				case Found:
					found.Add(1)
				case Absent:
					absent.Add(1)
				default:
					other.Add(1)
				}
			}
		})
	}
	for i := range domains {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(begin)
	t.Logf("%d checks with %d workers in %s", domains, workers, elapsed)
	if found.Load() != int64(domains/2) || absent.Load() != int64(domains/2) || other.Load() != 0 {
		t.Errorf("found %d, absent %d, other %d; want %d, %d, 0", found.Load(), absent.Load(), other.Load(), domains/2, domains/2)
	}
}
