package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ssogate/ssogate/internal/backup"
	"github.com/ssogate/ssogate/internal/config"
)

// adminDataCommands back up, restore and re-key the data directory
// (package backup does the work; these only read flags and print).
func adminDataCommands(env *Env) []*cobra.Command {
	return []*cobra.Command{
		leaf(env, leafSpec{use: "backup FILE", short: "write a consistent snapshot of the live SQLite database to FILE (.tar, or .tar.gz)",
			long: backupLong, setup: setupAdminBackup}),
		leaf(env, leafSpec{use: "restore FILE", short: "put a backup back into a stopped instance's data directory",
			long: restoreLong, setup: setupAdminRestore}),
		leaf(env, leafSpec{use: "rotate-secret-key", short: "re-seal every secret at rest under a new key, in one transaction",
			long: rotateLong, setup: setupAdminRotate}),
	}
}

const backupLong = "The server may keep running. Choose what happens to the secret key that seals IdP client secrets\n" +
	"and Access signing keys: --with-key stores it in the archive (then guard the archive like the key),\n" +
	"--without-key leaves it out (then keep the key file, or SSOGATE_SECRET_KEY, safe separately: a\n" +
	"database without its key restores everything but those secrets). An existing FILE is never replaced.\n" +
	"PostgreSQL: use pg_dump -Fc and keep the key (docs/operations.md)."

const restoreLong = "The instance must be stopped: restore takes the data directory's lock. Everything is checked\n" +
	"before anything changes: the archive against its manifest, the database's integrity, and that the\n" +
	"key the server will use (the backup's, else the configured one) opens every sealed secret.\n" +
	"An existing database is refused unless --force, which keeps it as ssogate.db.before-restore-<time>."

const rotateLong = "Every instance must be stopped. With a key file, the new key replaces it and the old one is kept\n" +
	"as <key file>.old-<time> (backups made before need it). With SSOGATE_SECRET_KEY, the new key is\n" +
	"written to --new-key-file: start every instance with it. A crash at any point loses nothing: the\n" +
	"next start (or running this again) finishes or undoes the rotation."

func setupAdminBackup(env *Env, fs *pflag.FlagSet) runFunc {
	withKey := fs.Bool("with-key", false, "store the secret key in the archive")
	withoutKey := fs.Bool("without-key", false, "leave the key out; you keep it safe elsewhere")
	settings := config.Bind(fs, config.StorageSettings)
	return func(ctx context.Context, args []string) error {
		if len(args) != 1 {
			return usageError("give exactly one FILE to write the backup to")
		}
		opts := backup.BackupOptions{}
		switch {
		case *withKey && *withoutKey:
			return usageError("--with-key and --without-key: choose one")
		case *withKey:
			opts.Key = backup.WithKey
		case *withoutKey:
			opts.Key = backup.WithoutKey
		}
		cfg, err := loadConfig(env, settings)
		if err != nil {
			return err
		}
		res, err := backup.Backup(ctx, cfg, args[0], opts)
		if err != nil {
			return err
		}
		fmt.Fprint(env.Stdout, res.Report())
		return nil
	}
}

func setupAdminRestore(env *Env, fs *pflag.FlagSet) runFunc {
	force := fs.Bool("force", false, "move an existing database (and a different key file) aside instead of refusing")
	settings := config.Bind(fs, config.StorageSettings)
	return func(ctx context.Context, args []string) error {
		if len(args) != 1 {
			return usageError("give exactly one backup FILE to restore")
		}
		cfg, err := loadConfig(env, settings)
		if err != nil {
			return err
		}
		res, err := backup.Restore(ctx, cfg, args[0], backup.RestoreOptions{Force: *force})
		if err != nil {
			return err
		}
		fmt.Fprint(env.Stdout, res.Report())
		return nil
	}
}

func setupAdminRotate(env *Env, fs *pflag.FlagSet) runFunc {
	newKeyFile := fs.String("new-key-file", "", "where to write the new key when the current one comes from SSOGATE_SECRET_KEY")
	settings := config.Bind(fs, config.StorageSettings)
	return func(ctx context.Context, args []string) error {
		cfg, err := configured(env, settings, args)
		if err != nil {
			return err
		}
		res, err := backup.RotateSecretKey(ctx, cfg, backup.RotateOptions{NewKeyFile: *newKeyFile})
		if err != nil {
			return err
		}
		fmt.Fprint(env.Stdout, res.Report())
		return nil
	}
}
