package deploy

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd, args string
	line      int
}

// stage is one FROM and what follows it.
type stage []instruction

func (s stage) all(cmd string) []instruction {
	var out []instruction
	for _, in := range s {
		if in.cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

func (s stage) one(t *testing.T, cmd string) instruction {
	t.Helper()
	ins := s.all(cmd)
	if len(ins) != 1 {
		t.Fatalf("the stage has %d %s instructions; want one", len(ins), cmd)
	}
	return ins[0]
}

func parseDockerfile(t *testing.T, path string) []stage {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var stages []stage
	var cur strings.Builder
	start := 0
	for i, line := range strings.Split(string(raw), "\n") {
		trimmed := strings.TrimSpace(line)
		if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if cur.Len() == 0 {
			start = i + 1
		}
		if strings.HasSuffix(trimmed, `\`) {
			cur.WriteString(strings.TrimSuffix(trimmed, `\`) + " ")
			continue
		}
		cur.WriteString(trimmed)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		cur.Reset()
		in := instruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args), line: start}
		if in.cmd == "FROM" {
			stages = append(stages, nil)
		}
		if len(stages) == 0 {
			t.Fatalf("%s:%d: %s before the first FROM", path, in.line, in.cmd)
		}
		stages[len(stages)-1] = append(stages[len(stages)-1], in)
	}
	return stages
}

// keyValues reads ENV and ARG arguments: NAME=value pairs, values
// optionally double-quoted.
func keyValues(t *testing.T, in instruction) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, tok := range regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*=("[^"]*"|\S*)`).FindAllString(in.args, -1) {
		k, v, _ := strings.Cut(tok, "=")
		out[k] = strings.Trim(v, `"`)
	}
	if len(out) == 0 {
		t.Fatalf("Dockerfile:%d: %s %s: want NAME=value", in.line, in.cmd, in.args)
	}
	return out
}

// execForm parses a JSON array argument (ENTRYPOINT ["/ssogate"]).
func execForm(t *testing.T, in instruction, args string) []string {
	t.Helper()
	var out []string
	if err := json.Unmarshal([]byte(args), &out); err != nil || len(out) == 0 {
		t.Fatalf(`Dockerfile:%d: %s %s: want the exec form ["program", "arg"] (no shell in the image)`, in.line, in.cmd, args)
	}
	return out
}

// image is what the Dockerfile says about the final image.
type image struct {
	binary      string   // where the go build puts the binary in the build stage
	copiedTo    string   // where the final stage copies it
	env         []string // the final stage's ENV, NAME=value
	entrypoint  []string
	cmd         []string
	healthcheck []string
}

func TestDockerfile(t *testing.T) {
	stages := parseDockerfile(t, "Dockerfile")
	if len(stages) != 2 {
		t.Fatalf("Dockerfile has %d stages; want a build stage and the final image", len(stages))
	}
	build, final := stages[0], stages[1]
	img := image{}

	// The final image: distroless static, a non-root user, the data volume,
	// the health check.
	if from := final.one(t, "FROM").args; from != "gcr.io/distroless/static-debian12:nonroot" {
		t.Errorf("final stage FROM %s; want gcr.io/distroless/static-debian12:nonroot", from)
	}
	user := final.one(t, "USER").args
	if u, _, _ := strings.Cut(user, ":"); u == "" || u == "0" || u == "root" {
		t.Errorf("USER %s: the image must not run as root", user)
	}
	env := map[string]string{}
	for _, in := range final.all("ENV") {
		for k, v := range keyValues(t, in) {
			env[k] = v
			img.env = append(img.env, k+"="+v)
		}
	}
	dataDir, listen := env["SSOGATE_DATA_DIR"], env["SSOGATE_LISTEN"]
	if dataDir == "" || listen == "" {
		t.Fatalf("final ENV %v: want SSOGATE_DATA_DIR and SSOGATE_LISTEN", env)
	}
	if vol := final.one(t, "VOLUME"); !slices.Contains(execForm(t, vol, vol.args), dataDir) {
		t.Errorf("VOLUME %s does not hold SSOGATE_DATA_DIR=%s", vol.args, dataDir)
	}
	if _, port, _ := net.SplitHostPort(listen); final.one(t, "EXPOSE").args != port {
		t.Errorf("EXPOSE %s; SSOGATE_LISTEN=%s listens on %s", final.one(t, "EXPOSE").args, listen, port)
	}
	hc := final.one(t, "HEALTHCHECK")
	_, hcCmd, ok := strings.Cut(hc.args, "CMD ")
	if !ok {
		t.Fatalf("HEALTHCHECK %s: want CMD [...]", hc.args)
	}
	img.healthcheck = execForm(t, hc, hcCmd)
	ep := final.one(t, "ENTRYPOINT")
	img.entrypoint = execForm(t, ep, ep.args)
	cmd := final.one(t, "CMD")
	img.cmd = execForm(t, cmd, cmd.args)
	if img.healthcheck[0] != img.entrypoint[0] {
		t.Errorf("HEALTHCHECK runs %s, the entrypoint is %s", img.healthcheck[0], img.entrypoint[0])
	}

	// The build stage's go build line, run as written in a copy of the
	// build context, with the stage's ENV and ARG defaults.
	buildEnv := environWithout("CGO_ENABLED") // the golang image leaves it unset (on, with its gcc)
	for _, in := range append(build.all("ARG"), build.all("ENV")...) {
		for k, v := range keyValues(t, in) {
			buildEnv = append(buildEnv, k+"="+v)
		}
	}
	var goBuild instruction
	for _, in := range build.all("RUN") {
		if strings.Contains(in.args, "go build") {
			goBuild = in
		}
	}
	out := regexp.MustCompile(`\s-o\s+(\S+)`).FindStringSubmatch(goBuild.args)
	if out == nil {
		t.Fatalf("no RUN go build ... -o PATH in the build stage")
	}
	img.binary = out[1]
	for _, in := range final.all("COPY") {
		f := strings.Fields(in.args)
		if len(f) == 3 && f[0] == "--from=build" && f[1] == img.binary {
			img.copiedTo = f[2]
		}
	}
	if img.copiedTo != img.entrypoint[0] {
		t.Errorf("the entrypoint %s is not the built binary (%s copied to %q)", img.entrypoint[0], img.binary, img.copiedTo)
	}

	tmp := t.TempDir()
	src := filepath.Join(tmp, "src")
	copyContext(t, "..", src, readDockerignore(t, "../.dockerignore"))
	bin := filepath.Join(tmp, "out", filepath.Base(img.binary))
	line := strings.Replace(goBuild.args, out[0], " -o "+bin, 1) // the output path is the one change
	sh := exec.Command("sh", "-c", line)
	sh.Dir, sh.Env = src, buildEnv
	if res, err := sh.CombinedOutput(); err != nil {
		t.Fatalf("Dockerfile:%d: %s\n%v\n%s", goBuild.line, line, err, res)
	}

	t.Run("static", func(t *testing.T) { checkStatic(t, bin) })
	t.Run("version", func(t *testing.T) {
		res, err := exec.Command(bin, "version").CombinedOutput()
		if err != nil || !strings.HasPrefix(string(res), "ssogate ") {
			t.Errorf("%s version: %v\n%s", bin, err, res)
		}
	})
	t.Run("serves and answers the health check", func(t *testing.T) { runImage(t, bin, img) })
}

// checkStatic: no interpreter and no dynamic section, so the binary runs on
// an image without libc; and stripped (-s).
func checkStatic(t *testing.T, bin string) {
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("%s has a %v program header: it is dynamically linked", bin, p.Type)
		}
	}
	if f.Section(".dynamic") != nil || f.Section(".interp") != nil {
		t.Errorf("%s has a .dynamic or .interp section", bin)
	}
	if f.Section(".symtab") != nil {
		t.Errorf("%s has a symbol table: -ldflags -s did not apply", bin)
	}
}

// runImage starts the binary as the image does (ENTRYPOINT + CMD, the
// image's ENV and nothing else from this machine's environment, the listen
// port and data directory moved to loopback and a temporary directory), waits
// for the HEALTHCHECK command to pass, stops it as docker stop does, and
// checks that the health check then fails.
func runImage(t *testing.T, bin string, img image) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	env := []string{"PATH=/nonexistent"} // distroless has no shell or tools on a PATH
	for _, kv := range img.env {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "SSOGATE_LISTEN":
			kv = k + "=" + addr
		case "SSOGATE_DATA_DIR":
			kv = k + "=" + t.TempDir()
		}
		env = append(env, kv)
	}
	run := func(args []string) *exec.Cmd {
		c := exec.Command(bin, args[1:]...)
		c.Env = env
		return c
	}
	var logs bytes.Buffer
	server := run(append(slices.Clone(img.entrypoint), img.cmd...))
	server.Stdout, server.Stderr = &logs, &logs
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- server.Wait() }()
	defer func() {
		if server.ProcessState == nil {
			server.Process.Kill()
			<-exited
		}
	}()

	healthy := false
	var last []byte
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && !healthy; {
		last, err = run(img.healthcheck).CombinedOutput()
		healthy = err == nil
		if !healthy {
			time.Sleep(200 * time.Millisecond)
		}
	}
	if !healthy {
		t.Fatalf("%v never passed (last: %s)\nserver log:\n%s", img.healthcheck, last, logs.String())
	}

	server.Process.Signal(syscall.SIGTERM) // docker stop
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("after SIGTERM the server exited with %v\n%s", err, logs.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("the server did not stop within 20 s of SIGTERM\n%s", logs.String())
	}
	if res, err := run(img.healthcheck).CombinedOutput(); err == nil {
		t.Errorf("%v passed with the server stopped:\n%s", img.healthcheck, res)
	}
}

func environWithout(name string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// readDockerignore turns .dockerignore patterns into regular expressions
// over slash-separated paths relative to the context root: "*" and "?"
// within one path element, "**" across elements, as Docker matches them.
// Exclusions ("!") are not used, and refused here rather than mismatched.
func readDockerignore(t *testing.T, path string) []*regexp.Regexp {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []*regexp.Regexp
	for _, p := range strings.Split(string(raw), "\n") {
		p = strings.TrimSpace(p)
		if p == "" || strings.HasPrefix(p, "#") {
			continue
		}
		if strings.HasPrefix(p, "!") {
			t.Fatalf("%s: %q: exclusions are not handled by this test's matcher; extend it", path, p)
		}
		p = strings.Trim(filepath.ToSlash(filepath.Clean(p)), "/")
		var re strings.Builder
		for i := 0; i < len(p); i++ {
			switch {
			case strings.HasPrefix(p[i:], "**/"):
				re.WriteString("(.*/)?")
				i += 2
			case strings.HasPrefix(p[i:], "**"):
				re.WriteString(".*")
				i++
			case p[i] == '*':
				re.WriteString("[^/]*")
			case p[i] == '?':
				re.WriteString("[^/]")
			default:
				re.WriteString(regexp.QuoteMeta(p[i : i+1]))
			}
		}
		out = append(out, regexp.MustCompile("^"+re.String()+"(/.*)?$")) // a directory excludes its contents
	}
	return out
}

// copyContext copies the build context root to dst, leaving out what the
// patterns exclude, as docker build sends it.
func copyContext(t *testing.T, root, dst string, ignore []*regexp.Regexp) {
	t.Helper()
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if rel != "." && slices.ContainsFunc(ignore, func(re *regexp.Regexp) bool { return re.MatchString(rel) }) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		outF, err := os.Create(target)
		if err != nil {
			return err
		}
		if _, err := io.Copy(outF, in); err != nil {
			outF.Close()
			return err
		}
		return outF.Close()
	})
	if err != nil {
		t.Fatalf("copy the build context: %v", err)
	}
}
