package backup

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

const (
	archiveFormat  = "ssogate-backup"
	archiveVersion = 1
	manifestName   = "manifest.json"
	keyName        = "secret.key"
)

// ErrDamaged reports an archive that is not a complete ssogate backup:
// truncated, altered, or something else altogether.
var ErrDamaged = errors.New("backup archive is damaged or not an ssogate backup")

// Manifest describes a backup; it is the archive's first entry.
type Manifest struct {
	Format         string    `json:"format"`  // "ssogate-backup"
	Version        int       `json:"version"` // of this layout: 1
	CreatedAt      time.Time `json:"created_at"`
	SchemaVersion  int       `json:"schema_version"` // newest migration applied
	DatabaseSize   int64     `json:"database_size"`
	DatabaseSHA256 string    `json:"database_sha256"`
	KeyIncluded    bool      `json:"key_included"`
	// KeyID identifies (KeyID, not the key) the key that opened every
	// sealed value when the backup was made; empty when none was checked.
	KeyID        string `json:"key_id,omitempty"`
	SealedValues int    `json:"sealed_values"`
}

// compressed reports whether a backup file's name asks for gzip.
func compressed(name string) bool {
	return strings.HasSuffix(name, ".gz") || strings.HasSuffix(name, ".tgz")
}

// writeArchive writes the manifest, the database file and, when key is
// not nil, the key.
func writeArchive(w io.Writer, gz bool, m Manifest, dbFile string, key []byte) error {
	var gzw *gzip.Writer
	if gz {
		gzw = gzip.NewWriter(w)
		w = gzw
	}
	tw := tar.NewWriter(w)
	man, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := addBytes(tw, manifestName, man, m.CreatedAt); err != nil {
		return err
	}
	f, err := os.Open(dbFile)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := tw.WriteHeader(&tar.Header{Name: DBFile, Mode: 0o600, Size: m.DatabaseSize, ModTime: m.CreatedAt,
		Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
		return err
	}
	if _, err := io.Copy(tw, f); err != nil {
		return fmt.Errorf("archive the database: %w", err)
	}
	if key != nil {
		if err := addBytes(tw, keyName, keyText(key), m.CreatedAt); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if gzw != nil {
		return gzw.Close()
	}
	return nil
}

func addBytes(tw *tar.Writer, name string, b []byte, t time.Time) error {
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(b)), ModTime: t,
		Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
		return err
	}
	_, err := tw.Write(b)
	return err
}

// archiveContent is what readArchive found.
type archiveContent struct {
	Manifest Manifest
	Key      []byte // nil when the archive holds none
}

// readArchive reads a backup, writing its database into db (fsynced) and
// checking it against the manifest's size and SHA-256.
func readArchive(r io.Reader, db *os.File) (archiveContent, error) {
	var out archiveContent
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gzr, err := gzip.NewReader(br)
		if err != nil {
			return out, fmt.Errorf("%w: %v", ErrDamaged, err)
		}
		defer gzr.Close()
		r = gzr
	} else {
		r = br
	}
	tr := tar.NewReader(r)
	var sawDB bool
	for i := 0; ; i++ {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return out, fmt.Errorf("%w: %v", ErrDamaged, err)
		}
		switch {
		case i == 0 && h.Name == manifestName:
			if out.Manifest, err = readManifest(tr, h.Size); err != nil {
				return out, err
			}
		case i == 0:
			return out, fmt.Errorf("%w: it does not start with %s", ErrDamaged, manifestName)
		case h.Name == DBFile && !sawDB:
			if err := copyChecked(db, tr, h.Size, out.Manifest); err != nil {
				return out, err
			}
			sawDB = true
		case h.Name == keyName && out.Key == nil && h.Size <= 1024:
			b, err := io.ReadAll(tr)
			if err != nil {
				return out, fmt.Errorf("%w: %v", ErrDamaged, err)
			}
			if out.Key, err = parseKeyText(b, "in the backup"); err != nil {
				return out, fmt.Errorf("%w: %v", ErrDamaged, err)
			}
		default:
			return out, fmt.Errorf("%w: unexpected entry %q", ErrDamaged, h.Name)
		}
	}
	if !sawDB {
		return out, fmt.Errorf("%w: it holds no %s", ErrDamaged, DBFile)
	}
	if out.Manifest.KeyIncluded != (out.Key != nil) {
		return out, fmt.Errorf("%w: the manifest says key_included=%t, the archive disagrees", ErrDamaged, out.Manifest.KeyIncluded)
	}
	if out.Key != nil && out.Manifest.KeyID != "" && KeyID(out.Key) != out.Manifest.KeyID {
		return out, fmt.Errorf("%w: the key in it is not the one the manifest names", ErrDamaged)
	}
	return out, nil
}

func readManifest(r io.Reader, size int64) (Manifest, error) {
	var m Manifest
	if size > 64<<10 {
		return m, fmt.Errorf("%w: manifest of %d bytes", ErrDamaged, size)
	}
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		return m, fmt.Errorf("%w: manifest: %v", ErrDamaged, err)
	}
	if m.Format != archiveFormat {
		return m, fmt.Errorf("%w: manifest format %q", ErrDamaged, m.Format)
	}
	if m.Version != archiveVersion {
		return m, fmt.Errorf("backup layout version %d is not one this ssogate reads (%d): restore it with the ssogate that made it", m.Version, archiveVersion)
	}
	return m, nil
}

// copyChecked copies the database entry and compares it with the manifest.
func copyChecked(dst *os.File, src io.Reader, size int64, m Manifest) error {
	if m.Format == "" {
		return fmt.Errorf("%w: no manifest before the database", ErrDamaged)
	}
	if size != m.DatabaseSize {
		return fmt.Errorf("%w: the database is %d bytes, the manifest says %d", ErrDamaged, size, m.DatabaseSize)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(dst, h), src)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	if n != size {
		return fmt.Errorf("%w: the database entry is truncated", ErrDamaged)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != m.DatabaseSHA256 {
		return fmt.Errorf("%w: the database's SHA-256 is %s, the manifest says %s", ErrDamaged, got, m.DatabaseSHA256)
	}
	return dst.Sync()
}

// fileSHA256 hashes a file.
func fileSHA256(path string) (sum string, size int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	size, err = io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), size, nil
}
