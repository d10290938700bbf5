package cli_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/apptest"
	"github.com/ssogate/ssogate/internal/cli"
)

// background runs a long-lived command (serve, dev-dns) until stop.
type background struct {
	stdout, stderr *apptest.SyncBuffer
	cancel         context.CancelFunc
	done           chan int
}

func startCommand(t *testing.T, env map[string]string, args ...string) *background {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	b := &background{stdout: &apptest.SyncBuffer{}, stderr: &apptest.SyncBuffer{}, cancel: cancel, done: make(chan int, 1)}
	go func() {
		b.done <- cli.Main(ctx, args, &cli.Env{Stdout: b.stdout, Stderr: b.stderr, Getenv: func(k string) string { return env[k] }})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-b.done:
		case <-time.After(20 * time.Second):
			t.Errorf("ssogate %s did not stop", strings.Join(args, " "))
		}
	})
	return b
}

// waitFor waits until stdout matches re and returns the first group.
func (b *background) waitFor(t *testing.T, re *regexp.Regexp) string {
	t.Helper()
	// Generous: a demo's start under the race detector on a busy two-core
	// CI machine has taken more than 15 s.
	deadline := time.After(60 * time.Second)
	for {
		if m := re.FindStringSubmatch(b.stdout.String()); m != nil {
			return m[1]
		}
		select {
		case code := <-b.done:
			b.done <- code
			t.Fatalf("command exited %d before printing %s\nstdout:\n%s\nstderr:\n%s", code, re, b.stdout, b.stderr)
		case <-deadline:
			t.Fatalf("command did not print %s within 60s\nstdout:\n%s\nstderr:\n%s", re, b.stdout, b.stderr)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// stop cancels the command and returns its exit code.
func (b *background) stop(t *testing.T) int {
	t.Helper()
	b.cancel()
	select {
	case code := <-b.done:
		b.done <- code
		return code
	case <-time.After(5 * time.Second):
		t.Fatal("command did not stop within 5s of cancel")
		return -1
	}
}

func TestServe(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := map[string]string{
		"SSOGATE_LISTEN":          "127.0.0.1:8080", // the flag below wins
		"SSOGATE_DNS_NAMESERVERS": "127.0.0.1:9",
		"SSOGATE_BOOTSTRAP_TOKEN": testToken,
		"SSOGATE_LOG_LEVEL":       "warn",
	}
	srv := startCommand(t, env, "serve", "--listen", "127.0.0.1:0", "--data-dir", dir)
	base := srv.waitFor(t, regexp.MustCompile(`ssogate listening on (http://127\.0\.0\.1:\d+) `))
	if strings.HasSuffix(base, ":8080") {
		t.Fatalf("serve listens on %s: the environment won over --listen", base)
	}
	account := srv.waitFor(t, regexp.MustCompile(`account id: ([0-9a-f]{32})`))

	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ok\n" {
		t.Errorf("/healthz: %d %q", resp.StatusCode, body)
	}

	req, _ := http.NewRequest("GET", base+"/client/v4/accounts", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Result []struct {
			ID string `json:"id"`
		} `json:"result"`
	}
	err = json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if err != nil || len(got.Result) != 1 || got.Result[0].ID != account {
		t.Errorf("GET /accounts with the bootstrap token: %v %+v, want [%s]", err, got, account)
	}

	if code := srv.stop(t); code != 0 {
		t.Errorf("serve exited %d after cancel, want 0\nstderr:\n%s", code, srv.stderr)
	}

	// Restart on the same directory: no second bootstrap.
	again := startCommand(t, env, "serve", "--listen", "127.0.0.1:0", "--data-dir", dir)
	again.waitFor(t, regexp.MustCompile(`ssogate listening on (http://\S+) `))
	if strings.Contains(again.stdout.String(), "First start") {
		t.Errorf("restart bootstrapped again:\n%s", again.stdout)
	}
	if code := again.stop(t); code != 0 {
		t.Errorf("second serve exited %d, want 0", code)
	}
}

func TestServeConfigurationErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		env   map[string]string
		args  []string
		wants []string
	}{
		{"bad flag", nil, []string{"--verify-concurrency", "0"}, []string{"verify-concurrency"}},
		{"bad listen", nil, []string{"--listen", "8080"}, []string{"listen", `"8080"`}},
		{"bad environment", map[string]string{"SSOGATE_DATABASE_URL": "mysql://db/sg"}, nil, []string{"database-url"}},
		{"bad bootstrap token", map[string]string{"SSOGATE_BOOTSTRAP_TOKEN": "too-short"}, nil, []string{"SSOGATE_BOOTSTRAP_TOKEN"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := must(t, 2, tt.env, append([]string{"serve", "--data-dir", t.TempDir()}, tt.args...)...)
			contains(t, "serve stderr", r.stderr, tt.wants...)
			if strings.Contains(r.stdout, "listening") {
				t.Errorf("serve started despite a bad configuration:\n%s", r.stdout)
			}
		})
	}
}
