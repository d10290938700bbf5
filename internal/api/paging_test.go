package api_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ssogate/ssogate/internal/api"
)

func TestPaging(t *testing.T) {
	// The message names the parameter, its bounds and the value refused.
	const (
		perPageMsg = "per_page must be a whole number from 5 to 50, "
		pageMsg    = "page must be a whole number "
	)
	tests := []struct {
		query   string
		want    api.Page
		wantErr string
	}{
		{"", api.Page{Number: 1, PerPage: 20}, ""},
		{"page=&per_page=", api.Page{Number: 1, PerPage: 20}, ""},
		{"page=3", api.Page{Number: 3, PerPage: 20}, ""},
		{"page=2&per_page=5", api.Page{Number: 2, PerPage: 5}, ""},
		{"per_page=50", api.Page{Number: 1, PerPage: 50}, ""},
		{"page=2.0", api.Page{Number: 2, PerPage: 20}, ""},
		{"page=2&per_page=25.0", api.Page{Number: 2, PerPage: 25}, ""},
		{"page=abc", api.Page{}, pageMsg + `not "abc"`},
		{"page=0", api.Page{}, pageMsg + `not "0"`},
		{"page=-1", api.Page{}, pageMsg + `not "-1"`},
		{"page=1.5", api.Page{}, pageMsg + `not "1.5"`},
		{"page=NaN", api.Page{}, pageMsg + `not "NaN"`},
		{"page=Inf", api.Page{}, pageMsg + `not "Inf"`},
		{"page=1e300", api.Page{}, pageMsg + `not "1e300"`},
		{"per_page=4", api.Page{}, perPageMsg + `not "4"`},
		{"per_page=51", api.Page{}, perPageMsg + `not "51"`},
		{"per_page=0", api.Page{}, perPageMsg + `not "0"`},
		{"per_page=-5", api.Page{}, perPageMsg + `not "-5"`},
		{"per_page=abc", api.Page{}, perPageMsg + `not "abc"`},
		{"per_page=5.5", api.Page{}, perPageMsg + `not "5.5"`},
		// A page so large that (page-1)*per_page overflows must not wrap
		// around to a small or negative offset (page 1 again: an endless
		// auto-pager); it is refused like any other out-of-range number.
		{"page=9223372036854775807", api.Page{}, pageMsg + `not "9223372036854775807"`},
		{"page=4611686018427387905", api.Page{}, pageMsg + `not "4611686018427387905"`},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			r := &api.Request{Request: httptest.NewRequest("GET", "/x?"+tc.query, nil)}
			got, err := r.Paging(20, 5, 50)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Paging(%q): %v", tc.query, err)
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("Paging(%q) (-want +got):\n%s", tc.query, diff)
				}
				if off := got.Offset(); off != (got.Number-1)*got.PerPage || off < 0 {
					t.Errorf("Offset() = %d", off)
				}
				return
			}
			var apiErr *api.Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("Paging(%q) = %+v, %v; want a 400 *api.Error", tc.query, got, err)
			}
			if apiErr.Status != http.StatusBadRequest || len(apiErr.Messages) != 1 || apiErr.Messages[0].Code != api.CodeValidation {
				t.Fatalf("error %+v, want one 400 1002 message", apiErr)
			}
			prefix, value, _ := strings.Cut(tc.wantErr, "not ")
			if msg := apiErr.Messages[0].Message; !strings.HasPrefix(msg, prefix) || !strings.HasSuffix(msg, "not "+value) {
				t.Errorf("message %q, want %q…%q", msg, prefix, "not "+value)
			}
		})
	}
}

func TestList(t *testing.T) {
	tests := []struct {
		name  string
		items []string
		page  api.Page
		total int
		want  api.ResultInfo
	}{
		{"first page", []string{"a", "b"}, api.Page{Number: 1, PerPage: 2}, 5, api.ResultInfo{Page: 1, PerPage: 2, Count: 2, TotalCount: 5, TotalPages: 3}},
		{"past the end", nil, api.Page{Number: 9, PerPage: 2}, 5, api.ResultInfo{Page: 9, PerPage: 2, Count: 0, TotalCount: 5, TotalPages: 3}},
		{"empty", nil, api.Page{Number: 1, PerPage: 20}, 0, api.ResultInfo{Page: 1, PerPage: 20}},
		{"per_page zero", nil, api.Page{Number: 1}, 0, api.ResultInfo{Page: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := api.List(tc.items, tc.page, tc.total)
			if diff := cmp.Diff(&tc.want, rep.ResultInfo); diff != "" {
				t.Errorf("result_info (-want +got):\n%s", diff)
			}
			if items, ok := rep.Result.([]string); !ok || items == nil {
				t.Errorf("result = %#v, want a non-nil []string (JSON [] not null)", rep.Result)
			}
		})
	}
}
