package store

import (
	"strings"
	"testing"
)

// pool_max_conns sizes the pool (open = idle) and never reaches the
// driver, which would send it to the server as a setting; bad values are
// refused with the parameter's name.
func TestPostgresDSN(t *testing.T) {
	for _, tc := range []struct {
		url, dsn string
		size     int
		err      string
	}{
		{"postgres://u@db/sg", "postgres://u@db/sg?connect_timeout=5", DefaultPoolSize, ""},
		{"postgres://u@db/sg?pool_max_conns=64&sslmode=disable", "postgres://u@db/sg?connect_timeout=5&sslmode=disable", 64, ""},
		{"postgresql://u@db/sg?connect_timeout=2&pool_max_conns=1", "postgresql://u@db/sg?connect_timeout=2", 1, ""},
		{"postgres://u@db/sg?pool_max_conns=0", "", 0, "pool_max_conns must be a number from 1 to 1000"},
		{"postgres://u@db/sg?pool_max_conns=lots", "", 0, `not "lots"`},
		{"mysql://u@db/sg", "", 0, "must start with postgres://"},
	} {
		dsn, size, err := PostgresDSN(tc.url)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.url, err, tc.err)
			}
			continue
		}
		if err != nil || dsn != tc.dsn || size != tc.size {
			t.Errorf("%s: %q %d %v, want %q %d", tc.url, dsn, size, err, tc.dsn, tc.size)
		}
	}
}
