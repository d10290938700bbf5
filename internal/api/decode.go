package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"
)

// MaxBody is the largest request body read.
const MaxBody = 1 << 20

// Decode reads the JSON body into dst. Unknown keys are ignored, as
// Cloudflare does, so newer clients keep working. Everything encoding/json
// would quietly repair or pick among is refused instead, so what is stored
// is what the client meant: a body that is not declared application/json
// (Cloudflare refuses those too; curl -d sends a form type), a compressed
// one, null, invalid UTF-8 or lone surrogates (decoded as U+FFFD) and
// duplicate keys (the last would win). A missing body is an error unless
// optional is true (then dst is left unchanged and no Content-Type is
// needed).
func (r *Request) Decode(dst any, optional bool) error {
	body := r.body
	if !r.read { // a Request the router did not build (tests)
		var err error
		if body, err = readBody(nil, r.Body); err != nil {
			return err
		}
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		if optional {
			return nil
		}
		return Errorf(http.StatusBadRequest, CodeMalformedJSON, "Malformed JSON in request body: the body is empty; send a JSON object (curl --json '{...}')")
	}
	if err := checkJSONHeaders(r.Header); err != nil {
		return err
	}
	if err := checkText(body); err != nil {
		return err
	}
	if bytes.Equal(trimmed, []byte("null")) {
		return Errorf(http.StatusBadRequest, CodeMalformedJSON, "Malformed JSON in request body: the body is null; send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	// Token, not More: More says false for a stray "}" or "]".
	if _, err := dec.Token(); err != io.EOF {
		return Errorf(http.StatusBadRequest, CodeMalformedJSON, "Malformed JSON in request body: unexpected data after the JSON object")
	}
	return checkDuplicateKeys(body)
}

// readBody reads a whole body of at most MaxBody bytes. w, when set, is
// told to close the connection after an oversized body.
func readBody(w http.ResponseWriter, body io.ReadCloser) ([]byte, error) {
	if body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, body, MaxBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, Errorf(http.StatusRequestEntityTooLarge, CodeBodyTooLarge, "Request body is larger than %d bytes", MaxBody)
	case err != nil:
		return nil, Errorf(http.StatusBadRequest, CodeMalformedJSON, "Could not read the request body: %v", err)
	}
	return b, nil
}

// checkJSONHeaders accepts an uncompressed body declared as JSON in UTF-8
// (the only charset JSON has, RFC 8259 §8.1).
func checkJSONHeaders(h http.Header) error {
	if ce := h.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		return Errorf(http.StatusUnsupportedMediaType, CodeUnsupportedType,
			"Content-Encoding %q is not supported: send the body uncompressed", ce)
	}
	ct := h.Get("Content-Type")
	if ct == "" {
		return Errorf(http.StatusUnsupportedMediaType, CodeUnsupportedType,
			"The request has a body but no Content-Type: send it as JSON with Content-Type: application/json (curl --json '{...}')")
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return Errorf(http.StatusUnsupportedMediaType, CodeUnsupportedType,
			"Send the body as JSON with Content-Type: application/json, not %s (curl --json '{...}')", ct)
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return Errorf(http.StatusUnsupportedMediaType, CodeUnsupportedType,
			"Send the body in UTF-8 (Content-Type: application/json; charset=utf-8), not %s", cs)
	}
	return nil
}

// checkText refuses bytes that are not UTF-8 and \u escapes that are not
// characters: encoding/json turns both into U+FFFD without a word.
func checkText(body []byte) error {
	if at := invalidUTF8(body); at >= 0 {
		return Errorf(http.StatusBadRequest, CodeMalformedJSON, "Malformed JSON in request body: it is not valid UTF-8 (at byte %d)", at)
	}
	if at := loneSurrogate(body); at >= 0 {
		return Errorf(http.StatusBadRequest, CodeMalformedJSON,
			"Malformed JSON in request body: the \\u escape at byte %d is half of a surrogate pair, not a character", at)
	}
	return nil
}

// invalidUTF8 returns the offset of the first byte that is not UTF-8, or -1.
func invalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}

// loneSurrogate returns the offset of the first \uD800–\uDFFF escape that
// is not a high surrogate followed by a low one, or -1. Escapes occur only
// inside strings, so looking at backslashes is enough; any other escape,
// "\\" included, is stepped over whole.
func loneSurrogate(b []byte) int {
	for i := 0; i+1 < len(b); i++ {
		if b[i] != '\\' {
			continue
		}
		if b[i+1] != 'u' {
			i++
			continue
		}
		u, _ := hex4(b, i+2)
		if u < 0xD800 || u > 0xDFFF {
			i += 5
			continue
		}
		if lo, ok := hex4(b, i+8); u <= 0xDBFF && ok && b[i+6] == '\\' && b[i+7] == 'u' && lo >= 0xDC00 && lo <= 0xDFFF {
			i += 11
			continue
		}
		return i
	}
	return -1
}

func hex4(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	var v rune
	for _, c := range b[at : at+4] {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			v = v<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return v, true
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
