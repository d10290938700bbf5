// Package policy owns the Access decision: given an application's policies
// and what a login produced (Identity), Evaluate says allow, deny or bypass,
// which policy decided, and why. It is a pure function — no I/O, no clock,
// no shared state — so the proxy, the login flow, the App Launcher (which
// shows a tile only when Evaluate allows) and the dashboard all get the same
// answer, and every case is a table test. (Pomerium's authorize/evaluator
// and pkg/policy/criteria are the model: one criterion per file, each with
// its own table test.)
//
// # Wire shapes
//
// Policy and Rule encode exactly as Cloudflare's policy objects and rule
// objects (shared/reference/cloudflare-api.md §6), so the API layer stores
// and echoes them unchanged. A rule is an object with one key:
//
//	{"email":{"email":"a@example.com"}}    exact email
//	{"email_domain":{"domain":"example.com"}}
//	{"everyone":{}}
//	{"group":{"id":"engineering"}}         IdP group, by name (see below)
//	{"login_method":{"id":"<idp id>"}}     the IdP used to sign in
//	{"ip":{"ip":"192.0.2.0/24"}}           CIDR or one address, v4 or v6
//	{"service_token":{"token_id":"<id>"}}  that service token (its id, a UUID)
//	{"any_valid_service_token":{}}         any valid service token
//
// Any other rule (email_list, geo, oidc, …) is kept verbatim
// and round-trips, but is never evaluated: it counts as "could not be
// checked" (below) and the decision's reasons say "unsupported rule type".
// ValidateRules and ValidatePolicy reject such rules, and malformed ones,
// with an error naming the rule's position, for the API to answer 400.
//
// # Order of evaluation
//
// Cloudflare documents the order as: "Bypass and Service Auth policies are
// evaluated first, from top to bottom as shown in the UI. Then, Block and
// Allow policies are evaluated based on their order from top to bottom. …
// Once a user matches an Allow or Block policy, evaluation stops and no
// subsequent policies can override the decision."
// (developers.cloudflare.com/cloudflare-one/access-controls/policies/,
// "Cloudflare Access policy order of execution"). Earlier versions of that
// page instead warned that a Block did not end evaluation and a later Allow
// would let the user in.
//
// ssogate evaluates bypass policies first, then all deny (Block) policies,
// then allow policies, each group in ascending precedence, first match
// deciding. Putting every deny before every allow differs from Cloudflare
// only when a user matches both an allow policy and a deny policy ordered
// after it: Cloudflare lets them in, ssogate does not. We chose that on
// purpose: a Block policy always blocks wherever it sits, the answer fails
// closed, and it agrees with the App Launcher rule that a blocked user
// never sees the app (access-flow.md §9, items 19 and 37).
//
// Bypass is decided before anyone signs in, so it only looks at the request
// (everyone, ip); rules about the user in a bypass policy never match and
// ValidatePolicy rejects them. An identity without an email has not signed
// in: only bypass can apply to it, which is how the proxy asks "may this
// request skip the login?" with the same function. non_identity ("Service
// Auth") policies never apply to a login.
//
// # Service tokens
//
// EvaluateServiceToken decides for a request that presented a valid
// service token (the caller checked its secret): bypass first, then every
// deny policy, then non_identity policies, the first that matches
// admitting. Allow policies never admit a token (Cloudflare answers them
// with a login). Rules about a signed-in user are false for a token (it is
// nobody's login), so a deny policy for "everyone except our domain"
// blocks machines too unless it excludes any_valid_service_token — the
// same fail-closed stance as above; in Cloudflare, Service Auth policies
// are decided before Block ones. Service-token rules are refused in allow
// and bypass policies, where they could only mislead.
//
// # Matching
//
// A policy matches an identity when ANY include rule matches, NO exclude
// rule matches and ALL require rules match. A policy with no include rules
// matches no one (Cloudflare requires include). Comparisons:
//
//   - email: the whole address, case-insensitive for ASCII letters only.
//     Unicode case folding would make "\u212a" (Kelvin sign) equal "k", so
//     an address an IdP let someone register could pass for another.
//   - email_domain: the part after the @ of the signed-in email, equal to
//     the rule's domain, case-insensitive. Exact domain only — a rule for
//     example.com does not admit user@eu.example.com — because a subdomain
//     may be run by someone else (a customer's tenant, a mail host), and an
//     admin who wants it adds a second rule. An email without exactly one @
//     has no domain we trust (access-flow.md §7.3, GHSA-c5c4-8r6x-56w3) and
//     the rule cannot be checked.
//   - group: one of Identity.Groups equals the rule's group name,
//     case-insensitive (ASCII). Cloudflare's {"group":{"id":…}} names an
//     Access group (a saved rule set) by UUID; ssogate has no such objects
//     and matches the IdP's groups claim by name instead, reading "name" if
//     the rule has a non-empty one and "id" otherwise. A configuration
//     copied from Cloudflare with UUIDs there matches no one until the ids
//     are replaced by group names — it fails closed.
//   - login_method: Identity.IdPID equals the rule's id (ASCII case ignored).
//   - ip: Identity.IP (IPv4-mapped IPv6 unmapped) lies in the rule's prefix;
//     host bits in the rule are ignored.
//
// # Rules that cannot be checked
//
// An unsupported or malformed rule, or a rule about a fact the identity
// lacks (no IP, no login method, an email without exactly one @), is
// neither true nor false. Treating it as "never matches" would fail open
// in exclude (the user is not excluded) and in a deny policy's require (the
// block does not apply). So the evaluator uses three-valued logic and
// settles the unknown against the policy's own decision: an allow or
// bypass policy applies only if it matches whatever the unknown rules say;
// a deny policy applies unless it fails whatever they say.
//
// # Reasons
//
// Every decision carries reasons: the policy (id and name), the section and
// position of the rule, whether it matched, and a message meant for the
// person decided about, safe on a deny page. Messages describe that
// person's own email, domain, groups and address and never what a policy
// lists — "your email address is not on the list", not the list; "you are
// not a member of a listed group", not the group; "your IP address
// 198.51.100.7 is not in a listed range", not the ranges. The exception is
// email_domain's domain ("your email domain is not example.com"), which
// tells the user what to do and is nobody's secret. A default deny lists
// why each allow policy did not match, then "no policy allows you"; deny
// and bypass policies that did not match add nothing, so the page does not
// reveal what a block list or a bypass looks for.
package policy
