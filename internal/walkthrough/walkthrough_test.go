package walkthrough_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/apptest"
)

// The README's ports, each replaced by a free one.
const (
	readmeAPIPort = "8080"
	readmeDNSPort = "5354"
	readmeIdPPort = "9000"
)

func TestREADMEWalkthrough(t *testing.T) {
	apptest.NeedCommand(t, "curl", "apt-get install -y curl")
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	blocks := walkthroughBlocks(t, filepath.Join(root, "README.md"))
	api, dns, idp := freePort(t), freePort(t), freePort(t)
	ports := strings.NewReplacer(":"+readmeAPIPort, ":"+api, ":"+readmeDNSPort, ":"+dns, ":"+readmeIdPPort, ":"+idp)

	sh := startShell(t, root)
	enabled := false
	for i, b := range blocks {
		sh.run(t, i, ports.Replace(b))
		if strings.Contains(b, `--json '{"enabled": true}'`) {
			enabled = true
			checkEnabled(t, sh.vars, api)
		}
	}
	if !enabled {
		t.Fatal(`the walkthrough never runs the guide's PATCH --json '{"enabled": true}'`)
	}
	// The last block turns SSO off and stops the servers: its curl's answer
	// is the proof.
	if last := sh.output[len(sh.output)-1]; !strings.Contains(last, `"enabled":false`) ||
		!strings.Contains(last, `"success":true`) {
		t.Errorf("the walkthrough's lock-out recovery did not answer enabled:false:\n%s", last)
	}
}

// walkthroughBlocks returns the shell blocks of the README's walkthrough.
func walkthroughBlocks(t *testing.T, readme string) []string {
	t.Helper()
	raw, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	start := strings.Index(text, "\n## Walkthrough")
	if start < 0 {
		t.Fatal(`README.md has no "## Walkthrough" section`)
	}
	section := text[start+1:]
	if end := strings.Index(section, "\n## "); end > 0 {
		section = section[:end]
	}
	blocks := apptest.ShellBlocks(section)
	if len(blocks) < 5 {
		t.Fatalf("the walkthrough has %d shell blocks; expected the whole guide", len(blocks))
	}
	return blocks
}

// shell is one bash process fed block by block, as a person pastes them
// into one terminal; after each block it reports the variables the checks
// need.
type shell struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string
	log    strings.Builder
	vars   map[string]string
	output []string // what each block printed
}

// reported lists the variables read back after each block.
var reported = []string{"WORK", "CLOUDFLARE_API_TOKEN", "CLOUDFLARE_ACCOUNT_ID", "CLOUDFLARE_SSO_CONNECTOR_ID"}

func startShell(t *testing.T, dir string) *shell {
	t.Helper()
	home := t.TempDir()
	// GOPATH is the walkthrough's own, so `go install` and $(go env
	// GOPATH)/bin cannot pick up an ssogate installed on this machine; the
	// module and build caches stay shared, so nothing is downloaded again.
	env := []string{"GOPATH=" + filepath.Join(home, "go"), "GOMODCACHE=" + goEnv(t, "GOMODCACHE"),
		"GOCACHE=" + goEnv(t, "GOCACHE"), "TMPDIR=" + home}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CLOUDFLARE_") && !strings.HasPrefix(kv, "SSOGATE_") &&
			!strings.HasPrefix(kv, "GOPATH=") && !strings.HasPrefix(kv, "GOBIN=") {
			env = append(env, kv)
		}
	}
	cmd := exec.Command("bash", "--noprofile", "--norc", "-e", "-o", "pipefail")
	cmd.Dir, cmd.Env = dir, env
	// Its own process group: the servers the walkthrough starts in the
	// background are stopped with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	sh := &shell{cmd: cmd, stdin: stdin, lines: make(chan string, 1024), vars: map[string]string{}}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	io.WriteString(stdin, "exec 2>&1\n") // one stream, in the order a terminal shows it
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			sh.lines <- sc.Text()
		}
		close(sh.lines)
	}()
	t.Cleanup(func() { sh.stop(t) })
	return sh
}

// run pastes one block and waits for it to finish.
func (sh *shell) run(t *testing.T, i int, block string) {
	t.Helper()
	done := fmt.Sprintf("__block_%d_done__", i)
	report := "printf '__vars__"
	for _, v := range reported {
		report += " " + v + "=%s"
	}
	report += `\n'`
	for _, v := range reported {
		report += ` "${` + v + `:-}"`
	}
	if _, err := io.WriteString(sh.stdin, block+"\necho "+done+"\n"+report+"\n"); err != nil {
		t.Fatalf("block %d: the shell is gone: %v\n%s", i, err, sh.log.String())
	}
	limit := time.Minute
	if strings.Contains(block, "go install") || strings.Contains(block, "go build") {
		limit = 8 * time.Minute // a cold build on a busy CI machine
	}
	timeout := time.After(limit)
	var out strings.Builder
	for {
		select {
		case line, ok := <-sh.lines:
			if !ok {
				t.Fatalf("block %d failed (the shell exited):\n%s\n--- output\n%s", i, block, sh.log.String())
			}
			sh.log.WriteString(line + "\n")
			out.WriteString(line + "\n")
			if strings.HasPrefix(line, "__vars__ ") {
				sh.output = append(sh.output, out.String())
				for _, kv := range strings.Fields(line)[1:] {
					k, v, _ := strings.Cut(kv, "=")
					sh.vars[k] = v
				}
				return
			}
		case <-timeout:
			t.Fatalf("block %d did not finish within %s:\n%s\n--- output\n%s", i, limit, block, sh.log.String())
		}
	}
}

// stop ends the shell and everything it started, and shows the servers'
// logs when the test failed.
func (sh *shell) stop(t *testing.T) {
	sh.stdin.Close()
	_ = syscall.Kill(-sh.cmd.Process.Pid, syscall.SIGTERM)
	exited := make(chan struct{})
	go func() { sh.cmd.Wait(); close(exited) }()
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-sh.cmd.Process.Pid, syscall.SIGKILL)
	}
	if t.Failed() && sh.vars["WORK"] != "" {
		logs, _ := filepath.Glob(filepath.Join(sh.vars["WORK"], "*.log"))
		for _, l := range logs {
			b, _ := os.ReadFile(l)
			t.Logf("--- %s\n%s", l, b)
		}
	}
}

// checkEnabled checks what the guide's "Configuration verification"
// promises once the connector is enabled: the connector is verified and
// enabled, alice (the member the walkthrough adds) signs in through the
// IdP, her App Launcher shows "SSO App", and selecting it lands her on the
// dashboard, signed in.
func checkEnabled(t *testing.T, vars map[string]string, port string) {
	t.Helper()
	c := getConnector(t, vars, port)
	if !c.Result.Enabled || c.Result.Verification.Status != "verified" {
		t.Fatalf("after the guide's PATCH the connector is enabled=%v, %s", c.Result.Enabled, c.Result.Verification.Status)
	}
	browser := apptest.BrowserAt("127.0.0.1:" + port)
	team := "http://acme.access.localhost:" + port
	tiles := apptest.SignInToLauncher(t, browser, team, "alice@acmecorp.company", "alice-password")
	tile, ok := tiles["SSO App"]
	if !ok {
		t.Fatalf("alice's App Launcher has no SSO App: %v", tiles)
	}
	req, _ := http.NewRequest("GET", team+tile, nil)
	page, _ := apptest.Browse(t, browser, req)
	form := ssoFormRE.FindStringSubmatch(page)
	if form == nil {
		t.Fatalf("the SSO App tile gave no sign-in form for the dashboard:\n%s", page)
	}
	req, _ = http.NewRequest("POST", form[1], strings.NewReader(url.Values{"assertion": {form[2]}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	_, at := apptest.Browse(t, browser, req)
	if want := "/" + vars["CLOUDFLARE_ACCOUNT_ID"] + "/home"; at.Path != want {
		t.Fatalf("selecting SSO App landed on %s, want the dashboard's %s", at, want)
	}
}

var ssoFormRE = regexp.MustCompile(`<form method="post" action="([^"]+)" data-autosubmit><input type="hidden" name="assertion" value="([^"]+)">`)

type connector struct {
	Result struct {
		Enabled      bool `json:"enabled"`
		Verification struct {
			Status string `json:"status"`
		} `json:"verification"`
	} `json:"result"`
}

// getConnector reads the walkthrough's connector through the API.
func getConnector(t *testing.T, vars map[string]string, port string) connector {
	t.Helper()
	var c connector
	apptest.GetJSON(t, "http://127.0.0.1:"+port+"/client/v4/accounts/"+vars["CLOUDFLARE_ACCOUNT_ID"]+
		"/sso_connectors/"+vars["CLOUDFLARE_SSO_CONNECTOR_ID"], vars["CLOUDFLARE_API_TOKEN"], &c)
	return c
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

func goEnv(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		t.Fatalf("go env %s: %v", name, err)
	}
	return strings.TrimSpace(string(out))
}
