package cli_test

import (
	"net"
	"strings"
	"testing"
)

// TestHealthcheck: exit 0 when the server on the listen address answers
// /healthz (0.0.0.0 is asked over loopback, as in a container), 1 when
// nothing listens there.
func TestHealthcheck(t *testing.T) {
	t.Parallel()
	srv := serveDataDir(t, t.TempDir())
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	r := must(t, 0, map[string]string{"SSOGATE_LISTEN": "0.0.0.0:" + port}, "healthcheck")
	contains(t, "stdout", r.stdout, "http://127.0.0.1:"+port+"/healthz: ok")

	// Port 1 is outside the ephemeral range, so no test server is there,
	// as one could be on the port of a listener just closed.
	closed := "127.0.0.1:1"
	r = must(t, 1, nil, "healthcheck", "--listen", closed, "--timeout", "2s")
	contains(t, "stderr", r.stderr, "ssogate healthcheck: http://"+closed+"/healthz")
}
