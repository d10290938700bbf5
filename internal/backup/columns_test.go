package backup_test

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/internal/backup"
	"github.com/ssogate/ssogate/internal/store"
)

// sealSites are the places that seal a value, and the column each one's
// value goes to. A new call site fails TestEverySealCallSiteIsListed until
// it is added here and its column to sealedColumns (columns.go).
var sealSites = map[string]string{
	"internal/access/idp_store.go:CreateIdP":  "access_identity_providers.secret",
	"internal/access/idp_store.go:UpdateIdP":  "access_identity_providers.secret",
	"internal/access/keys/key.go:newMaterial": "access_keys.private_key",
}

// Every call of a Seal method with two arguments (secretbox's signature)
// in the program's source is a known site whose column the rotation and
// the restore check cover.
func TestEverySealCallSiteIsListed(t *testing.T) {
	root := filepath.Join("..", "..")
	found := map[string]bool{}
	for _, top := range []string{"internal", "cmd"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			rel = filepath.ToSlash(rel)
			if d.IsDir() && (rel == "internal/secretbox" || rel == "internal/backup" || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			for _, fn := range sealCalls(t, path) {
				found[rel+":"+fn] = true
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for site := range found {
		if _, ok := sealSites[site]; !ok {
			t.Errorf("%s seals a value that is not listed: add its column to sealedColumns in internal/backup/columns.go "+
				"(or rotation leaves it under the old key) and the site to sealSites here", site)
		}
	}
	listed := backup.SealedColumnNames()
	covered := map[string]bool{}
	for site, col := range sealSites {
		if !found[site] {
			t.Errorf("sealSites names %s, which no longer seals anything: update the list", site)
		}
		if !slices.Contains(listed, col) {
			t.Errorf("%s seals into %s, which sealedColumns misses", site, col)
		}
		covered[col] = true
	}
	for _, col := range listed {
		if !covered[col] {
			t.Errorf("sealedColumns lists %s, which no known site seals into", col)
		}
	}
}

// sealCalls names the functions of a file that call x.Seal(a, b).
func sealCalls(t *testing.T, path string) []string {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	var out []string
	for _, decl := range f.Decls {
		fd, ok := decl.(*ast.FuncDecl)
		if !ok || fd.Body == nil {
			continue
		}
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok && len(call.Args) == 2 {
				if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Seal" {
					out = append(out, fd.Name.Name)
				}
			}
			return true
		})
	}
	return out
}

// After the real services have sealed what they seal, every column in the
// database that holds a sealed value ("sb1:…") is in sealedColumns, and
// every listed column was seen sealed.
func TestEverySealedValueIsListed(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	env := start(t, dir)
	s := setUp(t, env, startOP(t))
	signIn(t, env, s.idpID)

	db := env.App.DB
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	var sealed []string
	for _, table := range tables {
		for _, col := range columnsOf(t, db, table) {
			var n int
			if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table+` WHERE CAST(`+col+` AS TEXT) LIKE 'sb1:%'`).Scan(&n); err != nil {
				t.Fatalf("%s.%s: %v", table, col, err)
			}
			if n > 0 {
				sealed = append(sealed, table+"."+col)
			}
		}
	}
	listed := backup.SealedColumnNames()
	sort.Strings(sealed)
	sort.Strings(listed)
	if !slices.Equal(sealed, listed) {
		t.Errorf("columns holding sealed values: %q; sealedColumns lists %q", sealed, listed)
	}
}

func columnsOf(t *testing.T, db *store.DB, table string) []string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), `SELECT name FROM pragma_table_info('`+table+`')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, n)
	}
	return cols
}
