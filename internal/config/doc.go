// Package config is ssogate's one typed configuration: every setting has a
// flag and an SSOGATE_* environment twin mapped onto the same struct field,
// validation reports every problem at once, and String prints it with
// secrets redacted (ssogate config check).
package config
