package keys

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ssogate/ssogate/internal/audit"
	"github.com/ssogate/ssogate/internal/store"
)

// row is one access_keys row as read.
type row struct {
	kid, sealed, jwk, cert string
	created                int64
	rotated, retire        sql.NullInt64
}

// loadRows returns the account's keys that are not retired at now.
func loadRows(ctx context.Context, q store.Querier, accountID string, now time.Time) ([]row, error) {
	rows, err := q.QueryContext(ctx, `SELECT kid, private_key, public_jwk, cert_pem, created_on,
		rotated_on, retire_on FROM access_keys
		WHERE account_id = $1 AND (retire_on IS NULL OR retire_on > $2)
		ORDER BY created_on DESC, kid`, accountID, store.Micros(now))
	if err != nil {
		return nil, fmt.Errorf("load access keys of account %s: %w", accountID, err)
	}
	defer rows.Close()
	var out []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.kid, &r.sealed, &r.jwk, &r.cert, &r.created, &r.rotated, &r.retire); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// loadRotateEvery reads the account's rotation interval, def without one.
func loadRotateEvery(ctx context.Context, q store.Querier, accountID string, def time.Duration) (time.Duration, error) {
	var days int
	err := q.QueryRowContext(ctx, `SELECT rotate_every_days FROM access_key_settings WHERE account_id=$1`, accountID).Scan(&days)
	if err = store.Translate(err); errors.Is(err, store.ErrNotFound) {
		return def, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read key rotation interval of account %s: %w", accountID, err)
	}
	return time.Duration(days) * 24 * time.Hour, nil
}

// changeMode says what a key change may do to the account's current key.
type changeMode int

const (
	modeFirst     changeMode = iota // create one only if the account has none
	modeScheduled                   // rotate only if the current key is still the expected one
	modeManual                      // rotate whatever is current
)

func (m changeMode) reason() string {
	return [...]string{"first_use", "scheduled", "manual"}[m]
}

// errLostRace means another instance changed the current key between our
// read and our write; the caller retries, and then sees the change.
var errLostRace = errors.New("access key changed concurrently")

// changeTx demotes the current key (per mode) and inserts mat as the new
// current key, with its audit entry, in tx. It reports false when the mode
// says there is nothing to do.
func changeTx(ctx context.Context, tx *sql.Tx, accountID string, mode changeMode, expectKid string,
	mat *material, now time.Time, overlap time.Duration, hook func(string)) (bool, error) {
	var cur string
	err := tx.QueryRowContext(ctx, `SELECT kid FROM access_keys
		WHERE account_id = $1 AND rotated_on IS NULL`, accountID).Scan(&cur)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("read current access key: %w", err)
	}
	hook("read")
	if (mode == modeFirst && cur != "") || (mode == modeScheduled && cur != expectKid) {
		return false, nil // someone else created or rotated first
	}
	if cur != "" {
		res, err := tx.ExecContext(ctx, `UPDATE access_keys SET rotated_on = $1, retire_on = $2
			WHERE kid = $3 AND account_id = $4 AND rotated_on IS NULL`,
			store.Micros(now), store.Micros(now.Add(overlap)), cur, accountID)
		if err := store.Affected(res, err); errors.Is(err, store.ErrNotFound) {
			return false, errLostRace
		} else if err != nil {
			return false, fmt.Errorf("demote access key %s: %w", cur, err)
		}
	}
	st := mat.state
	_, err = tx.ExecContext(ctx, `INSERT INTO access_keys (kid, account_id, private_key, public_jwk,
		cert_pem, created_on) VALUES ($1, $2, $3, $4, $5, $6)`,
		st.kid, accountID, st.sealed, mat.jwkJSON, st.certPEM, store.Micros(st.created))
	switch {
	case store.IsUniqueViolation(err):
		return false, errLostRace
	case isForeignKeyViolation(err):
		return false, fmt.Errorf("account %s: %w", accountID, store.ErrNotFound)
	case err != nil:
		return false, fmt.Errorf("insert access key: %w", err)
	}
	return true, audit.Record(ctx, tx, changeEvent(accountID, mode, cur, st.kid, now, overlap))
}

func changeEvent(accountID string, mode changeMode, oldKid, newKid string,
	now time.Time, overlap time.Duration) audit.Event {
	ev := audit.Event{AccountID: accountID, When: now, Action: "access_key_rotate", Result: true,
		ResourceID: newKid, ResourceType: "access_key", NewValue: map[string]string{"kid": newKid},
		Metadata: map[string]any{"reason": mode.reason()}}
	if oldKid != "" {
		ev.OldValue = map[string]string{"kid": oldKid}
		ev.Metadata["previous_retire_on"] = now.Add(overlap).UTC().Format(time.RFC3339)
	} else {
		ev.Action = "access_key_create"
	}
	if mode != modeManual { // the system decided, whoever's request happened to trigger it
		ev.Actor = audit.System
	}
	return ev
}

// isForeignKeyViolation reports an insert naming a missing account.
func isForeignKeyViolation(err error) bool {
	if err == nil {
		return false
	}
	var coded interface{ SQLState() string }
	if errors.As(err, &coded) {
		return coded.SQLState() == "23503"
	}
	return strings.Contains(err.Error(), "FOREIGN KEY constraint failed")
}
