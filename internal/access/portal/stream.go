package portal

import (
	"net/http"
	"time"
)

// The HTTP server bounds every request (ReadTimeout, WriteTimeout in
// internal/app), which protects ssogate's own pages from slow clients but
// would cut a proxied download, an event stream or an upload that
// outlasts them. For a proxied request, and only after admission:
//
//   - the read deadline is lifted: a request body streams to the origin
//     at the client's pace, however long the upload lasts (HTTP/1 full
//     duplex, so an origin may answer while the body still arrives);
//   - the write deadline becomes a per-write bound: each write to the
//     client must complete within the server's WriteTimeout, however long
//     the whole response lasts, so a client that stops reading is
//     disconnected (and the origin request cancelled) instead of holding
//     a connection forever, while an origin idle between events is not;
//   - WebSocket upgrades are hijacked by httputil.ReverseProxy, and the
//     server clears a hijacked connection's deadlines: a WebSocket is
//     bounded only by TCP keep-alive and by either side closing it.

// writeBound gives each write to the client its own deadline and clears it
// afterwards. Clearing matters for HTTP/2, where a write deadline is a
// timer that resets the stream whether or not a write is pending.
type writeBound struct {
	http.ResponseWriter
	rc    http.ResponseController
	limit time.Duration // 0: the server has no WriteTimeout, w is used as it is
}

// stream prepares w for a proxied response and returns the writer to use;
// finish must be called when the response is complete.
func (w *writeBound) stream(rw http.ResponseWriter, r *http.Request) http.ResponseWriter {
	w.rc = *http.NewResponseController(rw)
	_ = w.rc.EnableFullDuplex() // HTTP/2 is full duplex already: ErrNotSupported
	_ = w.rc.SetReadDeadline(time.Time{})
	srv, _ := r.Context().Value(http.ServerContextKey).(*http.Server)
	if srv == nil || srv.WriteTimeout <= 0 {
		return rw
	}
	_ = w.rc.SetWriteDeadline(time.Time{}) // waiting for the origin is not writing
	w.ResponseWriter, w.limit = rw, srv.WriteTimeout
	return w
}

// finish bounds the server's flush of what is buffered after the handler
// returns: that last write is bounded too.
func (w *writeBound) finish() {
	if w.limit > 0 {
		_ = w.rc.SetWriteDeadline(time.Now().Add(w.limit))
	}
}

func (w *writeBound) Write(b []byte) (int, error) {
	_ = w.rc.SetWriteDeadline(time.Now().Add(w.limit))
	n, err := w.ResponseWriter.Write(b)
	_ = w.rc.SetWriteDeadline(time.Time{})
	return n, err
}

// FlushError is what http.ResponseController (and so ReverseProxy, for
// server-sent events and chunked responses) calls to flush.
func (w *writeBound) FlushError() error {
	_ = w.rc.SetWriteDeadline(time.Now().Add(w.limit))
	err := w.rc.Flush()
	_ = w.rc.SetWriteDeadline(time.Time{})
	return err
}

// Unwrap lets http.ResponseController reach the server's writer, for
// Hijack (WebSocket upgrades) and deadlines.
func (w *writeBound) Unwrap() http.ResponseWriter { return w.ResponseWriter }
