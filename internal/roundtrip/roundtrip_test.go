package roundtrip_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ssogate/ssogate/internal/apptest"
)

// resource describes one writable resource for the suite. Paths are
// relative to /accounts/{account_id}; bodies are JSON objects in which
// {{name}} is replaced by a fixture value (ids, certificates).
type resource struct {
	name string
	// collection is where it is created (POST) and listed; singleton
	// resources (organization, key configuration) are written with PUT
	// at collection and read there, with no id.
	collection string
	singleton  bool
	// created is the create's status (default 201; tokens, connectors and
	// members answer 200, as Cloudflare's do).
	created int
	// setup runs before the bodies are expanded (creates what they name).
	setup func(t *testing.T, f *fixture)
	// minimal and full bodies; each is created, read and compared.
	minimal, full string
	// update changes one field of the full object (PUT, or patch when set).
	update string
	patch  bool
	// always lists, by dotted path, the fields returned although not sent,
	// with why: Cloudflare returns them too, or they are server-made.
	always map[string]string
	// writeOnly are dotted paths sent but never returned (secrets).
	writeOnly []string
	// createOnly are returned by the create only (a token's value).
	createOnly []string
	// touched change on every write (updated_at…).
	touched []string
	// normalised compares a sent value with the returned one where the
	// documented normalisation applies (policy ids come back as objects).
	normalised map[string]func(t *testing.T, f *fixture, sent, got any)
	// cleanup undoes a created object when the next needs its place
	// (singletons, unique domains); default: DELETE collection/id.
	cleanup func(t *testing.T, f *fixture, id string)
}

type fixture struct {
	*apptest.Env
	vars map[string]string
}

func (f *fixture) path(p string) string { return "/accounts/" + f.AccountID + p }

func (f *fixture) expand(t *testing.T, body string) map[string]any {
	t.Helper()
	for k, v := range f.vars {
		body = strings.ReplaceAll(body, "{{"+k+"}}", v)
	}
	if strings.Contains(body, "{{") {
		t.Fatalf("unexpanded placeholder in %s", body)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	return m
}

// call sends a request and returns the envelope's result object.
func (f *fixture) call(t *testing.T, method, path string, body any, status int) map[string]any {
	t.Helper()
	r := f.Do(method, f.path(path), f.Token, body)
	if r.Status != status {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, r.Status, status, r.Body)
	}
	res, ok := r.JSON(t)["result"].(map[string]any)
	if !ok {
		t.Fatalf("%s %s: result is not an object: %s", method, path, r.Body)
	}
	return res
}

// roundTrip runs the suite's checks on one resource.
func roundTrip(t *testing.T, f *fixture, rs resource) {
	if rs.setup != nil {
		rs.setup(t, f)
	}
	for k, v := range f.vars {
		rs.collection = strings.ReplaceAll(rs.collection, "{{"+k+"}}", v)
	}
	if rs.created == 0 {
		rs.created = 201
	}
	var last map[string]any
	var lastID string
	for _, size := range []struct{ name, body string }{{"minimal", rs.minimal}, {"full", rs.full}} {
		t.Run(size.name, func(t *testing.T) {
			sent := f.expand(t, size.body)
			var got map[string]any
			if rs.singleton {
				got = f.call(t, "PUT", rs.collection, sent, 200)
			} else {
				got = f.call(t, "POST", rs.collection, sent, rs.created)
			}
			compare(t, f, rs, sent, got)
			for _, k := range rs.createOnly {
				delete(got, k)
			}
			id, _ := got["id"].(string)
			read := rs.collection
			if !rs.singleton {
				read += "/" + id
			}
			if diff := cmp.Diff(got, f.call(t, "GET", read, nil, 200)); diff != "" {
				t.Errorf("GET differs from the write's answer (-write +get):\n%s", diff)
			}
			if !rs.singleton {
				listed(t, f, rs.collection, got)
			}
			if size.name == "minimal" && rs.cleanup != nil {
				rs.cleanup(t, f, id)
			} else if size.name == "minimal" && !rs.singleton {
				f.call(t, "DELETE", read, nil, 200)
			}
			last, lastID = got, id
		})
	}
	if rs.update == "" || last == nil {
		return
	}
	t.Run("update one field", func(t *testing.T) {
		change := f.expand(t, rs.update)
		path, method := rs.collection, "PUT"
		if !rs.singleton {
			path += "/" + lastID
		}
		if rs.patch {
			method = "PATCH"
		}
		got := f.call(t, method, path, change, 200)
		for k, v := range got {
			if _, changed := change[k]; changed || slices.Contains(rs.touched, k) {
				continue
			}
			if !cmp.Equal(last[k], v) {
				t.Errorf("updating %v changed %s: %v -> %v", keysOf(change), k, last[k], v)
			}
		}
		for k := range last {
			if _, ok := got[k]; !ok {
				t.Errorf("updating %v removed %s", keysOf(change), k)
			}
		}
		compareAt(t, f, rs, "", change, got, true, false)
	})
}

// compare checks got against what was sent: every sent field equal (or
// normalised as documented), write-only ones absent, and nothing returned
// that was not sent unless the always table says why.
func compare(t *testing.T, f *fixture, rs resource, sent, got map[string]any) {
	t.Helper()
	compareAt(t, f, rs, "", sent, got, true, true)
}

// compareAt compares at one level; unsent says whether fields not sent
// are checked against the always table (not after an update, which
// returns the fields set before).
func compareAt(t *testing.T, f *fixture, rs resource, prefix string, sent, got map[string]any, top, unsent bool) {
	t.Helper()
	for k, v := range sent {
		p := prefix + k
		g, ok := got[k]
		switch {
		case slices.Contains(rs.writeOnly, p):
			if ok {
				t.Errorf("write-only %s came back: %v", p, g)
			}
		case rs.normalised[p] != nil:
			rs.normalised[p](t, f, v, g)
		case !ok:
			if _, why := rs.always[p]; !why || !top {
				t.Errorf("%s was sent (%v) and did not come back", p, v)
			}
		default:
			if sm, isMap := v.(map[string]any); isMap {
				gm, _ := g.(map[string]any)
				compareAt(t, f, rs, p+".", sm, gm, false, unsent)
				continue
			}
			if !cmp.Equal(v, g) {
				t.Errorf("%s: sent %v, got %v", p, v, g)
			}
		}
	}
	for k, g := range got {
		if _, wasSent := sent[k]; wasSent || !unsent {
			continue
		}
		p := prefix + k
		if _, ok := rs.always[p]; !ok && !slices.Contains(rs.createOnly, p) {
			t.Errorf("%s = %v was not sent; stop returning it, or add it to %s's always table with Cloudflare's reason", p, g, rs.name)
		}
	}
}

// listed finds want in the collection's list, equal to the GET.
func listed(t *testing.T, f *fixture, collection string, want map[string]any) {
	t.Helper()
	r := f.Do("GET", f.path(collection)+"?per_page=50", f.Token, nil)
	items, _ := r.JSON(t)["result"].([]any)
	for _, it := range items {
		if m, _ := it.(map[string]any); m["id"] == want["id"] {
			if diff := cmp.Diff(want, m); diff != "" {
				t.Errorf("list item differs from GET (-get +list):\n%s", diff)
			}
			return
		}
	}
	t.Errorf("%v is not in the list of %s: %s", want["id"], collection, r.Body)
}

func keysOf(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// jsonFields lists the JSON names of a struct's fields, embedded structs
// flattened and nested ones as dotted paths; "-" fields are skipped.
func jsonFields(t reflect.Type, prefix string) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" {
			out = append(out, jsonFields(ft, prefix)...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, prefix+name)
	}
	return out
}

// bodyPaths lists the dotted paths of a JSON body (objects only; arrays
// are leaves).
func bodyPaths(m map[string]any, prefix string) []string {
	var out []string
	for k, v := range m {
		out = append(out, prefix+k)
		if sm, ok := v.(map[string]any); ok {
			out = append(out, bodyPaths(sm, prefix+k+".")...)
		}
	}
	return out
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprint(err))
	}
	return string(b)
}
