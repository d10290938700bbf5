package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// createPrivate creates the SQLite file readable by its owner only when it
// does not exist yet. SQLite would create it 0644 (less the umask); it
// holds password hashes, token hashes and sealed secrets. SQLite gives the
// -wal and -shm files it creates later the database file's mode. An
// existing file is left as its owner set it.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create sqlite %s: %w", path, err)
	}
	return f.Close()
}
