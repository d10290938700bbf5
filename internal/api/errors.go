package api

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/ssogate/ssogate/internal/store"
)

// Cloudflare's error codes that clients and scripts recognise (cloudflare-api.md §10),
// plus ssogate's own for cases Cloudflare does not document.
const (
	CodeInvalidToken    = 1000  // unknown, disabled or expired token
	CodeAccountToken    = 1001  // operation not available to account-owned tokens
	CodeValidation      = 1002  // a field of the request is invalid
	CodeNotFound        = 1003  // the object does not exist (in this account)
	CodeConflict        = 1004  // a uniqueness rule refused the change
	CodeInvalidHeaders  = 6003  // malformed authentication headers
	CodeMalformedJSON   = 6007  // the body is not the JSON we expect
	CodeBadAuthHeader   = 6111  // Authorization is not "Bearer <token>"
	CodeNoRoute         = 7000  // no route for that URI
	CodeNoRouteID       = 7003  // could not route: identifier invalid
	CodeMethod          = 10405 // method not allowed on this route
	CodeMissingAuth     = 9106  // no credentials at all
	CodeIPRestricted    = 9109  // token used from a client IP its condition refuses
	CodeForbidden       = 10000 // authenticated, but not allowed
	CodeInternal        = 10001 // something broke on our side
	CodeRateLimited     = 971   // too many requests
	CodeBodyTooLarge    = 10413 // body over the limit
	CodeUnsupportedType = 10415 // body in a format we do not read
	CodeUnavailable     = 10503 // the database is unavailable; retry
)

// Error is the one error type handlers return for a client-visible failure:
// Status and Messages go to the client, Cause only to the log.
type Error struct {
	Status   int
	Messages []Message
	Cause    error
	// RetryAfter, when set (429, 503), becomes the Retry-After header.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	msg := ""
	if len(e.Messages) > 0 {
		msg = e.Messages[0].Message
	}
	if e.Cause != nil {
		return fmt.Sprintf("%d %s: %v", e.Status, msg, e.Cause)
	}
	return fmt.Sprintf("%d %s", e.Status, msg)
}

func (e *Error) Unwrap() error { return e.Cause }

// Errorf builds an Error with one message.
func Errorf(status, code int, format string, args ...any) *Error {
	return &Error{Status: status, Messages: []Message{{Code: code, Message: fmt.Sprintf(format, args...)}}}
}

// Invalid is a 400 about one request field; pointer is a JSON pointer such
// as "/email_domain" (empty when the problem is the whole request).
func Invalid(pointer, format string, args ...any) *Error {
	e := Errorf(http.StatusBadRequest, CodeValidation, format, args...)
	if pointer != "" {
		e.Messages[0].Source = &Source{Pointer: pointer}
	}
	return e
}

// NotFound is a 404 naming what was looked for.
func NotFound(format string, args ...any) *Error {
	return Errorf(http.StatusNotFound, CodeNotFound, format, args...)
}

// Forbidden is Cloudflare's 403 "Authentication error", with a chained hint.
func Forbidden(hint string) *Error {
	e := Errorf(http.StatusForbidden, CodeForbidden, "Authentication error")
	if hint != "" {
		e.Messages[0].ErrorChain = []Message{{Code: CodeForbidden, Message: hint}}
	}
	return e
}

// InvalidToken is Cloudflare's 401 "Invalid API Token", with a chained hint
// when the caller proved it holds the secret (disabled, expired tokens).
func InvalidToken(hint string) *Error {
	e := Errorf(http.StatusUnauthorized, CodeInvalidToken, "Invalid API Token")
	if hint != "" {
		e.Messages[0].ErrorChain = []Message{{Code: CodeInvalidToken, Message: hint}}
	}
	return e
}

// Outages is told of each request refused because the database is
// unavailable; it logs them without a line per request and says how long
// the client should wait. *store.DB implements it.
type Outages interface {
	Unavailable(log *slog.Logger, err error) (retryAfter time.Duration)
}

// SetOutages makes the router report refusals to o; without it every
// refusal is logged and clients are told to retry after a second.
func (rt *Router) SetOutages(o Outages) { rt.outages = o }

// Unavailable is a 503 for a request that may succeed if retried: the SDKs
// retry it (X-Should-Retry: true) after Retry-After.
func Unavailable(retryAfter time.Duration) *Error {
	e := Errorf(http.StatusServiceUnavailable, CodeUnavailable,
		"Service temporarily unavailable: ssogate cannot reach its database; retry shortly")
	e.RetryAfter = retryAfter
	return e
}

// RetryAfterValue is d as a Retry-After header: whole seconds, rounded up.
func RetryAfterValue(d time.Duration) string { return strconv.Itoa(int(d.Seconds() + 0.999)) }

// writeError is the one place a handler's error becomes an HTTP response.
// Store sentinels and unavailable databases are mapped for handlers that
// pass them through; anything else is a bare 500 whose cause is logged,
// never shown.
func (rt *Router) writeError(w http.ResponseWriter, r *http.Request, err error) {
	apiErr := rt.toAPIError(r, err)
	level := slog.LevelInfo
	switch {
	case apiErr.Status == http.StatusServiceUnavailable && rt.outages != nil && store.IsUnavailable(apiErr.Cause):
		level = slog.LevelDebug // rt.outages logged it, without a line per request
	case apiErr.Status >= 500:
		level = slog.LevelError
	}
	rt.log.Log(r.Context(), level, "api error", "request_id", RequestID(r.Context()), "method", r.Method,
		"path", r.URL.Path, "status", apiErr.Status, "error", apiErr.Error())
	switch {
	case apiErr.Status == http.StatusInternalServerError:
		// A bug does not heal by retrying; only outages (503) are worth the SDK's ten retries.
		w.Header().Set("X-Should-Retry", "false")
	case apiErr.Status == http.StatusServiceUnavailable:
		w.Header().Set("X-Should-Retry", "true")
	}
	if apiErr.RetryAfter > 0 {
		w.Header().Set("Retry-After", RetryAfterValue(apiErr.RetryAfter))
	}
	msgs := apiErr.Messages
	if len(msgs) == 0 {
		msgs = []Message{{Code: CodeInternal, Message: http.StatusText(apiErr.Status)}}
	}
	writeJSON(w, apiErr.Status, envelope{Success: false, Errors: msgs, Messages: []Message{}})
}

// toAPIError maps err onto the Error the client sees. A refusal for an
// unavailable database is reported to rt.outages, which logs it and says
// when to retry.
func (rt *Router) toAPIError(r *http.Request, err error) *Error {
	var apiErr *Error
	switch {
	case errors.As(err, &apiErr):
		return apiErr
	case errors.Is(err, store.ErrNotFound):
		return NotFound("The object was not found")
	case errors.Is(err, store.ErrConflict):
		return Errorf(http.StatusBadRequest, CodeConflict, "The change conflicts with an existing object")
	case errors.Is(err, r.Context().Err()) && r.Context().Err() != nil:
		return Errorf(499, CodeInternal, "Request cancelled")
	case store.IsUnavailable(err):
		apiErr = Unavailable(time.Second)
		apiErr.Cause = err
		if rt.outages != nil {
			apiErr.RetryAfter = rt.outages.Unavailable(rt.log, err)
		}
		return apiErr
	}
	apiErr = Errorf(http.StatusInternalServerError, CodeInternal, "Internal error; the request id is %s", RequestID(r.Context()))
	apiErr.Cause = err
	return apiErr
}
