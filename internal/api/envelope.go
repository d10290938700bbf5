package api

import (
	"encoding/json"
	"net/http"
)

// Message is an item of the envelope's errors or messages arrays.
type Message struct {
	Code       int       `json:"code"`
	Message    string    `json:"message"`
	ErrorChain []Message `json:"error_chain,omitempty"`
	Source     *Source   `json:"source,omitempty"`
}

// Source points at the request field a message is about.
type Source struct {
	Pointer string `json:"pointer"`
}

// ResultInfo describes one page of a list.
type ResultInfo struct {
	Page       int `json:"page"`
	PerPage    int `json:"per_page"`
	Count      int `json:"count"`
	TotalCount int `json:"total_count"`
	TotalPages int `json:"total_pages"`
}

// envelope is the v4 response body. Result is a pointer-free any so that a
// nil result is written as null (and omitted for begin_verification-style
// responses through omitResult).
type envelope struct {
	Success    bool        `json:"success"`
	Errors     []Message   `json:"errors"`
	Messages   []Message   `json:"messages"`
	Result     any         `json:"result"`
	ResultInfo *ResultInfo `json:"result_info,omitempty"`
}

type envelopeNoResult struct {
	Success  bool      `json:"success"`
	Errors   []Message `json:"errors"`
	Messages []Message `json:"messages"`
}

// Reply is what a handler returns on success. Handlers may also return a
// bare value, which becomes Reply{Result: value}.
type Reply struct {
	Status     int // default 200
	Result     any
	ResultInfo *ResultInfo
	Messages   []Message
	// NoResult omits the result key: begin_verification answers that way.
	NoResult bool
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	buf, err := json.Marshal(body)
	if err != nil {
		status = http.StatusInternalServerError
		buf = []byte(`{"success":false,"errors":[{"code":10001,"message":"Internal error"}],"messages":[],"result":null}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(buf)
}

func writeReply(w http.ResponseWriter, rep Reply) {
	status := rep.Status
	if status == 0 {
		status = http.StatusOK
	}
	msgs := rep.Messages
	if msgs == nil {
		msgs = []Message{}
	}
	if rep.NoResult {
		writeJSON(w, status, envelopeNoResult{Success: true, Errors: []Message{}, Messages: msgs})
		return
	}
	writeJSON(w, status, envelope{Success: true, Errors: []Message{}, Messages: msgs,
		Result: rep.Result, ResultInfo: rep.ResultInfo})
}
