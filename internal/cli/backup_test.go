package cli_test

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// TestAdminBackupRestoreRotate drives the three data commands end to end:
// a backup of one data directory restored into another serves the same
// token, a second restore needs --force, and rotating the key keeps the
// restored instance working. Package backup tests the guarantees; this
// tests the commands' wiring, flags and words.
func TestAdminBackupRestoreRotate(t *testing.T) {
	t.Parallel()
	src := dataDirEnv(t)
	acct := createAccount(t, src, "Acme Corp")
	tok := decode[tokenJSON](t, must(t, 0, src, "admin", "token", "create", "--account", acct.ID,
		"--permission", "SSO Connector Read", "--json").stdout)
	serveDataDir(t, src["SSOGATE_DATA_DIR"]).Close() // a start seals the first Access signing key

	file := filepath.Join(t.TempDir(), "ssogate-backup.tar.gz")
	r := must(t, 1, src, "admin", "backup", file)
	contains(t, "stderr", r.stderr, "--with-key", "--without-key")
	must(t, 2, src, "admin", "backup", file, "--with-key", "--without-key")
	r = must(t, 0, src, "admin", "backup", file, "--with-key")
	contains(t, "stdout", r.stdout, "Wrote "+file, "secret key (id ")
	if st, err := os.Stat(file); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v, mode %v; want 0600", err, st.Mode())
	}

	dst := dataDirEnv(t)
	r = must(t, 0, dst, "admin", "restore", file)
	contains(t, "stdout", r.stdout, "Restored ", "Installed the backup's key")
	r = must(t, 1, dst, "admin", "restore", file)
	contains(t, "stderr", r.stderr, "--force")
	must(t, 0, dst, "admin", "restore", file, "--force")

	r = must(t, 0, dst, "admin", "rotate-secret-key")
	contains(t, "stdout", r.stdout, "Re-sealed")
	srv := serveDataDir(t, dst["SSOGATE_DATA_DIR"])
	for _, path := range []string{"/tokens/verify", "/sso_connectors"} {
		req, _ := http.NewRequest("GET", srv.URL+"/client/v4/accounts/"+acct.ID+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok.Value)
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("restored and re-keyed instance: GET %s = %d, want 200", path, res.StatusCode)
		}
	}
}
