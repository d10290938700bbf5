package portal_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/access/portal"
	"github.com/ssogate/ssogate/internal/apptest"
)

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  string
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "throwaway test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))}
}

// serverCert is a certificate for names (and no IP address) signed by ca.
func (ca *testCA) serverCert(t *testing.T, names ...string) tls.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// tlsSeen is what the TLS origin reports about a request.
type tlsSeen struct {
	Proto int
	SNI   string
	Email string
}

// signedInApp creates a self-hosted app on host in front of originURL and
// signs alice in; it returns the app id and her browser.
func signedInApp(t *testing.T, a *acme, host, originURL string) (string, *http.Client) {
	t.Helper()
	id, _ := a.app(t, `{"type":"self_hosted","name":"Origin","domain":"`+host+`","origin_url":"`+originURL+`",
		"policies":["`+a.staffPolicy+`"]}`)
	c := a.env.Browser()
	a.appLogin(t, c, "http://"+host+":"+a.env.Port()+"/", "alice")
	return id, c
}

// A TLS origin whose certificate comes from a throwaway CA and names
// origin.internal only: refused until ca_pool and origin_server_name say
// so, or no_tls_verify; HTTP/2 only with http2_origin. Each change of the
// settings takes effect on the next request.
func TestOriginTLS(t *testing.T) {
	t.Parallel()
	a := newAcme(t)
	ca := newTestCA(t)
	origin := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(tlsSeen{Proto: r.ProtoMajor, SNI: r.TLS.ServerName, Email: r.Header.Get("Cf-Access-Authenticated-User-Email")})
	}))
	origin.EnableHTTP2 = true
	origin.TLS = &tls.Config{Certificates: []tls.Certificate{ca.serverCert(t, "origin.internal")}, NextProtos: []string{"h2", "http/1.1"}}
	origin.StartTLS()
	t.Cleanup(origin.Close)
	id, c := signedInApp(t, a, "secure.localhost", origin.URL)
	before := a.env.App.Portal.OriginErrors()[id].TLS
	caPool, _ := json.Marshal(ca.pem)
	for _, step := range []struct {
		name, settings string
		status         int
		want           tlsSeen
	}{
		{"system roots", `{}`, http.StatusBadGateway, tlsSeen{}},
		{"CA but not the name", `{"ca_pool":` + string(caPool) + `}`, http.StatusBadGateway, tlsSeen{}},
		{"CA and server name", `{"ca_pool":` + string(caPool) + `,"origin_server_name":"origin.internal"}`, http.StatusOK,
			tlsSeen{Proto: 1, SNI: "origin.internal", Email: "alice@acmecorp.company"}},
		{"HTTP/2", `{"ca_pool":` + string(caPool) + `,"origin_server_name":"origin.internal","http2_origin":true}`, http.StatusOK,
			tlsSeen{Proto: 2, SNI: "origin.internal", Email: "alice@acmecorp.company"}},
		{"no_tls_verify", `{"no_tls_verify":true}`, http.StatusOK, tlsSeen{Proto: 1, Email: "alice@acmecorp.company"}},
	} {
		a.call(t, "PUT", "/access/apps/"+id, `{"origin_request":`+step.settings+`}`, 200)
		h := get(t, c, "http://secure.localhost:"+a.env.Port()+"/")
		if h.status != step.status {
			t.Errorf("%s: %d %s", step.name, h.status, h.body)
			continue
		}
		if step.status != http.StatusOK {
			if !strings.Contains(text(h.body), "the TLS handshake failed") || strings.Contains(h.body, "x509") ||
				strings.Contains(h.body, "origin.internal") {
				t.Errorf("%s: the page should name the TLS failure and nothing more: %s", step.name, h.body)
			}
			continue
		}
		var got tlsSeen
		if err := json.Unmarshal([]byte(h.body), &got); err != nil || got != step.want {
			t.Errorf("%s: the origin saw %+v, want %+v (%v)", step.name, got, step.want, err)
		}
	}
	if n := a.env.App.Portal.OriginErrors()[id].TLS - before; n != 2 {
		t.Errorf("TLS failures counted: %d, want 2", n)
	}
}

// Each origin failure gets ssogate's page naming its class — 502 for a
// refused connection or a hang-up, 504 for a timeout — with no address or
// Go error text, and is counted for the app. A failure in the middle of a
// body cuts the client's connection and is counted too.
func TestOriginErrorPages(t *testing.T) {
	t.Parallel()
	a := newAcme(t)
	ok := echoOrigin(t)
	id, c := signedInApp(t, a, "flaky.localhost", ok.URL)
	refused := "http://" + refusingAddr(t)
	hangs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	t.Cleanup(hangs.Close)
	hangsUp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/midway" {
			w.Header().Set("Content-Length", "1000")
			_, _ = w.Write([]byte("the first bytes"))
			http.NewResponseController(w).Flush()
		}
		conn, _, _ := http.NewResponseController(w).Hijack()
		conn.Close()
	}))
	t.Cleanup(hangsUp.Close)
	before := a.env.App.Portal.OriginErrors()[id]
	for _, step := range []struct {
		name, origin, settings, path string
		status                       int
		says                         string
	}{
		{"refused", refused, `{}`, "/", http.StatusBadGateway, "could not connect"},
		{"timeout", hangs.URL, `{"response_timeout":1}`, "/", http.StatusGatewayTimeout, "did not answer in time"},
		{"hang-up", hangsUp.URL, `{}`, "/", http.StatusBadGateway, "closed the connection"},
	} {
		a.call(t, "PUT", "/access/apps/"+id, `{"origin_url":"`+step.origin+`","origin_request":`+step.settings+`}`, 200)
		start := time.Now()
		h := get(t, c, "http://flaky.localhost:"+a.env.Port()+step.path)
		if h.status != step.status || !strings.Contains(text(h.body), step.says) {
			t.Errorf("%s: %d after %s: %s", step.name, h.status, time.Since(start), h.body)
		}
		_, port, _ := net.SplitHostPort(strings.TrimPrefix(step.origin, "http://"))
		for _, leak := range []string{port, "127.0.0.1", "dial", "EOF", "timeout awaiting"} {
			if step.status != http.StatusOK && strings.Contains(h.body, leak) {
				t.Errorf("%s: the page shows %q: %s", step.name, leak, h.body)
			}
		}
	}
	// Midway, the status is sent: the client's connection is cut. (A new
	// connection, which the client does not retry the request on.)
	mid := apptest.BrowserAt(a.env.Server.Listener.Addr().String())
	mid.Jar = c.Jar
	if resp, err := mid.Get("http://flaky.localhost:" + a.env.Port() + "/midway"); err == nil {
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil {
			t.Errorf("a body cut midway at the origin arrived whole: %d %q", resp.StatusCode, body)
		}
	}
	got := a.env.App.Portal.OriginErrors()[id]
	want := portal.OriginErrorCounts{Connect: before.Connect + 1, Timeout: before.Timeout + 1, Closed: before.Closed + 2}
	if got != want {
		t.Errorf("counted %+v, want %+v", got, want)
	}
}

// http_host_header replaces the Host the origin sees (X-Forwarded-Host
// still names the application), and an app's requests share pooled
// connections until its origin settings change.
func TestOriginHostHeaderAndPool(t *testing.T) {
	t.Parallel()
	a := newAcme(t)
	var conns atomic.Int64
	origin := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(seen{Method: r.Method, Host: r.Host, URI: r.RequestURI, Header: r.Header})
	}))
	origin.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	origin.Start()
	t.Cleanup(origin.Close)
	id, c := signedInApp(t, a, "pooled.localhost", origin.URL)
	u := "http://pooled.localhost:" + a.env.Port() + "/"
	start := conns.Load()
	for range 5 {
		if h := get(t, c, u); h.status != http.StatusOK {
			t.Fatalf("%d %s", h.status, h.body)
		}
	}
	if n := conns.Load() - start; n > 1 {
		t.Errorf("5 requests opened %d connections to the origin: no pooling", n)
	}
	start = conns.Load()
	a.call(t, "PUT", "/access/apps/"+id, `{"origin_request":{"http_host_header":"intranet.example:8080","keep_alive_connections":8}}`, 200)
	var got seen
	h := get(t, c, u)
	if err := json.Unmarshal([]byte(h.body), &got); err != nil || got.Host != "intranet.example:8080" ||
		got.Header.Get("X-Forwarded-Host") != "pooled.localhost:"+a.env.Port() {
		t.Errorf("with http_host_header: %d %+v", h.status, got)
	}
	if n := conns.Load() - start; n != 1 {
		t.Errorf("after a settings change: %d new connections, want 1 (a new pool)", n)
	}
}

// refusingAddr is a loopback address that refuses connections for the
// whole test: a socket bound to it and never listening keeps the port
// taken. (The port of a listener just closed can be handed to the next
// test server, as this file's hanging origin once was.)
func refusingAddr(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
}
