package cli

import "github.com/spf13/cobra"

// resourceCommands are the API clients for the rest of the API: members,
// the audit log and Access. Like sso, each prints a table or block for
// people and the API's own JSON with --json, and checks its arguments and
// ids before any request; the token commands sit with token verify.
func resourceCommands(env *Env) []*cobra.Command {
	return []*cobra.Command{
		group("member", "account members through the API",
			leaf(env, leafSpec{use: "list", short: "list the account's members", setup: setupMemberList}),
			leaf(env, leafSpec{use: "add EMAIL", short: "add a member with --role NAME", long: memberAddLong, setup: setupMemberAdd}),
			leaf(env, leafSpec{use: "remove ID", short: "remove a member (its id, from member list)", setup: setupMemberRemove}),
		),
		group("audit", "the account's audit log through the API",
			leaf(env, leafSpec{use: "list", short: "list audit log entries (--since, --action, --actor-email…)", long: auditListLong, setup: setupAuditList}),
		),
	}
}
