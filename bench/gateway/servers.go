package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

// upstreamBody is what the upstream answers; every check looks for it.
const upstreamBody = "ok"

// countPath is the upstream's request counter, read directly by the
// harness (never through a proxy) to prove that every request wrk counted
// reached the upstream: a gateway answering 302s would look fast, and wrk
// counts 3xx as successes.
const countPath = "/__bench/count"

// serveChild runs one of the helper servers until SIGTERM:
//
//	serve-upstream ADDR       the Go upstream: "ok" to everything
//	serve-proxy ADDR URL      httputil.ReverseProxy to URL, tuned
//	serve-auth-null ADDR      an auth service admitting everything: 200, no body
func serveChild(mode string, args []string) error {
	var h http.Handler
	switch {
	case mode == "serve-upstream" && len(args) == 1:
		h = upstream()
	case mode == "serve-auth-null" && len(args) == 1:
		h = authNull()
	case mode == "serve-proxy" && len(args) == 2:
		to, err := url.Parse(args[1])
		if err != nil {
			return err
		}
		h = bareProxy(to)
	default:
		return fmt.Errorf("usage: serve-upstream ADDR | serve-proxy ADDR URL | serve-auth-null ADDR")
	}
	srv := &http.Server{Addr: args[0], Handler: h, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() { <-ctx.Done(); _ = srv.Close() }()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// upstream is the application every scenario ends at.
func upstream() http.Handler {
	var served atomic.Int64
	body := []byte(upstreamBody)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == countPath {
			_, _ = w.Write([]byte(strconv.FormatInt(served.Load(), 10)))
			return
		}
		served.Add(1)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write(body)
	})
}

// authNull is the cheapest answer an auth service can give nginx's
// auth_request or Caddy's forward_auth: 200 with no body and no work,
// whatever was asked. A proxy in front of it (nginx-auth-null,
// caddy-auth-null) costs what any auth service that proxy asks over HTTP
// costs before it checks anything: the ceiling for forward auth.
func authNull() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
	})
}

// bareProxy is the reference: a reverse proxy with nothing in front of it
// and a connection pool big enough that wrk's connections never wait for
// an idle upstream connection (the MaxIdleConnsPerHost=512).
func bareProxy(to *url.URL) http.Handler {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.MaxIdleConns = 512
	tr.MaxIdleConnsPerHost = 512
	return &httputil.ReverseProxy{
		Transport: tr,
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(to)
			pr.SetXForwarded()
			pr.Out.Host = pr.In.Host
		},
	}
}
