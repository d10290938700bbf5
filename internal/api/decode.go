package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// MaxBody is the largest request body read.
const MaxBody = 1 << 20

// Decode reads the JSON body into dst. Unknown keys are ignored, as
// Cloudflare does, so newer clients keep working; the content type is not
// insisted on because curl -d sends form types with JSON bodies. A missing
// body is an error unless optional is true (then dst is left unchanged).
func (r *Request) Decode(dst any, optional bool) error {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return Errorf(http.StatusRequestEntityTooLarge, CodeBodyTooLarge, "Request body is larger than %d bytes", MaxBody)
		}
		return Errorf(http.StatusBadRequest, CodeMalformedJSON, "Could not read the request body: %v", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if optional {
			return nil
		}
		return Errorf(http.StatusBadRequest, CodeMalformedJSON, "Malformed JSON in request body: the body is empty; send a JSON object (curl --json '{...}')")
	}
	if ct := r.Header.Get("Content-Type"); strings.HasPrefix(ct, "multipart/") {
		return Errorf(http.StatusUnsupportedMediaType, CodeUnsupportedType, "Send the body as JSON with Content-Type: application/json, not %s", ct)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	// Token, not More: More says false for a stray "}" or "]".
	if _, err := dec.Token(); err != io.EOF {
		return Errorf(http.StatusBadRequest, CodeMalformedJSON, "Malformed JSON in request body: unexpected data after the JSON object")
	}
	return nil
}

func decodeError(err error) *Error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		e := Errorf(http.StatusBadRequest, CodeMalformedJSON,
			"Malformed JSON in request body: %s must be %s, not %s", quoteField(field), jsonKind(typeErr.Type.Kind().String()), typeErr.Value)
		if field != "" {
			e.Messages[0].Source = &Source{Pointer: "/" + strings.ReplaceAll(field, ".", "/")}
		}
		return e
	case errors.As(err, &syntaxErr):
		return Errorf(http.StatusBadRequest, CodeMalformedJSON, "Malformed JSON in request body: %v (at byte %d)", syntaxErr, syntaxErr.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return Errorf(http.StatusBadRequest, CodeMalformedJSON, "Malformed JSON in request body: it ends early")
	default:
		return Errorf(http.StatusBadRequest, CodeMalformedJSON, "Malformed JSON in request body: %v", err)
	}
}

func quoteField(f string) string {
	if f == "" {
		return "the body"
	}
	return fmt.Sprintf("%q", f)
}

func jsonKind(goKind string) string {
	switch goKind {
	case "bool":
		return "true or false"
	case "string":
		return "a string"
	case "slice", "array":
		return "an array"
	case "struct", "map", "ptr":
		return "an object"
	default:
		return "a number"
	}
}
