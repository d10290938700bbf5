// Command gateway measures ssogate's Access gateway under wrk against a
// tuned bare reverse proxy and oauth2-proxy, and ssogate's forward auth
// behind nginx against the same nginx with no auth, every server on
// 127.0.0.1 and in front of the same Go upstream. bench/gateway.sh builds what it needs
// and runs it; docs/benchmarks.md ("Gateway") says what each scenario is.
//
// It is not part of CI: the default run takes about six minutes.
//
// The same binary also serves the upstream and the bare proxy (the first
// argument "serve-upstream" or "serve-proxy"), so each server is its own
// process and its peak RSS and CPU time can be read from /proc.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// options are the command line.
type options struct {
	duration   time.Duration
	warmup     time.Duration
	reps       int
	conns      int
	threads    int
	only       string // comma-separated scenario names; empty: all
	ssogate    string
	oauth2     string
	wrk        string
	workDir    string
	pgScript   string
	noPostgres bool
	nginx      string // "": none found
	noNginx    bool
	caddy      string // "": none found
	noCaddy    bool
	// forwardAuthDoc holds the nginx and Caddy blocks the forward-auth scenario runs.
	forwardAuthDoc string
	// requestLogs turns on ssogate's request log and oauth2-proxy's, both
	// off by default so that neither pays for a line the other skips.
	requestLogs bool
}

func main() {
	if len(os.Args) > 1 && strings.HasPrefix(os.Args[1], "serve-") {
		if err := serveChild(os.Args[1], os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, os.Args[1]+":", err)
			os.Exit(1)
		}
		return
	}
	var o options
	flag.DurationVar(&o.duration, "d", 10*time.Second, "duration of each wrk run")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "uncounted wrk run of each scenario before the measured ones")
	flag.IntVar(&o.reps, "reps", 3, "repetitions; scenarios run A B C … then C B A … alternately")
	flag.IntVar(&o.conns, "c", 32, "wrk connections")
	flag.IntVar(&o.threads, "t", 2, "wrk threads")
	flag.StringVar(&o.only, "only", "", "comma-separated scenarios to run (default all: "+strings.Join(scenarioNames, ",")+")")
	flag.StringVar(&o.ssogate, "ssogate", "", "ssogate binary (bench/gateway.sh builds it)")
	flag.StringVar(&o.oauth2, "oauth2-proxy", "", "oauth2-proxy binary (bench/gateway.sh installs v7.15.6)")
	flag.StringVar(&o.wrk, "wrk", "wrk", "wrk binary")
	flag.StringVar(&o.workDir, "work", "", "directory for data, logs and the PostgreSQL marker (bench/gateway.sh makes and removes it)")
	flag.StringVar(&o.pgScript, "pg-script", "scripts/throwaway-postgres.sh", "script that starts a throwaway PostgreSQL")
	flag.BoolVar(&o.noPostgres, "no-postgres", false, "skip the PostgreSQL scenario")
	flag.StringVar(&o.nginx, "nginx", defaultNginx(), "nginx binary (Debian's: apt-get install -y nginx)")
	flag.BoolVar(&o.noNginx, "no-nginx", false, "skip the nginx scenarios")
	flag.StringVar(&o.caddy, "caddy", lookPath("caddy"), "caddy binary (bench/gateway.sh builds v2.11.9)")
	flag.BoolVar(&o.noCaddy, "no-caddy", false, "skip the Caddy scenarios")
	flag.BoolVar(&o.requestLogs, "request-logs", false, "ssogate and oauth2-proxy each log one line per request (their defaults; off here by default, like-for-like)")
	flag.StringVar(&o.forwardAuthDoc, "forward-auth-doc", "docs/forward-auth.md", "the page whose nginx and Caddy blocks the forward-auth scenarios run")
	flag.Parse()
	if o.ssogate == "" || o.oauth2 == "" || o.workDir == "" || o.reps < 1 || o.duration <= 0 || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: gateway -ssogate BIN -oauth2-proxy BIN -work DIR [-d 10s] [-reps 3] [-c 32] [-t 2] [-only a,b] [-no-postgres] [-no-nginx] [-no-caddy] (or run bench/gateway.sh)")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Bounded: setup, then each run with its checks and a margin.
	runs := time.Duration(len(scenarioNames)) * (time.Duration(o.reps)*(o.duration+20*time.Second) + o.warmup + 40*time.Second)
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute+runs)
	defer cancel()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "gateway bench:", err)
		os.Exit(1)
	}
}

// lookPath is name on PATH, or "".
func lookPath(name string) string {
	p, _ := exec.LookPath(name)
	return p
}

// defaultNginx is nginx on PATH, else Debian's /usr/sbin/nginx (not on a
// non-root PATH), else "".
func defaultNginx() string {
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		return "/usr/sbin/nginx"
	}
	return ""
}

// run starts every server, signs the browsers in, checks every path and
// measures the scenarios; it stops whatever it started before returning.
func run(ctx context.Context, o options) error {
	f := &fleet{work: o.workDir}
	defer f.stopAll()
	scens, upstreamURL, err := setUp(ctx, f, o)
	if err != nil {
		return explain(ctx, f, err)
	}
	printEnvironment(o)
	results, err := measure(ctx, o, scens, upstreamURL)
	if err != nil {
		return explain(ctx, f, err)
	}
	report(os.Stdout, o, scens, results)
	return nil
}

// explain adds the servers' last log lines to a failure, unless the run
// was interrupted or ran out of time.
func explain(ctx context.Context, f *fleet, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("stopped (%v): %w", context.Cause(ctx), err)
	}
	f.dumpLogs()
	return err
}
