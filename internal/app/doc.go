// Package app wires ssogate together: configuration → storage (migrated),
// bootstrap, the domain services, the HTTP handler tree, the background
// verification worker, and graceful shutdown. Run is what `ssogate serve`
// calls; tests build the same tree with New and serve App.Handler through
// httptest, so there is no second wiring for tests.
package app
