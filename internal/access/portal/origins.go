package portal

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"time"

	"github.com/ssogate/ssogate/internal/access"
)

// maxOriginProxies bounds the cache of origin proxies: one per app with an
// origin, so only an instance with more apps than this ever evicts.
const maxOriginProxies = 4096

// originKey is what an origin proxy is built from: a change to any of it
// (an app edited) builds a new proxy with a new connection pool.
type originKey struct {
	url      string
	settings access.OriginRequest
}

// originProxy forwards to one app's origin with one configuration. Its
// transport, and so its pool of idle connections, lives as long as the
// configuration does; per-request values travel in the request's context
// (proxyCall), so nothing is allocated here per request.
type originProxy struct {
	key       originKey
	target    *url.URL
	transport *http.Transport
	rp        *httputil.ReverseProxy
}

// originPool caches an origin proxy per app id.
type originPool struct {
	mu    sync.RWMutex
	byApp map[string]*originProxy
	max   int
}

func newOriginPool() *originPool {
	return &originPool{byApp: map[string]*originProxy{}, max: maxOriginProxies}
}

// get returns app's origin proxy, building it when the app is new or its
// origin settings changed (the old one's idle connections are closed;
// requests in flight on it finish).
func (o *originPool) get(app *access.App) (*originProxy, error) {
	key := originKey{url: app.OriginURL, settings: app.OriginRequest}
	o.mu.RLock()
	op := o.byApp[app.ID]
	o.mu.RUnlock()
	if op != nil && op.key == key {
		return op, nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if op = o.byApp[app.ID]; op != nil && op.key == key {
		return op, nil
	}
	fresh, err := newOriginProxy(key)
	if err != nil {
		return nil, err
	}
	if op != nil {
		op.transport.CloseIdleConnections()
	} else if len(o.byApp) >= o.max {
		o.evictOne()
	}
	o.byApp[app.ID] = fresh
	return fresh, nil
}

// evictOne drops an arbitrary entry; it is rebuilt on its app's next
// request. Called with mu held.
func (o *originPool) evictOne() {
	for id, op := range o.byApp {
		op.transport.CloseIdleConnections()
		delete(o.byApp, id)
		return
	}
}

// quietLog silences ReverseProxy's own log line for a body that fails
// midway: watchBody logs it, with the app, through slog.
var quietLog = log.New(io.Discard, "", 0)

func newOriginProxy(key originKey) (*originProxy, error) {
	target, err := url.Parse(key.url)
	if err != nil || target.Host == "" {
		return nil, errors.New("origin_url does not parse")
	}
	tr, err := newOriginTransport(key.settings)
	if err != nil {
		return nil, err
	}
	op := &originProxy{key: key, target: target, transport: tr}
	op.rp = &httputil.ReverseProxy{Transport: tr, Rewrite: op.rewrite, ModifyResponse: watchBody, ErrorHandler: originFailed,
		ErrorLog: quietLog, BufferPool: copyBuffers}
	return op, nil
}

// copyBuffers are the 32 KB buffers ReverseProxy copies bodies through.
// Without a pool it allocates one per request: most of the bytes an
// admitted request allocates, and much of the collector's work. The pool
// holds array pointers, so neither Get nor Put allocates.
var copyBuffers httputil.BufferPool = &bufferPool{}

const copyBufferSize = 32 << 10

type bufferPool struct{ p sync.Pool }

func (b *bufferPool) Get() []byte {
	if v, ok := b.p.Get().(*[copyBufferSize]byte); ok {
		return v[:]
	}
	return new([copyBufferSize]byte)[:]
}

func (b *bufferPool) Put(buf []byte) {
	if len(buf) == copyBufferSize {
		b.p.Put((*[copyBufferSize]byte)(buf))
	}
}

// newOriginTransport builds the transport of one origin configuration:
// no proxy from the environment, the app's timeouts and TLS settings,
// HTTP/1.1 unless http2_origin (as cloudflared), bodies passed through
// as encoded (no transparent gzip).
func newOriginTransport(s access.OriginRequest) (*http.Transport, error) {
	s = s.WithDefaults()
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: s.OriginServerName, InsecureSkipVerify: s.NoTLSVerify} //nolint:gosec // no_tls_verify is the administrator's explicit choice
	if s.CAPool != "" {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(s.CAPool)) {
			return nil, errors.New("ca_pool holds no certificate")
		}
		tlsConf.RootCAs = pool
	}
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetHTTP2(s.HTTP2Origin)
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: access.Seconds(s.ConnectTimeout), KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tlsConf,
		TLSHandshakeTimeout:   access.Seconds(s.TLSTimeout),
		ResponseHeaderTimeout: access.Seconds(s.ResponseTimeout),
		ExpectContinueTimeout: time.Second,
		MaxIdleConns:          s.KeepAliveConnections,
		MaxIdleConnsPerHost:   s.KeepAliveConnections,
		IdleConnTimeout:       access.Seconds(s.KeepAliveTimeout),
		DisableCompression:    true,
		Protocols:             &protocols,
	}, nil
}
