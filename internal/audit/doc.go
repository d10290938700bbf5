// Package audit owns the audit log: who did what, when, from where, and
// whether it worked. Every state change and every authentication outcome is
// recorded through Record, inside the same transaction as the change it
// describes when there is one, so a change without its entry cannot be
// committed. The actor travels in the request context (WithActor), set once
// by the layer that authenticated the caller.
package audit
