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
		group("access", "Access through the API: organization, identity providers, applications, policies, service tokens, keys",
			group("org", "the Access organization",
				leaf(env, leafSpec{use: "get", short: "show the Access organization", setup: setupOrgGet}),
				leaf(env, leafSpec{use: "set", short: "change (on ssogate: create) the Access organization", long: orgSetLong, setup: setupOrgSet}),
			),
			group("idp", "identity providers",
				leaf(env, leafSpec{use: "list", short: "list the identity providers", setup: setupIdPList}),
				leaf(env, leafSpec{use: "add-oidc", short: "add an OpenID Connect identity provider", long: idpAddOIDCLong, setup: setupIdPAddOIDC}),
				leaf(env, leafSpec{use: "add-saml", short: "add a SAML identity provider", long: idpAddSAMLLong, setup: setupIdPAddSAML}),
				leaf(env, leafSpec{use: "delete ID", short: "delete an identity provider", setup: setupIdPDelete}),
			),
			group("app", "applications",
				leaf(env, leafSpec{use: "list", short: "list the Access applications", setup: setupAppList}),
				leaf(env, leafSpec{use: "add", short: "add a self-hosted application: --name --domain [--policy ID]…", long: appAddLong, setup: setupAppAdd}),
				leaf(env, leafSpec{use: "delete ID", short: "delete an application", setup: setupAppDelete}),
			),
			group("policy", "reusable policies",
				leaf(env, leafSpec{use: "list", short: "list the reusable Access policies", setup: setupPolicyList}),
				leaf(env, leafSpec{use: "add", short: "add a reusable policy: --name --decision --include RULE…", long: policyAddLong, setup: setupPolicyAdd}),
				leaf(env, leafSpec{use: "delete ID", short: "delete a reusable policy", setup: setupPolicyDelete}),
			),
			group("service-token", "service tokens for machines (CI jobs, scripts)",
				leaf(env, leafSpec{use: "list", short: "list the service tokens", setup: setupServiceTokenList}),
				leaf(env, leafSpec{use: "create", short: "create a service token: --name [--duration 8760h|forever]; secret shown once", long: serviceTokenCreateLong, setup: setupServiceTokenCreate}),
				leaf(env, leafSpec{use: "rotate ID", short: "a new client secret, shown once; the old one stops working", setup: setupServiceTokenRotate}),
				leaf(env, leafSpec{use: "refresh ID", short: "restart a service token's duration from now", setup: setupServiceTokenRefresh}),
				leaf(env, leafSpec{use: "delete ID", short: "delete a service token", setup: setupServiceTokenDelete}),
			),
			group("keys", "the Access signing keys",
				leaf(env, leafSpec{use: "rotate", short: "rotate the Access signing key now", setup: setupKeysRotate}),
			),
		),
	}
}
