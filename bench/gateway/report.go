package main

import (
	"debug/buildinfo"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"
)

// The issues' targets for ssogate's gateway (and, issue 10, for requests
// it admits with a service token, and for nginx with ssogate's forward
// auth against the same nginx with none: the same req/s and p99 ratios).
const (
	targetVsBare   = 0.8 // req/s at least 0.8× the bare proxy's
	targetVsOAuth2 = 2.8 // and 2.8× oauth2-proxy's
	targetP99      = 1.5 // p99 at most 1.5× the bare proxy's
	targetRSS      = 1.5 // peak RSS at most 1.5× oauth2-proxy's
)

// summary is one scenario over its repetitions: medians, and the range of
// req/s.
type summary struct {
	name          string
	rps, min, max float64
	p50, p99, cpu time.Duration
	peakRSSKiB    int64
	socketErrors  int64
}

func summarize(s *scenario, results []result) summary {
	var rps []float64
	var p50, p99, cpu []time.Duration
	sum := summary{name: s.name}
	for _, r := range results {
		if r.scenario == s.name {
			rps, p50, p99, cpu = append(rps, r.rps), append(p50, r.p50), append(p99, r.p99), append(cpu, r.cpuPerOp)
			sum.socketErrors += r.sockErrs
		}
	}
	sum.rps, sum.p50, sum.p99, sum.cpu = median(rps), median(p50), median(p99), median(cpu)
	sum.min, sum.max = slices.Min(rps), slices.Max(rps)
	sum.peakRSSKiB, _ = peakRSS(s.pids()...)
	return sum
}

func median[T float64 | time.Duration](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// report prints the table (Markdown, so it pastes into
// docs/benchmarks.md) and each ssogate scenario against the targets.
func report(w io.Writer, o options, scens []*scenario, results []result) {
	sums := map[string]summary{}
	for _, s := range scens {
		sums[s.name] = summarize(s, results)
	}
	bare, haveBare := sums["bare"]
	o2p, haveO2P := sums["oauth2-proxy"]
	ratio := func(ok bool, x, ref float64) string {
		if !ok || ref == 0 {
			return "–"
		}
		return fmt.Sprintf("%.2f×", x/ref)
	}
	fmt.Fprintf(w, "\n| scenario | req/s (median; min–max) | p50 | p99 | CPU/req | vs bare | vs oauth2-proxy | p99 vs bare | peak RSS under load (setup) |\n")
	fmt.Fprintf(w, "|---|---|---|---|---|---|---|---|---|\n")
	for _, s := range scens {
		m := sums[s.name]
		fmt.Fprintf(w, "| %s | %.0f (%.0f–%.0f) | %s | %s | %s | %s | %s | %s | %.1f MiB (%.1f) |\n",
			m.name, m.rps, m.min, m.max, ms(m.p50), ms(m.p99), us(m.cpu),
			ratio(haveBare, m.rps, bare.rps), ratio(haveO2P, m.rps, o2p.rps),
			ratio(haveBare, float64(m.p99), float64(bare.p99)), mib(m.peakRSSKiB), mib(s.setupRSS))
	}
	fmt.Fprintf(w, "\nvs bare: against the Go reverse proxy (bare), nginx scenarios included; forward auth against the same proxy with no auth is below.\n")
	fmt.Fprintf(w, "CPU/req: CPU time of the server under test (nginx: master and workers; nginx-forward-auth and caddy-forward-auth: ssogate too; nginx-auth-null and caddy-auth-null: the null auth service too; nginx-oauth2-proxy: oauth2-proxy too; PostgreSQL: the database's processes too) per request wrk completed.\n")
	fmt.Fprintf(w, "Peak RSS: VmHWM of the server process under load (reset after the warm-up; nginx: the sum of its processes', and for the *-forward-auth rows ssogate's added, for the *-auth-null rows the null auth service's, for nginx-oauth2-proxy oauth2-proxy's), and in brackets its peak during setup (ssogate's includes hashing the bootstrap password with argon2id, 64 MiB); PostgreSQL's own memory is not included.\n")
	for _, s := range scens {
		if n := sums[s.name].socketErrors; n > 0 {
			fmt.Fprintf(w, "%s: %d socket errors over its runs (wrk: connect, read, write, timeout).\n", s.name, n)
		}
	}
	fmt.Fprintf(w, "Load average at the end: %s\n\n", loadAverage())
	for _, s := range scens {
		if !strings.HasPrefix(s.name, "ssogate") {
			continue
		}
		m := sums[s.name]
		var parts []string
		if haveBare {
			parts = append(parts, verdict("req/s vs bare", m.rps/bare.rps, targetVsBare, true),
				verdict("p99 vs bare", float64(m.p99)/float64(bare.p99), targetP99, false))
		}
		if haveO2P {
			parts = append(parts, verdict("req/s vs oauth2-proxy", m.rps/o2p.rps, targetVsOAuth2, true),
				verdict("peak RSS vs oauth2-proxy", float64(m.peakRSSKiB)/float64(o2p.peakRSSKiB), targetRSS, false))
		}
		if len(parts) > 0 {
			fmt.Fprintf(w, "%s: %s\n", s.name, strings.Join(parts, "; "))
		}
	}
	for _, px := range []string{"nginx", "caddy"} {
		forwardAuthVerdicts(w, sums, px)
	}
}

// forwardAuthVerdicts states where forward auth through the proxy px
// ("nginx", "caddy") stands: against the same proxy with no auth (the
// targets), against the same proxy asking an auth service that checks
// nothing (the ceiling, and what ssogate's check costs over it), and,
// for nginx, against the same nginx asking oauth2-proxy.
func forwardAuthVerdicts(w io.Writer, sums map[string]summary, px string) {
	fa, haveFA := sums[px+"-forward-auth"]
	bare, haveBare := sums[px+"-bare"]
	null, haveNull := sums[px+"-auth-null"]
	if haveFA && haveBare {
		fmt.Fprintf(w, "%s-forward-auth: %s; %s\n", px, verdict("req/s vs "+px+"-bare", fa.rps/bare.rps, targetVsBare, true),
			verdict("p99 vs "+px+"-bare", float64(fa.p99)/float64(bare.p99), targetP99, false))
	}
	if haveNull && haveBare {
		fmt.Fprintf(w, "%s-auth-null (an auth service that checks nothing): req/s vs %s-bare %.3f×, p99 vs %s-bare %.3f×: the most any auth service %s asks over HTTP can reach\n",
			px, px, null.rps/bare.rps, px, float64(null.p99)/float64(bare.p99), px)
	}
	if haveFA && haveNull {
		fmt.Fprintf(w, "%s-forward-auth vs %s-auth-null: req/s %.3f×, p99 %.3f×, CPU/req %+.1fµs: what ssogate's check costs over answering at once\n",
			px, px, fa.rps/null.rps, float64(fa.p99)/float64(null.p99), float64(fa.cpu-null.cpu)/float64(time.Microsecond))
	}
	if no, ok := sums[px+"-oauth2-proxy"]; ok && haveFA {
		fmt.Fprintf(w, "%s-forward-auth: %s; %s\n", px, verdict("req/s vs "+px+"-oauth2-proxy", fa.rps/no.rps, targetVsOAuth2, true),
			verdict("peak RSS vs "+px+"-oauth2-proxy", float64(fa.peakRSSKiB)/float64(no.peakRSSKiB), targetRSS, false))
	}
}

// verdict states a ratio against its target.
func verdict(what string, got, target float64, atLeast bool) string {
	met := got >= target
	cmp := "≥"
	if !atLeast {
		met, cmp = got <= target, "≤"
	}
	word := "met"
	if !met {
		word = "MISSED"
	}
	return fmt.Sprintf("%s %.3f× (target %s %.1f×: %s)", what, got, cmp, target, word)
}

// mib is KiB in MiB.
func mib(kib int64) float64 { return float64(kib) / 1024 }

// us is a duration in microseconds, one decimal.
func us(d time.Duration) string { return fmt.Sprintf("%.1fµs", float64(d)/float64(time.Microsecond)) }

// printEnvironment says what ran where, so a pasted table carries its
// conditions.
func printEnvironment(o options) {
	fmt.Printf("gateway benchmark, %s\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Printf("machine: %d CPUs, load average %s\n", runtime.NumCPU(), loadAverage())
	fmt.Printf("load: wrk -t%d -c%d -d%s, %d repetitions interleaved (A B C … then … C B A) after a %s warm-up of each\n",
		o.threads, o.conns, o.duration, o.reps, o.warmup)
	wrkVersion, _ := exec.Command(o.wrk, "-v").CombinedOutput() // exits 1 after printing
	first, _, _ := strings.Cut(string(wrkVersion), "\n")
	fmt.Printf("versions: %s; oauth2-proxy %s; ssogate %s; nginx %s (%d workers); caddy %s; harness %s\n", strings.TrimSpace(first),
		moduleVersion(o.oauth2), moduleVersion(o.ssogate), nginxVersion(o.nginx), nginxWorkers, caddyVersion(o.caddy), runtime.Version())
}

// moduleVersion is the main module's version and Go version in a Go
// binary.
func moduleVersion(path string) string {
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return "(unknown)"
	}
	return bi.Main.Version + " (" + bi.GoVersion + ")"
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "(unknown)"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:3], " ")
}
