package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

// doneScript makes wrk print its summary as one JSON line: exact latency
// percentiles in microseconds, and the error counts. It defines only
// done(), so wrk keeps its fast path (no Lua per request).
const doneScript = `done = function(s, latency, requests)
  io.write(string.format("WRKJSON {\"requests\":%d,\"duration_us\":%d,\"p50_us\":%.0f,\"p99_us\":%.0f," ..
    "\"status\":%d,\"connect\":%d,\"read\":%d,\"write\":%d,\"timeout\":%d}\n",
    s.requests, s.duration, latency:percentile(50), latency:percentile(99),
    s.errors.status, s.errors.connect, s.errors.read, s.errors.write, s.errors.timeout))
end
`

// wrkSummary is what doneScript prints.
type wrkSummary struct {
	Requests   int64   `json:"requests"`
	DurationUS int64   `json:"duration_us"`
	P50US      float64 `json:"p50_us"`
	P99US      float64 `json:"p99_us"`
	Status     int64   `json:"status"` // responses ≥ 400
	Connect    int64   `json:"connect"`
	Read       int64   `json:"read"`
	Write      int64   `json:"write"`
	Timeout    int64   `json:"timeout"`
}

// result is one wrk run of one scenario.
type result struct {
	scenario string
	rps      float64
	p50, p99 time.Duration
	cpuPerOp time.Duration // CPU time of the server under test per request
	sockErrs int64
}

// measure runs every scenario reps times, interleaved: A B C … in odd
// repetitions, … C B A in even ones, so a drift in the machine's load
// touches every scenario alike. Before each run the path must return the
// upstream's body; after it, the upstream must have served at least as
// many requests as wrk completed.
func measure(ctx context.Context, o options, scens []*scenario, upstreamURL string) ([]result, error) {
	script := filepath.Join(o.workDir, "done.lua")
	if err := os.WriteFile(script, []byte(doneScript), 0o600); err != nil {
		return nil, err
	}
	if err := warmUp(ctx, o, script, scens); err != nil {
		return nil, err
	}
	var out []result
	for rep := 1; rep <= o.reps; rep++ {
		order := slices.Clone(scens)
		if rep%2 == 0 {
			slices.Reverse(order)
		}
		for _, s := range order {
			r, err := runOnce(ctx, o, script, upstreamURL, s)
			if err != nil {
				return nil, fmt.Errorf("repetition %d, %s: %w", rep, s.name, err)
			}
			fmt.Fprintf(os.Stderr, "rep %d %-28s %9.0f req/s  p50 %7s  p99 %7s  CPU %6s/req\n",
				rep, s.name, r.rps, ms(r.p50), ms(r.p99), r.cpuPerOp.Round(100*time.Nanosecond))
			out = append(out, r)
		}
	}
	return out, nil
}

// warmUp loads each scenario once, uncounted, then resets each server's
// peak RSS. Besides filling connection pools, the warm-up works off what
// setup left: ssogate hashed its bootstrap password with argon2id
// (64 MiB), and a garbage collection that ran while that memory was live
// set the next heap goal to about twice it, so the first seconds of load
// reach ~120 MiB once.
func warmUp(ctx context.Context, o options, script string, scens []*scenario) error {
	if o.warmup > 0 {
		w := o
		w.duration = o.warmup
		for _, s := range scens {
			if _, err := runWrk(ctx, w, script, s); err != nil {
				return fmt.Errorf("warm-up %s: %w", s.name, err)
			}
		}
	}
	reset := map[int]bool{} // one server may serve several scenarios
	for _, s := range scens {
		for _, pid := range withDescendants(s.pids()...) {
			if !reset[pid] {
				if err := resetPeakRSS(ctx, pid); err != nil {
					return err
				}
				reset[pid] = true
			}
		}
	}
	return nil
}

func runOnce(ctx context.Context, o options, script, upstreamURL string, s *scenario) (result, error) {
	if err := checkPath(ctx, s); err != nil {
		return result{}, err
	}
	served, err := upstreamCount(ctx, upstreamURL)
	if err != nil {
		return result{}, err
	}
	pids := append(s.pids(), s.extra...)
	cpu := cpuTime(pids...)
	sum, err := runWrk(ctx, o, script, s)
	if err != nil {
		return result{}, err
	}
	cpu = cpuTime(pids...) - cpu
	after, err := upstreamCount(ctx, upstreamURL)
	if err != nil {
		return result{}, err
	}
	switch {
	case sum.Requests == 0:
		return result{}, fmt.Errorf("wrk completed no request")
	case sum.Status > 0:
		return result{}, fmt.Errorf("%d of %d responses were errors (≥ 400)", sum.Status, sum.Requests)
	case after-served < sum.Requests:
		return result{}, fmt.Errorf("wrk completed %d requests but only %d reached the upstream: the others were answered by the proxy (a redirect?)",
			sum.Requests, after-served)
	}
	r := result{
		scenario: s.name,
		rps:      float64(sum.Requests) / (float64(sum.DurationUS) / 1e6),
		p50:      time.Duration(sum.P50US) * time.Microsecond,
		p99:      time.Duration(sum.P99US) * time.Microsecond,
		cpuPerOp: cpu / time.Duration(sum.Requests),
		sockErrs: sum.Connect + sum.Read + sum.Write + sum.Timeout,
	}
	if r.sockErrs > 0 {
		fmt.Fprintf(os.Stderr, "warning: %s: %d socket errors (connect %d, read %d, write %d, timeout %d)\n",
			s.name, r.sockErrs, sum.Connect, sum.Read, sum.Write, sum.Timeout)
	}
	return r, nil
}

// runWrk loads s with wrk and returns its summary.
func runWrk(ctx context.Context, o options, script string, s *scenario) (wrkSummary, error) {
	args := []string{"-t", strconv.Itoa(o.threads), "-c", strconv.Itoa(o.conns), "-d", o.duration.String(), "--latency", "-s", script}
	for _, h := range s.headers {
		args = append(args, "-H", h)
	}
	args = append(args, s.url)
	ctx, cancel := context.WithTimeout(ctx, o.duration+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, o.wrk, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		return wrkSummary{}, fmt.Errorf("wrk: %v: %s%s", err, stdout, stderr.String())
	}
	_, line, ok := bytes.Cut(stdout, []byte("WRKJSON "))
	if !ok {
		return wrkSummary{}, fmt.Errorf("wrk printed no summary: %s", stdout)
	}
	line, _, _ = bytes.Cut(line, []byte("\n"))
	var sum wrkSummary
	if err := json.Unmarshal(line, &sum); err != nil {
		return wrkSummary{}, fmt.Errorf("wrk summary %q: %w", line, err)
	}
	return sum, nil
}

// ms is a latency in milliseconds, two decimals.
func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }
