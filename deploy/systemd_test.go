package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// systemdAnalyze finds systemd-analyze; without it the test skips on a
// laptop and fails in CI, so CI cannot pass by skipping.
func systemdAnalyze(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("systemd-analyze is not installed (Debian: apt-get install systemd); CI must run this test")
		}
		t.Skip("systemd-analyze is not installed (Debian: apt-get install systemd)")
	}
	return path
}

// unitForVerify copies the unit to a temporary directory with ExecStart's
// program replaced by an executable that exists here: verify checks that
// the program is executable, and /usr/local/bin/ssogate is installed only
// on a real host.
func unitForVerify(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile("ssogate.service")
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable() // this test binary: executable, and nothing is run
	if err != nil {
		t.Fatal(err)
	}
	execStart := regexp.MustCompile(`(?m)^ExecStart=/usr/local/bin/ssogate serve( |$)`)
	if !execStart.Match(raw) {
		t.Fatalf("ssogate.service: want ExecStart=/usr/local/bin/ssogate serve ...")
	}
	unit := execStart.ReplaceAllString(string(raw), "ExecStart="+exe+" serve$1")
	path := filepath.Join(t.TempDir(), "ssogate.service")
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSystemdUnitVerifies runs systemd-analyze verify, which exits 0 even
// for unknown or malformed directives ("Unknown key ..., ignoring"): any
// output at all is a failure.
func TestSystemdUnitVerifies(t *testing.T) {
	sa := systemdAnalyze(t)
	unit := unitForVerify(t)
	out, err := exec.Command(sa, "verify", unit).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify ssogate.service: %v\n%s", err, out)
	}
}

// TestSystemdUnitExposure keeps systemd-analyze security's exposure score
// (0 safest, 10 unsafe) at most 2.0; docs/deploy.md quotes the score.
func TestSystemdUnitExposure(t *testing.T) {
	sa := systemdAnalyze(t)
	unit := unitForVerify(t)
	out, err := exec.Command(sa, "security", "--offline=true", "--threshold=20", "--no-pager", unit).CombinedOutput()
	if err != nil {
		t.Errorf("systemd-analyze security --offline=true --threshold=20: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "Overall exposure level for ssogate.service") {
		t.Errorf("systemd-analyze security printed no exposure level:\n%s", out)
	}
}

// TestSystemdUnitSettings pins what the unit must keep, whatever the score
// says: the state directory, the data directory ssogate is told about, and
// a stop timeout longer than the server's 15 s drain.
func TestSystemdUnitSettings(t *testing.T) {
	raw, err := os.ReadFile("ssogate.service")
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string][]string{}
	for _, line := range strings.Split(string(raw), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			settings[k] = append(settings[k], v)
		}
	}
	for key, want := range map[string]string{
		"DynamicUser":             "yes",
		"StateDirectory":          "ssogate",
		"Environment":             "SSOGATE_DATA_DIR=/var/lib/ssogate",
		"EnvironmentFile":         "-/etc/ssogate/ssogate.env",
		"ProtectSystem":           "strict",
		"NoNewPrivileges":         "yes",
		"CapabilityBoundingSet":   "",
		"UMask":                   "0077",
		"Restart":                 "on-failure",
		"TimeoutStopSec":          "20",
		"MemoryDenyWriteExecute":  "yes",
		"RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
	} {
		if !slices.Contains(settings[key], want) {
			t.Errorf("ssogate.service: %s=%v; want %s=%s", key, settings[key], key, want)
		}
	}
}
