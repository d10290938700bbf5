package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ssogate/ssogate/internal/audit"
	"github.com/ssogate/ssogate/internal/config"
	"github.com/ssogate/ssogate/internal/secretbox"
)

// RestoreOptions are Restore's choices.
type RestoreOptions struct {
	// Force moves an existing database (and a different existing key file)
	// aside, to <name>.before-restore-<time>, instead of refusing.
	Force bool
	Now   func() time.Time // nil: time.Now
}

// RestoreResult is what Restore did.
type RestoreResult struct {
	Manifest     Manifest
	Database     string   // the restored database file
	MovedAside   []string // files kept under a .before-restore name
	KeyInstalled string   // where the backup's key was written; "" when none was
	// KeySource is the key that opens the restored secrets, as the server
	// will find it.
	KeySource    string
	SealedValues int
}

// ErrExists reports a data directory that already holds a database or a
// different key, which Restore replaces only when forced.
var ErrExists = errors.New("already there")

// ErrWrongKey reports a key that does not open the sealed values of a
// database.
var ErrWrongKey = errors.New("the secret key does not open this database's sealed secrets")

// Restore puts the backup in file into cfg's data directory, which no
// server may be using (it takes LockDataDir). Everything is checked first
// — the archive against its manifest, the database's integrity and schema,
// and that the key the server will use opens every sealed value — and
// nothing is changed unless all of it passes. Then the backup's key, if it
// holds one, is installed at the key file's path, and the database
// replaces ssogate.db by a rename. Nothing is ever deleted: an existing
// database (with its -wal and -shm) or a different key file is kept as
// <name>.before-restore-<time>, and replaced only with opts.Force.
func Restore(ctx context.Context, cfg config.Config, file string, opts RestoreOptions) (RestoreResult, error) {
	src := sourceOf(cfg)
	res := RestoreResult{Database: dbPath(cfg.DataDir)}
	if cfg.DatabaseURL != "" {
		return res, fmt.Errorf("%w: on PostgreSQL restore with pg_restore into an empty database, give every instance the "+
			"secret key that was in use when the dump was made, then start them (docs/operations.md, \"Backup and restore\")", ErrPostgres)
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	release, err := LockDataDir(cfg.DataDir)
	if err != nil {
		return res, fmt.Errorf("restore needs a stopped instance: %w", err)
	}
	defer release()
	if ok, err := exists(res.Database); err != nil {
		return res, fmt.Errorf("restore: %w", err)
	} else if ok && !opts.Force {
		return res, fmt.Errorf("%w: %s holds a database; restore into an empty data directory, or pass --force to move it "+
			"aside to %s.before-restore-<time> (it is never deleted)", ErrExists, cfg.DataDir, DBFile)
	}
	tmp, content, err := extract(ctx, cfg.DataDir, file)
	if tmp != "" {
		defer os.Remove(tmp) // a no-op once renamed into place
	}
	if err != nil {
		return res, err
	}
	res.Manifest = content.Manifest
	keyDesc, n, err := checkRestoredKey(ctx, cfg, src, tmp, content)
	if err != nil {
		return res, err
	}
	res.KeySource, res.SealedValues = keyDesc, n
	installKey, err := keyConflict(src.path, content.Key, opts.Force)
	if err != nil {
		return res, err
	}
	// Every check passed: from here on, change things.
	if err := recordRestore(ctx, tmp, content.Manifest, now()); err != nil {
		return res, err
	}
	ts := stamp(now())
	if installKey {
		aside, err := installKeyFile(src.path, content.Key, ts)
		if err != nil {
			return res, err
		}
		res.KeyInstalled = src.path
		res.MovedAside = append(res.MovedAside, aside...)
	}
	aside, err := moveDBAside(ctx, res.Database, ts)
	res.MovedAside = append(res.MovedAside, aside...)
	if err != nil {
		return res, err
	}
	if err := os.Rename(tmp, res.Database); err != nil {
		return res, fmt.Errorf("put the restored database in place: %w", err)
	}
	return res, syncDir(cfg.DataDir)
}

// extract reads the archive into a temporary file in dir and checks the
// database in it.
func extract(ctx context.Context, dir, file string) (string, archiveContent, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", archiveContent{}, fmt.Errorf("open backup: %w", err)
	}
	defer f.Close()
	tmp, err := os.CreateTemp(dir, ".ssogate-restore-*.db")
	if err != nil {
		return "", archiveContent{}, fmt.Errorf("restore: %w", err)
	}
	content, err := readArchive(f, tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return tmp.Name(), content, err
	}
	return tmp.Name(), content, checkDatabase(ctx, tmp.Name(), content.Manifest)
}

// checkDatabase checks the restored file's integrity and schema version.
func checkDatabase(ctx context.Context, path string, m Manifest) error {
	latest, err := latestSchema()
	if err != nil {
		return err
	}
	if m.SchemaVersion > latest {
		return fmt.Errorf("the backup's schema is version %d, newer than this ssogate knows (%d): restore it with the ssogate version that made it or a later one",
			m.SchemaVersion, latest)
	}
	db, err := openFile(ctx, path, "ro")
	if err != nil {
		return fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	defer db.Close()
	if err := integrity(ctx, db); err != nil {
		return fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	v, err := schemaVersion(ctx, db)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	if v != m.SchemaVersion {
		return fmt.Errorf("%w: the database's schema is version %d, the manifest says %d", ErrDamaged, v, m.SchemaVersion)
	}
	return nil
}

// checkRestoredKey opens every sealed value of the restored database with
// the key the server will use after the restore: SSOGATE_SECRET_KEY when
// set, else the backup's key (about to be installed), else the key file
// already there. It never creates a key.
func checkRestoredKey(ctx context.Context, cfg config.Config, src keySource, path string, c archiveContent) (string, int, error) {
	var key []byte
	var desc string
	var kerr error
	switch {
	case src.env:
		desc = EnvKey
		key, kerr = src.load(cfg)
	case c.Key != nil:
		key, desc = c.Key, "the backup's key (installed at "+src.path+")"
	default:
		desc = src.String()
		key, kerr = readKeyFile(src.path)
	}
	db, err := openFile(ctx, path, "ro")
	if err != nil {
		return desc, 0, err
	}
	defer db.Close()
	vals, err := readSealed(ctx, db)
	if err != nil {
		return desc, 0, err
	}
	if len(vals) == 0 {
		return desc, 0, nil // nothing sealed: any key, even a new one, will do
	}
	if kerr != nil {
		return desc, len(vals), fmt.Errorf("%w: %d sealed values (IdP client secrets, Access signing keys) need the key that was in use "+
			"when the backup was made%s, and %v. Put that key at %s (mode 0600) or in %s, then restore again; nothing was changed",
			ErrWrongKey, len(vals), madeWith(c.Manifest), kerr, src.path, EnvKey)
	}
	box, err := secretbox.New(key)
	if err != nil {
		return desc, len(vals), err
	}
	check, err := checkSealed(ctx, db, box)
	if err != nil || check.ok() {
		return desc, check.Total, err
	}
	return desc, check.Total, wrongKeyError(src, desc, key, c, check)
}

func wrongKeyError(src keySource, desc string, key []byte, c archiveContent, check sealedCheck) error {
	msg := fmt.Sprintf("%s (key id %s) opens %d of the %d sealed values, not %s%s. ", desc, KeyID(key),
		check.Total-len(check.Failed), check.Total, check.failedList(), madeWith(c.Manifest))
	switch {
	case src.env && c.Key != nil && !bytes.Equal(c.Key, key):
		msg += fmt.Sprintf("The backup holds its own key, but %s is set and wins over the key file: unset it (the backup's key "+
			"will be installed at %s) or set it to the backup's key, then restore again.", EnvKey, src.path)
	case c.Key != nil:
		msg += "The backup's own key does not open them: the backup was made with a key other than the server's."
	default:
		msg += fmt.Sprintf("The backup holds no key: put the key that was in use when it was made at %s (mode 0600) or in %s, "+
			"then restore again. A key kept by a rotation (%s.old-<time>) opens backups made before it.", src.path, EnvKey, src.path)
	}
	return fmt.Errorf("%w: %s Nothing was changed.", ErrWrongKey, msg)
}

func madeWith(m Manifest) string {
	if m.KeyID == "" {
		return ""
	}
	return "; the backup was made with key id " + m.KeyID
}

// keyConflict reports whether the backup's key must be written, refusing
// to replace a different existing key file unless forced.
func keyConflict(path string, key []byte, force bool) (bool, error) {
	if key == nil {
		return false, nil
	}
	old, err := readKeyFile(path)
	if err != nil {
		if ok, _ := exists(path); !ok {
			return true, nil
		}
		if !force {
			return false, fmt.Errorf("%w: %s is there but unreadable (%v); pass --force to move it aside", ErrExists, path, err)
		}
		return true, nil
	}
	if bytes.Equal(old, key) {
		return false, nil
	}
	if !force {
		return false, fmt.Errorf("%w: %s holds a different key (id %s) than the backup's (id %s); pass --force to move it aside to "+
			"%s.before-restore-<time> (it is never deleted)", ErrExists, path, KeyID(old), KeyID(key), filepath.Base(path))
	}
	return true, nil
}

// installKeyFile writes key at path, moving an existing file aside.
func installKeyFile(path string, key []byte, ts string) ([]string, error) {
	var aside []string
	if ok, _ := exists(path); ok {
		to := path + ".before-restore-" + ts
		if err := os.Rename(path, to); err != nil {
			return nil, fmt.Errorf("move the old key aside: %w", err)
		}
		aside = append(aside, to)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return aside, err
	}
	if err := writeNewFile(path, keyText(key)); err != nil {
		return aside, fmt.Errorf("install the backup's key at %s: %w", path, err)
	}
	return aside, nil
}

// moveDBAside keeps the database and its -wal and -shm under the same
// .before-restore-<time> names, so the set stays one consistent database,
// and leaves ssogate.db itself in place for the restored file to replace by
// a rename: no moment leaves the data directory without a database (a
// server started then would create an empty one). It checkpoints first, so
// the database file alone is complete and there is normally no WAL left.
// Leftover -wal/-shm files without a database are moved too, or SQLite
// would apply a stale WAL to the restored file.
func moveDBAside(ctx context.Context, path, ts string) ([]string, error) {
	var moved []string
	to := path + ".before-restore-" + ts
	if ok, _ := exists(path); ok {
		if db, err := openFile(ctx, path, "rw"); err == nil {
			_, _ = db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`) // best effort: a -wal left moves with it
			db.Close()
		}
		if err := os.Link(path, to); err != nil {
			if err := copyFile(path, to); err != nil {
				return nil, fmt.Errorf("keep the old database as %s: %w", to, err)
			}
		}
		moved = append(moved, to)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if ok, _ := exists(path + suffix); !ok {
			continue
		}
		if err := os.Rename(path+suffix, to+suffix); err != nil {
			return moved, fmt.Errorf("move %s aside: %w", path+suffix, err)
		}
		moved = append(moved, to+suffix)
	}
	return moved, syncDir(filepath.Dir(path))
}

// recordRestore writes a system audit entry into each account of the
// restored database, before it is put in place.
func recordRestore(ctx context.Context, path string, m Manifest, now time.Time) error {
	db, err := openFile(ctx, path, "rw")
	if err != nil {
		return err
	}
	defer db.Close()
	ids, err := accountIDs(ctx, db)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := audit.Record(ctx, db, audit.Event{AccountID: id, When: now, Actor: adminActor, Action: "backup_restore",
			Result: true, ResourceType: "instance", Metadata: map[string]any{"backup_created_at": m.CreatedAt,
				"schema_version": m.SchemaVersion, "key_included": m.KeyIncluded}}); err != nil {
			return err
		}
	}
	if err := db.Close(); err != nil {
		return err
	}
	return syncFile(path)
}
