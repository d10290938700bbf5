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

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	r = must(t, 1, nil, "healthcheck", "--listen", closed, "--timeout", "2s")
	contains(t, "stderr", r.stderr, "ssogate healthcheck: http://"+closed+"/healthz")
}
