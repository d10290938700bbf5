package portal

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"syscall"
	"testing"
)

// Transport errors as http.Transport returns them, wrapped or not, sort
// into the class the page and the counters name.
func TestClassifyOriginError(t *testing.T) {
	dial := func(err error) error { return &net.OpError{Op: "dial", Net: "tcp", Err: err} }
	for _, tc := range []struct {
		name string
		err  error
		want originFailure
	}{
		{"refused", dial(os.NewSyscallError("connect", syscall.ECONNREFUSED)), failConnect},
		{"no such host", dial(&net.DNSError{Err: "no such host", Name: "app.internal", IsNotFound: true}), failConnect},
		{"unreachable", dial(os.NewSyscallError("connect", syscall.EHOSTUNREACH)), failConnect},
		{"connect timeout", dial(os.ErrDeadlineExceeded), failTimeout},
		{"context deadline", fmt.Errorf("round trip: %w", context.DeadlineExceeded), failTimeout},
		{"unknown authority", &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}, failTLS},
		{"wrong name", &tls.CertificateVerificationError{Err: x509.HostnameError{Certificate: &x509.Certificate{}, Host: "x"}}, failTLS},
		{"plain http on a TLS port", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, failTLS},
		{"alert from the origin", &net.OpError{Op: "remote error", Err: errors.New("tls: handshake failure")}, failTLS},
		{"other handshake failure", errors.New("tls: server selected unadvertised ALPN protocol"), failTLS},
		{"hung up", io.EOF, failClosed},
		{"hung up midway", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), failClosed},
		{"reset", &net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, failClosed},
		{"malformed answer", errors.New(`net/http: HTTP/1.x transport connection broken: malformed HTTP response "SSH-2.0"`), failOther},
	} {
		if got := classifyOriginError(tc.err); got != tc.want {
			t.Errorf("%s (%v): %s, want %s", tc.name, tc.err, got, tc.want)
		}
	}
	for f := range numFailures {
		pe := failurePage(f, "Wiki")
		if want := map[bool]int{true: http.StatusGatewayTimeout, false: http.StatusBadGateway}[f == failTimeout]; pe.status != want {
			t.Errorf("%s: status %d, want %d", f, pe.status, want)
		}
	}
}
