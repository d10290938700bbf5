package backup

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/ssogate/ssogate/internal/config"
	"github.com/ssogate/ssogate/internal/secretbox"
)

// KeyChoice is what a backup does with the secret key. There is no
// default: leaving the key out makes a backup useless without a second
// one, putting it in makes the file as sensitive as the key, and the
// operator has to know which they have.
type KeyChoice int

const (
	KeyNotChosen KeyChoice = iota
	// WithKey stores the key in the archive (written 0600).
	WithKey
	// WithoutKey leaves it out: the operator keeps the key elsewhere.
	WithoutKey
)

// BackupOptions are Backup's choices.
type BackupOptions struct {
	Key KeyChoice
	Now func() time.Time // nil: time.Now
}

// BackupResult is what Backup wrote.
type BackupResult struct {
	File     string
	Manifest Manifest
	// KeySource says where the instance's key lives: what to keep beside a
	// backup made WithoutKey.
	KeySource string
	// Warnings are what the operator should read: with WithoutKey, that no
	// configured key opened the snapshot's secrets.
	Warnings []string
}

// ErrPostgres reports a file-level operation asked of a PostgreSQL
// deployment.
var ErrPostgres = errors.New("this works on the SQLite data directory only")

// Backup writes a consistent snapshot of the live SQLite database to file
// (a new file: an existing one is never replaced), with the secret key when
// opts.Key is WithKey. The server may keep running and writing meanwhile.
// The snapshot is integrity-checked, and its sealed values are opened with
// the configured key: a backup WithKey whose key does not open them is
// refused, since it could never be restored whole.
func Backup(ctx context.Context, cfg config.Config, file string, opts BackupOptions) (BackupResult, error) {
	src := sourceOf(cfg)
	res := BackupResult{File: file, KeySource: src.String()}
	if cfg.DatabaseURL != "" {
		return res, fmt.Errorf("%w: on PostgreSQL back up with pg_dump -Fc (restore with pg_restore), and keep the secret key (%s) "+
			"with it, or the restored IdP client secrets and Access signing keys cannot be opened (docs/operations.md, \"Backup and restore\")",
			ErrPostgres, src)
	}
	if opts.Key != WithKey && opts.Key != WithoutKey {
		return res, fmt.Errorf("say what to do with the secret key (%s): --with-key stores it in the backup, so the file alone restores "+
			"everything and must be kept as secret as the key; --without-key leaves it out, and then %s must be backed up separately: "+
			"without it the IdP client secrets and Access signing keys in the backup cannot be opened", src, src)
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	live := dbPath(cfg.DataDir)
	if _, err := os.Stat(live); err != nil {
		return res, fmt.Errorf("no database to back up: %w", err)
	}
	if ok, err := exists(file); err != nil {
		return res, fmt.Errorf("backup: %w", err)
	} else if ok {
		return res, fmt.Errorf("%s already exists; backups never replace a file: %w", file, fs.ErrExist)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(file), ".ssogate-backup-*")
	if err != nil {
		return res, fmt.Errorf("backup: %w", err)
	}
	defer os.RemoveAll(tmp)
	m, key, warnings, err := takeSnapshot(ctx, cfg, src, live, filepath.Join(tmp, DBFile), opts.Key, now())
	if err != nil {
		return res, err
	}
	res.Manifest, res.Warnings = m, warnings
	if err := writeArchiveFile(filepath.Join(tmp, "archive"), file, m, filepath.Join(tmp, DBFile), key); err != nil {
		return res, err
	}
	return res, nil
}

// takeSnapshot snapshots and checks the database and builds the manifest;
// it returns the key when the archive is to hold it.
func takeSnapshot(ctx context.Context, cfg config.Config, src keySource, live, snap string, choice KeyChoice,
	now time.Time) (Manifest, []byte, []string, error) {
	m := Manifest{Format: archiveFormat, Version: archiveVersion, CreatedAt: now.UTC().Truncate(time.Second),
		KeyIncluded: choice == WithKey}
	if err := snapshot(ctx, live, snap); err != nil {
		return m, nil, nil, err
	}
	db, err := openFile(ctx, snap, "ro")
	if err != nil {
		return m, nil, nil, err
	}
	defer db.Close()
	if m.SchemaVersion, err = schemaVersion(ctx, db); err != nil {
		return m, nil, nil, err
	}
	key, kerr := src.load(cfg)
	var check sealedCheck
	if kerr == nil {
		box, err := secretbox.New(key)
		if err != nil {
			return m, nil, nil, err
		}
		if check, err = checkSealed(ctx, db, box); err != nil {
			return m, nil, nil, err
		}
		m.SealedValues = check.Total
	}
	problem := ""
	switch {
	case kerr != nil:
		problem = fmt.Sprintf("the secret key could not be read (%v)", kerr)
	case !check.ok():
		problem = fmt.Sprintf("%s does not open %d of the %d sealed values (%s): is it the key the server uses?",
			src, len(check.Failed), check.Total, check.failedList())
	default:
		m.KeyID = KeyID(key)
	}
	if problem != "" && choice == WithKey {
		return m, nil, nil, errors.New("not backing up with this key: " + problem)
	}
	var warnings []string
	if problem != "" {
		warnings = append(warnings, problem+"; the backup does not say which key its secrets need")
	}
	db.Close()
	if m.DatabaseSHA256, m.DatabaseSize, err = fileSHA256(snap); err != nil {
		return m, nil, nil, err
	}
	if choice != WithKey {
		key = nil
	}
	return m, key, warnings, nil
}

// writeArchiveFile writes the archive to tmp, fsyncs it and links it to
// file, which must not exist.
func writeArchiveFile(tmp, file string, m Manifest, snap string, key []byte) error {
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := writeArchive(f, compressed(file), m, snap, key); err != nil {
		f.Close()
		return fmt.Errorf("write backup: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write backup: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write backup: %w", err)
	}
	if err := linkNoReplace(tmp, file); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s appeared while the backup was written; it was left alone: %w", file, err)
		}
		return fmt.Errorf("write backup: %w", err)
	}
	return syncDir(filepath.Dir(file))
}
