package backup

import (
	"context"

	"github.com/ssogate/ssogate/internal/secretbox"
	"github.com/ssogate/ssogate/internal/store"
)

// SetTestHook makes RotateSecretKey call f at its stages; the returned
// function removes it.
func SetTestHook(f func(stage string) error) (restore func()) {
	testHook = f
	return func() { testHook = nil }
}

// SealedColumnNames lists sealedColumns as "table.column".
func SealedColumnNames() []string {
	var out []string
	for _, c := range sealedColumns {
		out = append(out, c.String())
	}
	return out
}

// CheckSealed opens every sealed value of q's database with key.
func CheckSealed(ctx context.Context, q store.Querier, key []byte) (total, failed int, err error) {
	box, err := secretbox.New(key)
	if err != nil {
		return 0, 0, err
	}
	c, err := checkSealed(ctx, q, box)
	return c.Total, len(c.Failed), err
}
