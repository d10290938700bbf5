package browser

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
)

// MaxForm is the largest request body ssogate's pages read. The largest
// forms are a pasted certificate (dashboard) and a SAML response posted by
// an identity provider (team domain), tens of KB; the limit leaves ample
// room for both.
const MaxForm = 512 << 10

// HSTS is the Strict-Transport-Security value of every ssogate page served
// over https.
const HSTS = "max-age=31536000"

// Refusal is why ReadForm refused a request, for the caller's error page.
type Refusal struct {
	Status         int
	Title, Message string
}

func (r *Refusal) Error() string { return r.Title + ": " + r.Message }

// ReadForm caps r's body at MaxForm and, for methods that carry a form,
// parses it now, so handlers find r.PostForm filled and nothing can read
// past the cap later. A multipart body is refused before a byte of it is
// read: no form of ssogate needs one, and parsing one spools file parts
// to disk. It returns nil when the request may proceed.
func ReadForm(w http.ResponseWriter, r *http.Request) *Refusal {
	if r.ContentLength > MaxForm {
		return tooLarge()
	}
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = http.MaxBytesReader(w, r.Body, MaxForm)
	}
	if r.Method != http.MethodPost && r.Method != http.MethodPut && r.Method != http.MethodPatch {
		return nil
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); strings.HasPrefix(mt, "multipart/") {
		return &Refusal{Status: http.StatusUnsupportedMediaType, Title: "Form not read",
			Message: "ssogate reads forms sent as application/x-www-form-urlencoded, as its pages send them, not " + mt + ". Nothing was changed."}
	}
	err := r.ParseForm()
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return tooLarge()
	case err != nil:
		return &Refusal{Status: http.StatusBadRequest, Title: "Form not read",
			Message: "The form could not be read, so nothing was changed. Reload the page and try again."}
	}
	return nil
}

func tooLarge() *Refusal {
	return &Refusal{Status: http.StatusRequestEntityTooLarge, Title: "Form too large",
		Message: fmt.Sprintf("This request sent more than %d KB, more than any form of ssogate needs, so it was not read and nothing was changed.", MaxForm>>10)}
}
