package secretbox

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// LoadOrCreateKeyFile returns the key stored in path, creating the file
// with a fresh random key (base64, mode 0600) when it does not exist. It
// refuses a file that group or others may read or write, and one that does
// not hold exactly one key, rather than use a key that may have leaked or a
// truncated one that would make every stored secret unreadable.
//
// The file holds the key as base64 text (what ParseKey reads, so the same
// value can be moved into an environment variable); 32 raw bytes are
// accepted too.
func LoadOrCreateKeyFile(path string) ([]byte, error) {
	k, err := readKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	if err := createKeyFile(path); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	// Whether we created it or another process won the race, read what is
	// there now so every caller uses the same key.
	return readKeyFile(path)
}

func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("secretbox: key file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("secretbox: key file: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("secretbox: key file %s is not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("secretbox: key file %s has mode %04o; it must be readable by its owner only (chmod 600 %s)", path, perm, path)
	}
	if st.Size() > 1024 {
		return nil, fmt.Errorf("secretbox: key file %s is %d bytes; it should hold one base64 key of %d bytes", path, st.Size(), KeySize)
	}
	data := make([]byte, st.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, fmt.Errorf("secretbox: key file %s: %w", path, err)
	}
	if len(data) == KeySize {
		return data, nil
	}
	k, err := ParseKey(string(data))
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return k, nil
}

// createKeyFile writes a new key to a temporary file and links it into
// place, so a concurrent reader never sees a partly written key and an
// existing file is never replaced.
func createKeyFile(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("secretbox: key file directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".secretbox-key-*")
	if err != nil {
		return fmt.Errorf("secretbox: create key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	content := []byte(EncodeKey(NewKey()) + "\n")
	if err := tmp.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		tmp.Close()
		return fmt.Errorf("secretbox: create key file: %w", err)
	}
	if _, err := tmp.Write(content); err != nil {
		tmp.Close()
		return fmt.Errorf("secretbox: write key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("secretbox: write key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("secretbox: write key file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return err
		}
		// Filesystems without hard links: fall back to an exclusive create.
		return writeExclusive(path, content)
	}
	return nil
}

func writeExclusive(path string, content []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return err
		}
		return fmt.Errorf("secretbox: create key file: %w", err)
	}
	if _, err := f.Write(content); err != nil {
		f.Close()
		return fmt.Errorf("secretbox: write key file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("secretbox: write key file: %w", err)
	}
	return f.Close()
}
