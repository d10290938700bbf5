package sso

import (
	"context"
	"encoding/json"
	"time"

	"github.com/ssogate/ssogate/internal/store"
)

// The connector queries. Every query names the account except the
// worker's, which work on due rows across accounts by design.

const columns = `id, account_id, email_domain, enabled, use_fedramp_language, verification_code,
	status, reason, last_result, last_checked_on, deadline, next_check_at, verified_on, attempts,
	version, created_on, updated_on`

func claim(c Connector) any {
	if c.live() {
		return c.EmailDomain
	}
	return nil
}

func insert(ctx context.Context, q store.Querier, c Connector) error {
	last, err := encodeResult(c)
	if err != nil {
		return err
	}
	_, err = q.ExecContext(ctx, `INSERT INTO sso_connectors (`+columns+`, claim_domain)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)`,
		c.ID, c.AccountID, c.EmailDomain, c.Enabled, c.UseFedRAMP, c.Code, string(c.Status), c.Reason,
		last, store.NullMicros(c.LastCheckedOn), store.NullMicros(c.Deadline),
		store.NullMicros(c.NextCheckAt), store.NullMicros(c.VerifiedOn), c.Attempts, c.Version,
		store.Micros(c.CreatedOn), store.Micros(c.UpdatedOn), claim(c))
	return store.Translate(err)
}

// save writes c if the stored version is still c.Version-1 (the caller
// bumped it), and clears any worker lease. ErrNotFound means the row is gone
// or was changed meanwhile.
func save(ctx context.Context, q store.Querier, c Connector) error {
	last, err := encodeResult(c)
	if err != nil {
		return err
	}
	res, err := q.ExecContext(ctx, `UPDATE sso_connectors SET enabled=$3, use_fedramp_language=$4,
		status=$5, reason=$6, last_result=$7, last_checked_on=$8, deadline=$9, next_check_at=$10,
		verified_on=$11, attempts=$12, version=$13, updated_on=$14, claim_domain=$15, lease_until=NULL
		WHERE account_id=$1 AND id=$2 AND version=$16`,
		c.AccountID, c.ID, c.Enabled, c.UseFedRAMP, string(c.Status), c.Reason, last,
		store.NullMicros(c.LastCheckedOn), store.NullMicros(c.Deadline), store.NullMicros(c.NextCheckAt),
		store.NullMicros(c.VerifiedOn), c.Attempts, c.Version, store.Micros(c.UpdatedOn), claim(c),
		c.Version-1)
	return store.Affected(res, err)
}

func remove(ctx context.Context, q store.Querier, accountID, id string) error {
	res, err := q.ExecContext(ctx, `DELETE FROM sso_connectors WHERE account_id=$1 AND id=$2`, accountID, id)
	return store.Affected(res, err)
}

func get(ctx context.Context, q store.Querier, accountID, id string) (Connector, error) {
	c, err := scan(q.QueryRowContext(ctx, `SELECT `+columns+` FROM sso_connectors
		WHERE account_id=$1 AND id=$2`, accountID, id))
	return c, store.Translate(err)
}

func list(ctx context.Context, q store.Querier, accountID string) ([]Connector, error) {
	return query(ctx, q, `SELECT `+columns+` FROM sso_connectors WHERE account_id=$1
		ORDER BY created_on, id`, accountID)
}

// findByAccountDomain returns the account's connector for a domain.
func findByAccountDomain(ctx context.Context, q store.Querier, accountID, domain string) (Connector, error) {
	c, err := scan(q.QueryRowContext(ctx, `SELECT `+columns+` FROM sso_connectors
		WHERE account_id=$1 AND email_domain=$2`, accountID, domain))
	return c, store.Translate(err)
}

// EnabledForDomain returns the enabled, verified connector for an email
// domain, across accounts (the dashboard's "is SSO enforced?" question).
func EnabledForDomain(ctx context.Context, q store.Querier, domain string) (Connector, error) {
	c, err := scan(q.QueryRowContext(ctx, `SELECT `+columns+` FROM sso_connectors
		WHERE claim_domain=$1 AND enabled AND status='verified'`, domain))
	return c, store.Translate(err)
}

// EnabledDomains returns the email domains of the account's enabled,
// verified connectors, sorted: what the Access "SSO App" must admit.
func EnabledDomains(ctx context.Context, q store.Querier, accountID string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT email_domain FROM sso_connectors
		WHERE account_id=$1 AND enabled AND status='verified' ORDER BY email_domain`, accountID)
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// liveClaimsNear returns live claims of other accounts on the domain's
// parents or children: a verified acme.com in account A must stop B from
// claiming eu.acme.com, and the other way round.
func liveClaimsNear(ctx context.Context, q store.Querier, accountID, domain string) ([]Connector, error) {
	return query(ctx, q, `SELECT `+columns+` FROM sso_connectors WHERE account_id <> $1
		AND status = 'verified' AND (claim_domain LIKE $2 OR $3 LIKE '%.' || claim_domain)`,
		accountID, "%."+domain, domain)
}

// claimDue leases up to limit pending connectors whose check is due. On
// PostgreSQL, SKIP LOCKED lets several instances lease disjoint rows;
// SQLite has one writer, so the plain UPDATE is already exclusive.
func claimDue(ctx context.Context, db *store.DB, now time.Time, lease time.Duration, limit int) ([]Connector, error) {
	lock := ""
	if db.Dialect == store.Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	return query(ctx, db, `UPDATE sso_connectors SET lease_until=$1 WHERE id IN (
		SELECT id FROM sso_connectors WHERE status='pending' AND next_check_at <= $2
		AND (lease_until IS NULL OR lease_until < $2) ORDER BY next_check_at LIMIT $3`+lock+`)
		RETURNING `+columns, store.Micros(now.Add(lease)), store.Micros(now), limit)
}

// dueToExpire returns up to limit unverified connectors past their deadline.
func dueToExpire(ctx context.Context, q store.Querier, now time.Time, limit int) ([]Connector, error) {
	return query(ctx, q, `SELECT `+columns+` FROM sso_connectors WHERE status IN ('awaiting','pending')
		AND deadline <= $1 AND (lease_until IS NULL OR lease_until < $1) ORDER BY deadline LIMIT $2`,
		store.Micros(now), limit)
}

func query(ctx context.Context, q store.Querier, sqlText string, args ...any) ([]Connector, error) {
	rows, err := q.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	var out []Connector
	for rows.Next() {
		c, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

type scanner interface{ Scan(dest ...any) error }

func scan(row scanner) (Connector, error) {
	var c Connector
	var status, last string
	var created, updated int64
	var checked, deadline, next, verified store.NullTime
	err := row.Scan(&c.ID, &c.AccountID, &c.EmailDomain, &c.Enabled, &c.UseFedRAMP, &c.Code, &status,
		&c.Reason, &last, &checked, &deadline, &next, &verified, &c.Attempts, &c.Version, &created, &updated)
	if err != nil {
		return Connector{}, err
	}
	c.Status = Status(status)
	c.LastCheckedOn, c.Deadline, c.NextCheckAt, c.VerifiedOn = checked.T, deadline.T, next.T, verified.T
	c.CreatedOn, c.UpdatedOn = store.FromMicros(created), store.FromMicros(updated)
	c.lastResult = last
	return c, nil
}

// encodeResult is the last_result column: a new check's result, or the
// stored text unchanged.
func encodeResult(c Connector) (string, error) {
	if c.LastResult == nil {
		return c.lastResult, nil
	}
	b, err := json.Marshal(c.LastResult)
	return string(b), err
}
