package access

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/ssogate/ssogate/internal/api"
)

// OriginRequest is how the gateway reaches a self-hosted app's origin_url
// (an ssogate extension, like origin_url). Cloudflare's Access API has no
// such settings, but Cloudflare Tunnel's originRequest does, so the
// fields are its names in snake_case, durations in whole seconds as its
// API takes them. Zero means the default (OriginDefaults).
type OriginRequest struct {
	ConnectTimeout int `json:"connect_timeout,omitempty"`
	TLSTimeout     int `json:"tls_timeout,omitempty"`
	// ResponseTimeout bounds the wait for the origin's response headers:
	// what Cloudflare's edge does with its 100 s proxy read timeout (error
	// 524). A streaming body is not bounded by it.
	ResponseTimeout      int `json:"response_timeout,omitempty"`
	KeepAliveConnections int `json:"keep_alive_connections,omitempty"`
	KeepAliveTimeout     int `json:"keep_alive_timeout,omitempty"`
	// OriginServerName is the name the origin's certificate must carry
	// (and the SNI sent), when it is not origin_url's host.
	OriginServerName string `json:"origin_server_name,omitempty"`
	// CAPool is PEM certificates trusted for the origin instead of the
	// system roots. cloudflared takes a file path; an API shared by
	// tenants must not read server files, so this is the PEM text.
	CAPool         string `json:"ca_pool,omitempty"`
	NoTLSVerify    bool   `json:"no_tls_verify,omitempty"`
	HTTP2Origin    bool   `json:"http2_origin,omitempty"`
	HTTPHostHeader string `json:"http_host_header,omitempty"`
}

// OriginDefaults are the values of unset OriginRequest fields: Cloudflare
// Tunnel's, except keep_alive_connections (cloudflared keeps 100 idle
// connections; a gateway in front of a busy app wants more) and
// response_timeout (Cloudflare's edge timeout).
var OriginDefaults = OriginRequest{ConnectTimeout: 10, TLSTimeout: 10, ResponseTimeout: 100,
	KeepAliveConnections: 256, KeepAliveTimeout: 90}

// Bounds of the numeric settings, checked on write.
const (
	maxOriginTimeout   = 3600 // seconds
	maxKeepAliveConns  = 4096
	maxCAPoolBytes     = 256 << 10
	originRequestField = "/origin_request/"
)

// UnmarshalJSON refuses keys it does not know, unlike the API's other
// objects: origin_request is ssogate's own, so no Cloudflare client sends
// extra keys, and a key copied from a tunnel's camelCase originRequest
// (noTLSVerify, caPool) would otherwise be dropped without a word.
func (o *OriginRequest) UnmarshalJSON(b []byte) error {
	type plain OriginRequest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p plain
	if err := dec.Decode(&p); err != nil {
		if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return fmt.Errorf("origin_request has no field %s; its fields are connect_timeout, tls_timeout, response_timeout, "+
				"keep_alive_connections, keep_alive_timeout, origin_server_name, ca_pool, no_tls_verify, http2_origin and http_host_header", field)
		}
		return err
	}
	*o = OriginRequest(p)
	return nil
}

// WithDefaults is o with every unset numeric field at its default.
func (o OriginRequest) WithDefaults() OriginRequest {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.ConnectTimeout, OriginDefaults.ConnectTimeout)
	def(&o.TLSTimeout, OriginDefaults.TLSTimeout)
	def(&o.ResponseTimeout, OriginDefaults.ResponseTimeout)
	def(&o.KeepAliveConnections, OriginDefaults.KeepAliveConnections)
	def(&o.KeepAliveTimeout, OriginDefaults.KeepAliveTimeout)
	return o
}

// Seconds is n seconds as a duration.
func Seconds(n int) time.Duration { return time.Duration(n) * time.Second }

// checkOriginRequest validates an app's origin settings against its
// origin_url, so a bad CA bundle or a TLS option on a plain-http origin is
// a 400 on write rather than a 502 for every visitor.
func checkOriginRequest(a *App) error {
	o := a.OriginRequest
	if o == (OriginRequest{}) {
		return nil
	}
	if a.OriginURL == "" {
		return api.Invalid("/origin_request", "origin_request needs an origin_url")
	}
	if err := checkOriginNumbers(o); err != nil {
		return err
	}
	if o.OriginServerName != "" && !isHostName(o.OriginServerName) {
		return invalidOrigin("origin_server_name", "origin_server_name must be a host name such as app.internal, not %q", o.OriginServerName)
	}
	if o.HTTPHostHeader != "" && !isHostHeader(o.HTTPHostHeader) {
		return invalidOrigin("http_host_header", "http_host_header must be a host name, optionally with a port, not %q", o.HTTPHostHeader)
	}
	if o.CAPool != "" {
		if err := checkCAPool(o.CAPool); err != nil {
			return err
		}
	}
	if u, err := url.Parse(a.OriginURL); err == nil && u.Scheme == "http" {
		for _, f := range []struct {
			name string
			set  bool
		}{{"origin_server_name", o.OriginServerName != ""}, {"ca_pool", o.CAPool != ""},
			{"no_tls_verify", o.NoTLSVerify}, {"http2_origin", o.HTTP2Origin}} {
			if f.set {
				return invalidOrigin(f.name, "%s applies to https origins only; origin_url is %s", f.name, a.OriginURL)
			}
		}
	}
	if o.NoTLSVerify && (o.CAPool != "" || o.OriginServerName != "") {
		return invalidOrigin("no_tls_verify", "no_tls_verify turns certificate checks off, so ca_pool and origin_server_name would be ignored: set one or the other")
	}
	return nil
}

func checkOriginNumbers(o OriginRequest) error {
	for _, f := range []struct {
		name   string
		v, max int
		unit   string
	}{
		{"connect_timeout", o.ConnectTimeout, 300, "seconds"},
		{"tls_timeout", o.TLSTimeout, 300, "seconds"},
		{"response_timeout", o.ResponseTimeout, maxOriginTimeout, "seconds"},
		{"keep_alive_timeout", o.KeepAliveTimeout, maxOriginTimeout, "seconds"},
		{"keep_alive_connections", o.KeepAliveConnections, maxKeepAliveConns, "connections"},
	} {
		if f.v < 0 || f.v > f.max {
			return invalidOrigin(f.name, "%s must be from 1 to %d %s (0 or absent: the default, %d), not %d",
				f.name, f.max, f.unit, fieldDefault(f.name), f.v)
		}
	}
	return nil
}

func fieldDefault(name string) int {
	d := OriginDefaults
	return map[string]int{"connect_timeout": d.ConnectTimeout, "tls_timeout": d.TLSTimeout, "response_timeout": d.ResponseTimeout,
		"keep_alive_timeout": d.KeepAliveTimeout, "keep_alive_connections": d.KeepAliveConnections}[name]
}

// checkCAPool wants one or more PEM certificates and nothing else, so a
// pasted private key or a truncated bundle is refused, not half-used.
func checkCAPool(pool string) error {
	if len(pool) > maxCAPoolBytes {
		return invalidOrigin("ca_pool", "ca_pool is at most %d KB of PEM certificates", maxCAPoolBytes>>10)
	}
	rest := []byte(pool)
	n := 0
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return invalidOrigin("ca_pool", "ca_pool must hold only CERTIFICATE PEM blocks, not %s", block.Type)
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return invalidOrigin("ca_pool", "ca_pool certificate %d does not parse: %v", n+1, err)
		}
		n++
	}
	if n == 0 || strings.TrimSpace(string(rest)) != "" {
		return invalidOrigin("ca_pool", "ca_pool must be PEM certificates (-----BEGIN CERTIFICATE-----…) and nothing else")
	}
	return nil
}

func invalidOrigin(field, format string, args ...any) error {
	return api.Invalid(originRequestField+field, format, args...)
}

// isHostName accepts a DNS name: dot-separated labels of letters, digits
// and hyphens, not starting or ending with a hyphen.
func isHostName(h string) bool {
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 || net.ParseIP(h) != nil {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// isHostHeader accepts host or host:port, host a name or an IP address.
func isHostHeader(v string) bool {
	u, err := url.Parse("http://" + v)
	if err != nil || u.Host != v || u.User != nil || u.Path != "" {
		return false
	}
	host := u.Hostname()
	return isHostName(host) || net.ParseIP(host) != nil
}
