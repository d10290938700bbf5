package metrics

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"time"
)

// Observe wraps the handler tree: each request gets a Request (and its id
// in X-Request-Id), is counted and timed in m, and is written to log
// unless log is nil (--access-log=false). m may be nil too.
//
// Counting happens in a deferred call, so a request whose handler panics —
// httputil.ReverseProxy aborts a response whose origin failed midway with
// http.ErrAbortHandler — is counted as well.
func Observe(next http.Handler, m *Metrics, log *RequestLog) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o := &observed{rw: responseWriter{ResponseWriter: w}}
		o.req.id = nextID()
		o.rw.req = &o.req
		o.ctx = requestContext{Context: r.Context(), req: &o.req}
		start := time.Now()
		r = r.WithContext(&o.ctx)
		returned := false
		defer func() {
			elapsed := time.Since(start)
			o.finish(r, !returned)
			m.observeHTTP(&o.req, r.Method, o.rw.status, elapsed)
			log.write(r, &o.req, o.rw.status, o.rw.bytes, start, elapsed)
		}()
		next.ServeHTTP(&o.rw, r)
		returned = true
	})
}

// observed is one request's Request, context and response writer,
// allocated together: the gateway's admitted path is benchmarked per
// allocation.
type observed struct {
	req Request
	ctx requestContext
	rw  responseWriter
}

// requestContext is the request's context with its Request: what
// context.WithValue would make, without its own allocation. Done, Err,
// Deadline and every other value are the parent's, so cancellation still
// reaches contexts derived from it directly (context finds the parent's
// cancelCtx through Value) and no goroutine is started.
type requestContext struct {
	context.Context
	req *Request
}

func (c *requestContext) Value(key any) any {
	if _, ok := key.(requestKey); ok {
		return c.req
	}
	return c.Context.Value(key)
}

// finish settles the route and status once the handler returned: a route
// no handler set is the pattern the innermost ServeMux matched on this
// very request (ServeMux records it in the request it is given), and a
// handler that wrote nothing answered 200 (net/http sends it), or, when
// it panicked, nothing at all: the connection is dropped, counted as 500.
func (o *observed) finish(r *http.Request, panicked bool) {
	if o.req.route == "" {
		o.req.SetPattern(r.Pattern)
	}
	if o.req.route == "" {
		o.req.route = Unmatched
	}
	if o.rw.status == 0 {
		o.rw.status = http.StatusOK
		if panicked {
			o.rw.status = http.StatusInternalServerError
		}
	}
}

// responseWriter remembers the status and counts the body bytes. It keeps
// what the writer underneath can do reachable: Flush and Hijack directly
// (some callers assert them), and everything else — deadlines, full
// duplex — through Unwrap, which http.ResponseController follows.
type responseWriter struct {
	http.ResponseWriter
	req    *Request
	status int
	bytes  int64
	id     [1]string // X-Request-Id's value slice, without an allocation of its own
}

// answering is called before the first header or byte goes out: it
// records the status (a body with no WriteHeader is a 200) and adds the
// request id unless the response has one — a proxied origin's own
// X-Request-Id is left as it is.
func (w *responseWriter) answering(code int) {
	if w.status == 0 {
		h := w.ResponseWriter.Header()
		if _, ok := h["X-Request-Id"]; !ok {
			w.id[0] = w.req.ID()
			h["X-Request-Id"] = w.id[:]
		}
	}
	if w.status == 0 || w.status < 200 && code >= 200 { // 1xx interim answers come first
		w.status = code
	}
}

func (w *responseWriter) WriteHeader(code int) {
	w.answering(code)
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.answering(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// ReadFrom keeps the server's sendfile path for files served whole.
func (w *responseWriter) ReadFrom(src io.Reader) (int64, error) {
	if w.status == 0 {
		w.answering(http.StatusOK)
	}
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		n, err := rf.ReadFrom(src)
		w.bytes += n
		return n, err
	}
	n, err := io.Copy(struct{ io.Writer }{w.ResponseWriter}, src)
	w.bytes += n
	return n, err
}

func (w *responseWriter) Flush() {
	if w.status == 0 {
		w.answering(http.StatusOK)
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack hands the connection over (a WebSocket through the gateway): the
// answer is then the protocol switch.
func (w *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil && (w.status == 0 || w.status < 200) {
		w.status = http.StatusSwitchingProtocols
	}
	return conn, rw, err
}

func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
