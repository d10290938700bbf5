package backup

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/ssogate/ssogate/internal/config"
	"github.com/ssogate/ssogate/internal/secretbox"
)

// EnvKey is the environment variable that carries the key; it wins over
// the key file, as in the server.
const EnvKey = "SSOGATE_SECRET_KEY"

// keySource is where an instance gets its key, resolved as the server does
// (internal/app): the environment variable, else the key file, which
// defaults to secret.key in the data directory.
type keySource struct {
	env  bool
	path string // the key file; set even when env wins, for restore
}

func sourceOf(cfg config.Config) keySource {
	path := cfg.SecretKeyFile
	if path == "" {
		path = filepath.Join(cfg.DataDir, "secret.key")
	}
	return keySource{env: cfg.SecretKey != "", path: path}
}

func (s keySource) String() string {
	if s.env {
		return EnvKey
	}
	return "the key file " + s.path
}

// load returns the configured key. Unlike the server it never creates a
// key file: a command that invented a key would report a backup or a
// restore as fine that no key opens.
func (s keySource) load(cfg config.Config) ([]byte, error) {
	if s.env {
		k, err := secretbox.ParseKey(cfg.SecretKey)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvKey, err)
		}
		return k, nil
	}
	return readKeyFile(s.path)
}

// readKeyFile reads a key file as secretbox writes it (base64 text, or 32
// raw bytes), refusing one others may read as the server does.
func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no secret key at %s: %w", path, err)
		}
		return nil, fmt.Errorf("secret key: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("secret key %s is not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("secret key %s has mode %04o; it must be readable by its owner only (chmod 600 %s)", path, perm, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, 1025))
	if err != nil {
		return nil, fmt.Errorf("secret key %s: %w", path, err)
	}
	return parseKeyText(data, path)
}

func parseKeyText(data []byte, where string) ([]byte, error) {
	if len(data) == secretbox.KeySize {
		return data, nil
	}
	if len(data) > 1024 {
		return nil, fmt.Errorf("secret key %s is too long to be a key", where)
	}
	k, err := secretbox.ParseKey(string(data))
	if err != nil {
		return nil, fmt.Errorf("secret key %s: %w", where, err)
	}
	return k, nil
}

// keyText is a key as a key file holds it.
func keyText(k []byte) []byte { return []byte(secretbox.EncodeKey(k) + "\n") }

// KeyID names a key without revealing it: the first 16 hex digits of a
// SHA-256 over a fixed label and the key. Manifests, results and messages
// use it to say which key is which.
func KeyID(key []byte) string {
	h := sha256.New()
	h.Write([]byte("ssogate secretbox key id\x00"))
	h.Write(key)
	return hex.EncodeToString(h.Sum(nil))[:16]
}
