package tokens

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ssogate/ssogate/internal/store"
)

// The token queries. Every query but FindByHash names the account: the
// secret's hash is the only global key, because the bearer value is all a
// request carries before we know its account.

const tokenColumns = `id, account_id, name, status, policies, condition, not_before, expires_on,
	issued_on, modified_on, last_used_on`

func insert(ctx context.Context, q store.Querier, t Token, secretHash string) error {
	pol, cond, err := encode(t)
	if err != nil {
		return err
	}
	_, err = q.ExecContext(ctx, `INSERT INTO api_tokens (`+tokenColumns+`, secret_hash)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)`,
		t.ID, t.AccountID, t.Name, t.Status, pol, cond, store.NullMicros(t.NotBefore),
		store.NullMicros(t.ExpiresOn), store.Micros(t.IssuedOn), store.Micros(t.ModifiedOn),
		store.NullMicros(t.LastUsedOn), secretHash)
	return store.Translate(err)
}

func update(ctx context.Context, q store.Querier, t Token) error {
	pol, cond, err := encode(t)
	if err != nil {
		return err
	}
	res, err := q.ExecContext(ctx, `UPDATE api_tokens SET name=$3, status=$4, policies=$5, condition=$6,
		not_before=$7, expires_on=$8, modified_on=$9 WHERE account_id=$1 AND id=$2`,
		t.AccountID, t.ID, t.Name, t.Status, pol, cond, store.NullMicros(t.NotBefore),
		store.NullMicros(t.ExpiresOn), store.Micros(t.ModifiedOn))
	return store.Affected(res, err)
}

func setSecret(ctx context.Context, q store.Querier, accountID, id, secretHash string, now time.Time) error {
	res, err := q.ExecContext(ctx, `UPDATE api_tokens SET secret_hash=$3, modified_on=$4
		WHERE account_id=$1 AND id=$2`, accountID, id, secretHash, store.Micros(now))
	return store.Affected(res, err)
}

func remove(ctx context.Context, q store.Querier, accountID, id string) error {
	res, err := q.ExecContext(ctx, `DELETE FROM api_tokens WHERE account_id=$1 AND id=$2`, accountID, id)
	return store.Affected(res, err)
}

func touch(ctx context.Context, q store.Querier, id string, now time.Time) error {
	_, err := q.ExecContext(ctx, `UPDATE api_tokens SET last_used_on=$2 WHERE id=$1`, id, store.Micros(now))
	return err
}

func get(ctx context.Context, q store.Querier, accountID, id string) (Token, error) {
	return scanOne(q.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens
		WHERE account_id=$1 AND id=$2`, accountID, id))
}

func findByHash(ctx context.Context, q store.Querier, secretHash string) (Token, error) {
	return scanOne(q.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens
		WHERE secret_hash=$1`, secretHash))
}

func list(ctx context.Context, q store.Querier, accountID string, desc bool, offset, limit int) ([]Token, int, error) {
	var total int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM api_tokens WHERE account_id=$1`, accountID).Scan(&total); err != nil {
		return nil, 0, err
	}
	order := "ASC"
	if desc {
		order = "DESC"
	}
	rows, err := q.QueryContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE account_id=$1
		ORDER BY issued_on `+order+`, id `+order+` LIMIT $2 OFFSET $3`, accountID, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		t, err := scan(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, t)
	}
	return out, total, rows.Err()
}

type scanner interface{ Scan(dest ...any) error }

func scanOne(row scanner) (Token, error) {
	t, err := scan(row)
	return t, store.Translate(err)
}

func scan(row scanner) (Token, error) {
	var t Token
	var pol, cond string
	var issued, modified int64
	var notBefore, expires, lastUsed store.NullTime
	if err := row.Scan(&t.ID, &t.AccountID, &t.Name, &t.Status, &pol, &cond, &notBefore, &expires,
		&issued, &modified, &lastUsed); err != nil {
		return Token{}, err
	}
	if err := json.Unmarshal([]byte(pol), &t.Policies); err != nil {
		return Token{}, fmt.Errorf("token %s: corrupt policies: %w", t.ID, err)
	}
	if err := json.Unmarshal([]byte(cond), &t.Condition); err != nil {
		return Token{}, fmt.Errorf("token %s: corrupt condition: %w", t.ID, err)
	}
	t.IssuedOn, t.ModifiedOn = store.FromMicros(issued), store.FromMicros(modified)
	t.NotBefore, t.ExpiresOn, t.LastUsedOn = notBefore.T, expires.T, lastUsed.T
	return t, nil
}

func encode(t Token) (policies, condition string, err error) {
	p, err := json.Marshal(t.Policies)
	if err != nil {
		return "", "", err
	}
	c, err := json.Marshal(t.Condition)
	return string(p), string(c), err
}
