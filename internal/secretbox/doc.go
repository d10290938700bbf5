// Package secretbox encrypts secrets kept at rest in the database: IdP
// client secrets, Access signing keys, anything whose disclosure in a
// database dump or backup would let someone impersonate ssogate.
//
// A Box is AES-256-GCM with a fresh random 96-bit nonce per message. Sealed
// values are text, so they fit the portable TEXT columns of both engines:
//
//	sb1:<base64url(nonce | ciphertext | tag)>
//
// "sb1" names the format, so a later format can be told apart from this one
// and from plaintext that predates encryption.
//
// Every Seal and Open takes additional authenticated data (aad) naming the
// row the secret belongs to, for example "access_key:<kid>" or
// "idp:<id>:client_secret". The aad is not stored; it must be given again to
// Open, so a ciphertext copied from one row into another fails to open
// instead of quietly becoming that row's secret.
//
// The 32-byte key comes from the configuration (ParseKey: base64 in an
// environment variable or flag) or, for a single instance, from a key file
// in the data directory created on first start (LoadOrCreateKeyFile).
// Several instances sharing one PostgreSQL database must all be given the
// same key. Keys rotate minimally: NewWithOld opens with the current key or
// any old one and always seals with the current key, so re-sealing a value
// moves it to the new key.
package secretbox
