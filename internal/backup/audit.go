package backup

import (
	"context"

	"github.com/ssogate/ssogate/internal/audit"
	"github.com/ssogate/ssogate/internal/store"
)

// adminActor is ssogate acting on an admin command run on the host.
var adminActor = audit.Actor{ID: "ssogate", Type: "system", Interface: "CLI"}

// accountIDs lists every account, for the audit entries of instance-wide
// operations (the audit log is per account).
func accountIDs(ctx context.Context, q store.Querier) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT id FROM accounts ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
