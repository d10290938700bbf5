package storetest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Server is a PostgreSQL cluster of one test's own, on a free loopback
// port, for tests that stop and start the server: the one at
// SSOGATE_TEST_DATABASE_URL is shared by tests running in parallel. It does
// what scripts/throwaway-postgres.sh does, with a restart.
type Server struct {
	t    testing.TB
	bin  string // the PostgreSQL bin directory
	dir  string // cluster root: data/, server.log, the socket
	port int
	// URL reaches the cluster's postgres database as a trusted superuser.
	URL string
}

// StartServer creates a cluster in a temporary directory and starts it; it
// is stopped and removed at cleanup. Without PostgreSQL's binaries the
// test skips, saying why, except in CI (CI set), where it fails.
func StartServer(t testing.TB) *Server {
	t.Helper()
	bin := postgresBin()
	if bin == "" {
		msg := "no PostgreSQL binaries under /usr/lib/postgresql/*/bin (Debian: apt-get install -y postgresql)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	s := &Server{t: t, bin: bin}
	s.dir = s.makeDir()
	t.Cleanup(func() {
		_ = s.pg("pg_ctl", "-D", s.dataDir(), "-m", "immediate", "stop")
		os.RemoveAll(s.dir)
	})
	s.port = freePort(t)
	if err := s.pg("initdb", "-D", s.dataDir(), "-U", "ssogate", "--auth=trust", "--no-sync", "-E", "UTF8"); err != nil {
		t.Fatalf("initdb: %v", err)
	}
	s.URL = fmt.Sprintf("postgres://ssogate@127.0.0.1:%d/postgres?sslmode=disable", s.port)
	s.Start()
	return s
}

// Start starts the stopped server on its port and waits until it accepts
// connections.
func (s *Server) Start() {
	s.t.Helper()
	opts := fmt.Sprintf("-h 127.0.0.1 -p %d -k %s -c fsync=off -c synchronous_commit=off -c full_page_writes=off", s.port, s.dir)
	if err := s.pg("pg_ctl", "-D", s.dataDir(), "-l", filepath.Join(s.dir, "server.log"), "-w", "-t", "30", "-o", opts, "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(s.dir, "server.log"))
		s.t.Fatalf("start PostgreSQL: %v\n%s", err, log)
	}
}

// Stop shuts the server down the way a restart does (pg_ctl -m fast:
// sessions are terminated, in-flight transactions roll back) and waits
// until it is down.
func (s *Server) Stop() {
	s.t.Helper()
	if err := s.pg("pg_ctl", "-D", s.dataDir(), "-m", "fast", "-w", "-t", "30", "stop"); err != nil {
		s.t.Fatalf("stop PostgreSQL: %v", err)
	}
}

func (s *Server) dataDir() string { return filepath.Join(s.dir, "data") }

// makeDir is the cluster root, owned by the postgres user when the tests
// run as root (initdb refuses to run as root).
func (s *Server) makeDir() string {
	s.t.Helper()
	dir, err := os.MkdirTemp("", "ssogate-pg-")
	if err != nil {
		s.t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		s.t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			s.t.Fatalf("running as root, so PostgreSQL must run as the postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			s.t.Fatal(err)
		}
	}
	return dir
}

// pg runs one of PostgreSQL's programs, as the postgres user when root.
func (s *Server) pg(name string, args ...string) error {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	if os.Geteuid() == 0 {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(s.bin, name)}, args...)...)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w\n%s", name, err, out)
	}
	return nil
}

// postgresBin is the newest /usr/lib/postgresql/*/bin holding initdb.
func postgresBin() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) < version(dirs[j]) })
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i]
		}
	}
	return ""
}

func version(bin string) int {
	v, _ := strconv.Atoi(strings.Split(filepath.Base(filepath.Dir(bin)), ".")[0])
	return v
}

// freePort is a loopback port nothing listens on now; PostgreSQL binds it
// a moment later (the same small race as the script's).
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
