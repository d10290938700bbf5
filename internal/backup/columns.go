package backup

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/ssogate/ssogate/internal/secretbox"
	"github.com/ssogate/ssogate/internal/store"
)

// sealedColumn is a column that holds secretbox values, one per row, bound
// to an aad derived from the row's key. The aad formats repeat those of the
// packages that seal (the tests open the values through those packages
// after a rotation, so a drift fails them).
type sealedColumn struct {
	Table  string
	Key    string // the primary key column
	Column string
	AAD    func(key string) string
}

// sealedColumns is every column holding a sealed value. A new one must be
// added here, or rotation leaves it under the old key and restore does not
// check it; TestEverySealCallSiteIsListed and TestEverySealedValueIsListed
// fail until it is.
var sealedColumns = []sealedColumn{
	// internal/access/keys: the Access signing keys' private halves.
	{Table: "access_keys", Key: "kid", Column: "private_key",
		AAD: func(kid string) string { return "access_key:" + kid }},
	// internal/access: OIDC identity providers' client secrets ('' for SAML).
	{Table: "access_identity_providers", Key: "id", Column: "secret",
		AAD: func(id string) string { return "access_idp:" + id }},
}

func (c sealedColumn) String() string { return c.Table + "." + c.Column }

// selectSQL reads the column's non-empty values.
func (c sealedColumn) selectSQL() string {
	return `SELECT ` + c.Key + `, ` + c.Column + ` FROM ` + c.Table + ` WHERE ` + c.Column + ` <> '' ORDER BY ` + c.Key
}

type sealedValue struct {
	col    sealedColumn
	key    string
	sealed string
}

func (v sealedValue) String() string { return fmt.Sprintf("%s (%s %s)", v.col, v.col.Key, v.key) }

// readSealed returns every sealed value of every listed column.
func readSealed(ctx context.Context, q store.Querier) ([]sealedValue, error) {
	var out []sealedValue
	for _, c := range sealedColumns {
		rows, err := q.QueryContext(ctx, c.selectSQL())
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", c, err)
		}
		for rows.Next() {
			v := sealedValue{col: c}
			if err := rows.Scan(&v.key, &v.sealed); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read %s: %w", c, err)
			}
			out = append(out, v)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", c, err)
		}
	}
	return out, nil
}

// sealedCheck is what opening every sealed value with a key found.
type sealedCheck struct {
	Total  int
	Failed []sealedValue // those the key did not open
}

func (c sealedCheck) ok() bool { return len(c.Failed) == 0 }

// failedList names up to three values that did not open, for messages.
func (c sealedCheck) failedList() string {
	var names []string
	for i, v := range c.Failed {
		if i == 3 {
			names = append(names, fmt.Sprintf("and %d more", len(c.Failed)-3))
			break
		}
		names = append(names, v.String())
	}
	return strings.Join(names, ", ")
}

// checkSealed opens every sealed value with box.
func checkSealed(ctx context.Context, q store.Querier, box *secretbox.Box) (sealedCheck, error) {
	vals, err := readSealed(ctx, q)
	if err != nil {
		return sealedCheck{}, err
	}
	res := sealedCheck{Total: len(vals)}
	for _, v := range vals {
		if _, err := box.Open(v.sealed, v.col.AAD(v.key)); err != nil {
			res.Failed = append(res.Failed, v)
		}
	}
	return res, nil
}

// reseal opens every sealed value with box (which knows the old and the
// new key) and seals it again with box's current key, in tx. A value no
// key opens stops everything: writing it back unchanged would leave it
// under a key about to be retired, dropping it would lose a secret.
func reseal(ctx context.Context, tx *sql.Tx, box *secretbox.Box) (map[string]int, error) {
	vals, err := readSealed(ctx, tx)
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	for _, c := range sealedColumns {
		counts[c.String()] = 0
	}
	for _, v := range vals {
		aad := v.col.AAD(v.key)
		plain, err := box.Open(v.sealed, aad)
		if err != nil {
			return nil, fmt.Errorf("%s: neither the current nor the new key opens it (%w); nothing was changed", v, err)
		}
		res, err := tx.ExecContext(ctx, `UPDATE `+v.col.Table+` SET `+v.col.Column+` = $1 WHERE `+
			v.col.Key+` = $2 AND `+v.col.Column+` = $3`, box.Seal(plain, aad), v.key, v.sealed)
		if err := store.Affected(res, err); err != nil {
			return nil, fmt.Errorf("re-seal %s: %w", v, err)
		}
		counts[v.col.String()]++
	}
	return counts, nil
}
