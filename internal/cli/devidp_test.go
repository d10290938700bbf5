package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/apptest"
	"github.com/ssogate/ssogate/internal/cli"
)

func TestDevIdPServesDiscovery(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out := &apptest.SyncBuffer{}
	var errOut bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Main(ctx, []string{"dev-idp", "--listen", "127.0.0.1:0", "--user", "alice@acmecorp.company:pw:staff",
			"--redirect-uri", "http://acme.access.localhost:8080/cdn-cgi/access/callback"},
			&cli.Env{Stdout: out, Stderr: &errOut, Getenv: func(string) string { return "" }})
	}()
	issuerRE := regexp.MustCompile(`issuer_url: (\S+)`)
	var issuer string
	for deadline := time.Now().Add(10 * time.Second); issuer == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := issuerRE.FindStringSubmatch(out.String()); m != nil {
			issuer = m[1]
		}
	}
	if issuer == "" {
		t.Fatalf("no issuer printed: %q %q", out.String(), errOut.String())
	}
	resp, err := http.Get(strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		AuthorizationEndpoint string `json:"authorization_endpoint"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if !strings.HasSuffix(doc.AuthorizationEndpoint, "/application/o/authorize/") {
		t.Fatalf("discovery: %+v", doc)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
}

func TestDevIdPUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"dev-idp"}, {"dev-idp", "--user", "nobody"}, {"dev-idp", "--user", "a@b.c:pw"}} {
		var out, errOut bytes.Buffer
		code := cli.Main(context.Background(), args, &cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }})
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errOut.String())
		}
	}
}
