package portal

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// originFailure is the class of an origin error: what the error page and
// the counters name. The Go error itself (addresses, certificate names)
// is only logged.
type originFailure int

const (
	failConnect originFailure = iota // refused, unreachable, name not found
	failTLS                          // handshake or certificate rejected
	failTimeout                      // connect, TLS or response headers too slow
	failClosed                       // the origin hung up before or during its answer
	failOther                        // a response that could not be read
	numFailures
)

var failureNames = [numFailures]string{"connect", "tls", "timeout", "closed", "other"}

func (f originFailure) String() string { return failureNames[f] }

// classifyOriginError sorts a transport error. Timeouts come first (a
// connect or TLS timeout is a 504 like a slow answer), then TLS (a remote
// TLS alert is also a net.OpError), then connection failures.
func classifyOriginError(err error) originFailure {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return failTimeout
	case isTLSError(err):
		return failTLS
	case isDialError(err):
		return failConnect
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, net.ErrClosed):
		return failClosed
	}
	return failOther
}

func isTLSError(err error) bool {
	var (
		cv   *tls.CertificateVerificationError
		rh   tls.RecordHeaderError
		ua   x509.UnknownAuthorityError
		he   x509.HostnameError
		ci   x509.CertificateInvalidError
		op   *net.OpError
		alrt tls.AlertError
	)
	switch {
	case errors.As(err, &cv), errors.As(err, &rh), errors.As(err, &ua), errors.As(err, &he), errors.As(err, &ci),
		errors.As(err, &alrt):
		return true
	case errors.As(err, &op) && op.Op == "remote error": // an alert from the origin
		return true
	}
	// Other handshake failures are plain errors whose text starts "tls: ".
	return strings.HasPrefix(err.Error(), "tls: ")
}

func isDialError(err error) bool {
	var (
		op  *net.OpError
		dns *net.DNSError
	)
	return errors.As(err, &dns) || errors.As(err, &op) && op.Op == "dial" || errors.Is(err, syscall.ECONNREFUSED)
}

// failurePage is what a browser is told, by class: the status, and what
// failed in words an administrator can act on.
func failurePage(f originFailure, appName string) *pageError {
	pe := &pageError{status: http.StatusBadGateway, title: "Application unavailable"}
	switch f {
	case failConnect:
		pe.message = "Access admitted you, but " + appName + " did not answer: ssogate could not connect to its server."
	case failTLS:
		pe.message = "Access admitted you, but ssogate could not connect securely to " + appName + "'s server: the TLS handshake failed."
	case failTimeout:
		pe.status, pe.title = http.StatusGatewayTimeout, "Application timed out"
		pe.message = "Access admitted you, but " + appName + "'s server did not answer in time."
	case failClosed:
		pe.message = "Access admitted you, but " + appName + "'s server closed the connection without answering."
	default:
		pe.message = "Access admitted you, but " + appName + "'s server sent an answer ssogate could not read."
	}
	pe.message += " Try again shortly; if it keeps failing, tell your administrator."
	return pe
}

// originFailed is the origin proxies' ErrorHandler: nothing was sent to
// the client yet, so it gets ssogate's page for the failure's class. A
// client that went away is neither counted nor answered.
func originFailed(w http.ResponseWriter, r *http.Request, err error) {
	call := callOf(r)
	if r.Context().Err() == context.Canceled {
		return
	}
	f := classifyOriginError(err)
	p := call.p
	p.originErrors.add(call.app.ID, f)
	p.metrics.UpstreamError(call.app.ID, call.app.Name, f.String())
	p.log.Warn("access proxy: origin failed", "app", call.app.Name, "app_id", call.app.ID, "failure", f.String(),
		"origin", hostOf(call.app.OriginURL), "error", err)
	p.setPageHeaders(w) // this page is ssogate's again
	pe := failurePage(f, call.app.Name)
	p.render(w, pe.status, "error", pe)
}

// watchBody is the proxies' ModifyResponse, called when the origin's
// response headers arrive: the origin's latency is recorded, and an
// origin that fails in the middle of its body is counted too (the
// client's connection is then cut, as the status is already sent).
func watchBody(res *http.Response) error {
	call := callOf(res.Request)
	if call == nil { // not sent through Portal.proxy: nothing to count against
		return nil
	}
	call.p.metrics.Upstream(call.app.ID, call.app.Name, time.Since(call.start))
	if res.StatusCode != http.StatusSwitchingProtocols && res.Body != nil && res.Body != http.NoBody {
		call.body = watchedBody{ReadCloser: res.Body, req: res.Request, call: call}
		res.Body = &call.body
	}
	return nil
}

// watchedBody is the origin's body of one proxied request; it lives in
// that request's proxyCall.
type watchedBody struct {
	io.ReadCloser
	req    *http.Request
	call   *proxyCall
	failed bool // counted once, however often it is read after failing
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF && !b.failed && b.req.Context().Err() == nil {
		b.failed = true
		call := b.call
		call.p.originErrors.add(call.app.ID, failClosed)
		call.p.metrics.UpstreamError(call.app.ID, call.app.Name, failClosed.String())
		call.p.log.Warn("access proxy: origin failed during its response", "app", call.app.Name, "app_id", call.app.ID,
			"error", err)
	}
	return n, err
}

func hostOf(rawURL string) string {
	_, rest, _ := strings.Cut(rawURL, "://")
	host, _, _ := strings.Cut(rest, "/")
	return host
}

// OriginErrorCounts are an application's origin failures since start, by
// class.
type OriginErrorCounts struct {
	Connect, TLS, Timeout, Closed, Other uint64
}

// originErrorCounter counts failures per app id.
type originErrorCounter struct{ byApp sync.Map } // app id → *[numFailures]atomic.Uint64

func (c *originErrorCounter) add(appID string, f originFailure) {
	v, ok := c.byApp.Load(appID)
	if !ok {
		v, _ = c.byApp.LoadOrStore(appID, new([numFailures]atomic.Uint64))
	}
	v.(*[numFailures]atomic.Uint64)[f].Add(1)
}

// OriginErrors returns the origin failures counted for each app id since
// the process started (apps without failures are absent): for a metrics
// endpoint, a health page or a test.
func (p *Portal) OriginErrors() map[string]OriginErrorCounts {
	out := map[string]OriginErrorCounts{}
	p.originErrors.byApp.Range(func(k, v any) bool {
		n := v.(*[numFailures]atomic.Uint64)
		out[k.(string)] = OriginErrorCounts{Connect: n[failConnect].Load(), TLS: n[failTLS].Load(),
			Timeout: n[failTimeout].Load(), Closed: n[failClosed].Load(), Other: n[failOther].Load()}
		return true
	})
	return out
}
