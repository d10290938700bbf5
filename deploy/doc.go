// Package deploy holds what ssogate ships to run it — the container image
// (Dockerfile), the systemd unit and the example configuration file — and
// the tests that check them offline: the Dockerfile's own build line must
// produce a static binary that serves and answers the image's health check,
// and the unit must pass systemd-analyze. The machine the tests run on has
// no Docker engine and no systemd as PID 1, so these are the checks that can
// run there. There is no Go code to import.
package deploy
