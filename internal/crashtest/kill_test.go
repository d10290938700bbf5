package crashtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/apptest"
	"github.com/ssogate/ssogate/internal/ids"
	"github.com/ssogate/ssogate/internal/store"
	"github.com/ssogate/ssogate/internal/store/storetest"
)

// TestKillNineKeepsAcknowledgedWrites runs ssogate as a process, writes to
// it from 8 clients, kills it with SIGKILL in the middle of the load,
// starts it again on the same database and checks that every write the
// API acknowledged (2xx) is there. Writes in flight at the kill may or may
// not be there. SQLite's synchronous=NORMAL in WAL mode survives a killed
// process; power loss is another matter (docs/operations.md).
func TestKillNineKeepsAcknowledgedWrites(t *testing.T) {
	bin := buildSSOgate(t)
	for _, backend := range storetest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			dir, url := t.TempDir(), ""
			if backend == store.Postgres {
				url = storetest.PostgresURL(t)
			}
			token := ids.NewTokenValue()
			srv := start(t, bin, dir, url, token)
			acct := accountID(t, srv)
			if code := post(context.Background(), srv.base+"/client/v4/accounts/"+acct+"/access/policies", token,
				`{"name":"probe","decision":"allow","include":[{"everyone":{}}]}`); code/100 != 2 {
				t.Fatalf("a first write: %d\n%s", code, srv.out)
			}
			acked := loadThenKill(t, srv, acct, token, 1500*time.Millisecond)
			if len(acked) < 20 {
				t.Fatalf("only %d writes acknowledged before the kill; the load did not run", len(acked))
			}
			again := start(t, bin, dir, url, token)
			stored := policyNames(t, again, acct, token)
			for name := range acked {
				if !stored[name] {
					t.Errorf("acknowledged write %q is gone after kill -9", name)
				}
			}
			t.Logf("%d writes acknowledged, %d stored after kill -9 and restart", len(acked), len(stored))
			again.kill(t)
		})
	}
}

func buildSSOgate(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ssogate")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/ssogate/ssogate/cmd/ssogate")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

type server struct {
	cmd  *exec.Cmd
	base string
	out  *apptest.SyncBuffer
}

var listening = regexp.MustCompile(`ssogate listening on (http://\S+) `)

func start(t *testing.T, bin, dir, url, token string) *server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, "serve", "--listen", addr, "--data-dir", dir, "--log-level", "warn")
	cmd.Env = append(os.Environ(), "SSOGATE_BOOTSTRAP_TOKEN="+token, "SSOGATE_DATABASE_URL="+url,
		"SSOGATE_SECRET_KEY=") // the key file in dir, the same for both starts
	out := &apptest.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, base: "http://" + addr, out: out}
	t.Cleanup(func() { s.kill(t) })
	deadline := time.Now().Add(30 * time.Second)
	for {
		if resp, err := http.Get(s.base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("ssogate did not start within 30s:\n%s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *server) kill(t *testing.T) {
	if s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	_ = s.cmd.Wait()
}

// loadThenKill creates reusable Access policies from 8 clients, kills the
// server with SIGKILL after d while they are still writing, and returns
// the names the API acknowledged.
func loadThenKill(t *testing.T, s *server, acct, token string, d time.Duration) map[string]bool {
	t.Helper()
	var mu sync.Mutex
	acked := map[string]bool{}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				name := fmt.Sprintf("p-%d-%d", w, i)
				body := `{"name":"` + name + `","decision":"allow","include":[{"everyone":{}}]}`
				if post(ctx, s.base+"/client/v4/accounts/"+acct+"/access/policies", token, body)/100 == 2 {
					mu.Lock()
					acked[name] = true
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(d)
	s.kill(t) // mid-load: requests are in flight
	cancel()
	wg.Wait()
	return acked
}

func post(ctx context.Context, url, token, body string) int {
	req, _ := http.NewRequestWithContext(ctx, "POST", url, bytes.NewBufferString(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func accountID(t *testing.T, s *server) string {
	t.Helper()
	m := regexp.MustCompile(`account id: ([0-9a-f]{32})`).FindStringSubmatch(s.out.String())
	if m == nil {
		t.Fatalf("no account id in the first start's output:\n%s", s.out)
	}
	return m[1]
}

func policyNames(t *testing.T, s *server, acct, token string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for page := 1; ; page++ {
		url := fmt.Sprintf("%s/client/v4/accounts/%s/access/policies?per_page=1000&page=%d", s.base, acct, page)
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var env struct {
			Result []struct {
				Name string `json:"name"`
			} `json:"result"`
		}
		err = json.NewDecoder(resp.Body).Decode(&env)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("list policies: %d %v", resp.StatusCode, err)
		}
		if len(env.Result) == 0 {
			return out
		}
		for _, p := range env.Result {
			out[p.Name] = true
		}
	}
}
