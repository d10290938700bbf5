package backup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LockFile is the name of the lock file in the data directory.
const LockFile = "ssogate.lock"

// ErrLocked reports a data directory another process holds.
var ErrLocked = errors.New("data directory in use")

// LockDataDir takes an exclusive, non-blocking lock on <dir>/ssogate.lock
// (creating dir and the file), records this process's id in it and returns
// the function that releases it. A server holds it while it runs on an
// SQLite data directory; Restore and RotateSecretKey take it too, so they
// cannot change the files under a running server, nor two servers share
// one directory. The lock is the kernel's (flock): it goes away with the
// process, however it ends, so a stale lock file never needs removing.
//
// When another process holds the lock the error wraps ErrLocked and names
// its pid.
func LockDataDir(dir string) (release func(), err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	held, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if !held {
		pid := readPID(f)
		f.Close()
		return nil, fmt.Errorf("%w: %s is used by another ssogate process%s; stop it first",
			ErrLocked, dir, pid)
	}
	// The pid is a hint for the message above, not part of the lock.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() { unlock(f); f.Close() }, nil
}

func readPID(f *os.File) string {
	buf := make([]byte, 32)
	n, _ := f.ReadAt(buf, 0)
	pid := strings.TrimSpace(string(buf[:n]))
	if _, err := strconv.Atoi(pid); err != nil {
		return ""
	}
	return " (pid " + pid + ")"
}
