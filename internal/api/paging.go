package api

import (
	"net/http"
	"strconv"
)

// Page is a parsed page/per_page pair.
type Page struct {
	Number  int
	PerPage int
}

// Offset is the number of items before the page.
func (p Page) Offset() int { return (p.Number - 1) * p.PerPage }

// maxPage keeps (page-1)*per_page far from overflowing.
const maxPage = 1_000_000

// Paging parses page and per_page (defaults 1 and def, per_page within
// [min,max]). Out-of-range numbers are a 400 that says the bounds, never a
// silent clamp that would make an auto-pager loop.
func (r *Request) Paging(def, min, max int) (Page, error) {
	p := Page{Number: 1, PerPage: def}
	q := r.URL.Query()
	if v := q.Get("page"); v != "" {
		n, err := parseCount(v)
		if err != nil || n < 1 || n > maxPage {
			return p, Invalid("", "page must be a whole number from 1 to %d, not %q", maxPage, v)
		}
		p.Number = n
	}
	if v := q.Get("per_page"); v != "" {
		n, err := parseCount(v)
		if err != nil || n < min || n > max {
			return p, Invalid("", "per_page must be a whole number from %d to %d, not %q", min, max, v)
		}
		p.PerPage = n
	}
	return p, nil
}

// parseCount accepts "2" and, leniently, "2.0" (some clients format numbers
// as floats).
func parseCount(v string) (int, error) {
	if n, err := strconv.Atoi(v); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f != float64(int(f)) || f > 1e9 {
		return 0, strconv.ErrSyntax
	}
	return int(f), nil
}

// List builds the reply for one page of items out of total.
func List[T any](items []T, page Page, total int) Reply {
	if items == nil {
		items = []T{}
	}
	pages := 0
	if page.PerPage > 0 {
		pages = (total + page.PerPage - 1) / page.PerPage
	}
	return Reply{Result: items, ResultInfo: &ResultInfo{Page: page.Number, PerPage: page.PerPage,
		Count: len(items), TotalCount: total, TotalPages: pages}}
}

// Created is the status of the creates Cloudflare documents as 201 (Access objects).
const Created = http.StatusCreated
