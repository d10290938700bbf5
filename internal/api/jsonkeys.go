package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// jsonFrame is an object or array being walked by checkDuplicateKeys.
type jsonFrame struct {
	pointer string          // JSON pointer of this value
	keys    map[string]bool // keys seen so far; nil for an array
	wantKey bool            // an object's next token is a key (or its end)
	key     string          // the member being read, in an object
	index   int             // the element being read, in an array
}

// checkDuplicateKeys refuses an object that has the same key twice, at any
// depth. encoding/json keeps the last one silently, so what ssogate stored
// would depend on which of the two a client, proxy or log reader looked
// at. body must already be valid JSON: Decode checks it first.
func checkDuplicateKeys(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	var stack []*jsonFrame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return decodeError(err)
		}
		var top *jsonFrame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.keys != nil && top.wantKey {
			if key, ok := tok.(string); ok {
				if top.keys[key] {
					return duplicateKey(top.pointer, key)
				}
				top.keys[key], top.key, top.wantKey = true, key, false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &jsonFrame{pointer: childPointer(top), keys: map[string]bool{}, wantKey: true})
			continue
		case json.Delim('['):
			stack = append(stack, &jsonFrame{pointer: childPointer(top)})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			top = nil
			if len(stack) > 0 {
				top = stack[len(stack)-1]
			}
		}
		valueDone(top)
	}
}

// childPointer is the JSON pointer of the value top is reading.
func childPointer(top *jsonFrame) string {
	switch {
	case top == nil:
		return ""
	case top.keys != nil:
		return top.pointer + "/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(top.key)
	default:
		return top.pointer + "/" + strconv.Itoa(top.index)
	}
}

// valueDone moves the enclosing object or array past the value just read.
func valueDone(top *jsonFrame) {
	switch {
	case top == nil:
	case top.keys != nil:
		top.wantKey = true
	default:
		top.index++
	}
}

func duplicateKey(pointer, key string) *Error {
	where := "the body"
	if pointer != "" {
		where = pointer
	}
	e := Errorf(http.StatusBadRequest, CodeMalformedJSON, "Malformed JSON in request body: key %q appears twice in %s", key, where)
	e.Messages[0].Source = &Source{Pointer: childPointer(&jsonFrame{pointer: pointer, keys: map[string]bool{}, key: key})}
	return e
}
