package access

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/ssogate/ssogate/internal/access/policy"
	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/store"
)

// The service-token queries. Every one names the account: a token id of
// another account is not found.

const serviceTokenColumns = `id, account_id, name, client_id, secret_hash, secret_version, previous_secret_hash,
	previous_secret_expires_on, duration, expires_on, last_seen_on, created_on, updated_on`

func scanServiceToken(row interface{ Scan(...any) error }) (ServiceToken, error) {
	var t ServiceToken
	var prev, expires, seen store.NullTime
	var created, updated int64
	err := row.Scan(&t.ID, &t.AccountID, &t.Name, &t.ClientID, &t.secretHash, &t.ClientSecretVersion, &t.previousHash,
		&prev, &t.Duration, &expires, &seen, &created, &updated)
	t.PreviousClientSecretExpiresAt, t.ExpiresAt, t.LastSeenAt = prev.T, expires.T, seen.T
	t.CreatedAt, t.UpdatedAt = store.FromMicros(created), store.FromMicros(updated)
	return t, err
}

func insertServiceToken(ctx context.Context, q store.Querier, t ServiceToken) error {
	_, err := q.ExecContext(ctx, `INSERT INTO access_service_tokens (`+serviceTokenColumns+`)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)`, t.ID, t.AccountID, t.Name, t.ClientID, t.secretHash,
		t.ClientSecretVersion, t.previousHash, store.NullMicros(t.PreviousClientSecretExpiresAt), t.Duration,
		store.NullMicros(t.ExpiresAt), store.NullMicros(t.LastSeenAt), store.Micros(t.CreatedAt), store.Micros(t.UpdatedAt))
	return store.Translate(err)
}

func getServiceToken(ctx context.Context, q store.Querier, accountID, id string) (ServiceToken, error) {
	t, err := scanServiceToken(q.QueryRowContext(ctx, `SELECT `+serviceTokenColumns+`
		FROM access_service_tokens WHERE account_id=$1 AND id=$2`, accountID, id))
	if errors.Is(store.Translate(err), store.ErrNotFound) {
		return t, api.NotFound("Access service token %s was not found in this account", id)
	}
	return t, err
}

// listServiceTokens reads the tokens of one account, or of every account
// when accountID is "" (the snapshot's load).
func listServiceTokens(ctx context.Context, q store.Querier, accountID string) ([]ServiceToken, error) {
	where, args := "", []any{}
	if accountID != "" {
		where, args = " WHERE account_id=$1", []any{accountID}
	}
	rows, err := q.QueryContext(ctx, `SELECT `+serviceTokenColumns+` FROM access_service_tokens`+where+
		` ORDER BY created_on, id`, args...)
	if err != nil {
		return nil, err
	}
	out := []ServiceToken{}
	for rows.Next() {
		t, err := scanServiceToken(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, t)
	}
	return out, closeRows(rows)
}

// updateServiceToken writes every mutable column (last_seen_on is the
// recorder's, not the API's).
func updateServiceToken(ctx context.Context, q store.Querier, t ServiceToken) error {
	res, err := q.ExecContext(ctx, `UPDATE access_service_tokens SET name=$3, secret_hash=$4, secret_version=$5,
		previous_secret_hash=$6, previous_secret_expires_on=$7, duration=$8, expires_on=$9, updated_on=$10
		WHERE account_id=$1 AND id=$2`, t.AccountID, t.ID, t.Name, t.secretHash, t.ClientSecretVersion, t.previousHash,
		store.NullMicros(t.PreviousClientSecretExpiresAt), t.Duration, store.NullMicros(t.ExpiresAt), store.Micros(t.UpdatedAt))
	return store.Affected(res, err)
}

func deleteServiceToken(ctx context.Context, q store.Querier, accountID, id string) error {
	res, err := q.ExecContext(ctx, `DELETE FROM access_service_tokens WHERE account_id=$1 AND id=$2`, accountID, id)
	return store.Affected(res, err)
}

// touchServiceToken records that a token was used at when; it never moves
// last_seen_on back (instances record independently).
func touchServiceToken(ctx context.Context, q store.Querier, accountID, id string, at int64) error {
	_, err := q.ExecContext(ctx, `UPDATE access_service_tokens SET last_seen_on=$3
		WHERE account_id=$1 AND id=$2 AND (last_seen_on IS NULL OR last_seen_on < $3)`, accountID, id, at)
	return err
}

// checkServiceTokenRefs refuses a policy whose service_token rules name a
// token this account does not have: the rule could never match, so the
// policy would not do what it says (and a typo, or the client id pasted for
// the id, would go unnoticed until a job was refused). Only references the
// write adds are checked (old is the policy before it, or nil): a token
// deleted while a policy names it leaves a rule that matches nothing, as
// deny-by-default wants, and must not make every later edit of that policy
// fail.
func checkServiceTokenRefs(ctx context.Context, q store.Querier, accountID string, old *Policy, p Policy) error {
	had := map[string]bool{}
	if old != nil {
		for _, ref := range policy.ServiceTokenRefs(old.Decidable()) {
			had[strings.ToLower(ref.TokenID)] = true
		}
	}
	for _, ref := range policy.ServiceTokenRefs(p.Decidable()) {
		id := strings.ToLower(ref.TokenID)
		if had[id] {
			continue
		}
		_, err := getServiceToken(ctx, q, accountID, id)
		if ae := (*api.Error)(nil); errors.As(err, &ae) && ae.Status == http.StatusNotFound {
			return api.Invalid(ref.Pointer, "service_token: this account has no service token %s; the rule needs "+
				"a token's id as GET /accounts/{account_id}/access/service_tokens lists it (not its client id)", ref.TokenID)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
