package clickhouse

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

// TestEveryStatementIsUsed: each field of queries (and so each named
// statement: LoadStatements refuses statements without a field) is read
// somewhere in the store's code as q.<Field>.
func TestEveryStatementIsUsed(t *testing.T) {
	used := map[string]bool{}
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == "q" {
					used[sel.Sel.Name] = true
				}
			}
			return true
		})
	}
	typ := reflect.TypeOf(queries{})
	for i := 0; i < typ.NumField(); i++ {
		if f := typ.Field(i); !used[f.Name] {
			t.Errorf("statement %q (q.%s) is never used", f.Tag.Get("query"), f.Name)
		}
	}
	// And nothing else may be read from q: a typo would not compile, but a
	// reflection trick would hide a statement from this test.
	for name := range used {
		if _, ok := typ.FieldByName(name); !ok {
			t.Errorf("q.%s is not a statement", name)
		}
	}
	if typ.NumField() < 25 {
		t.Fatalf("only %d statements: is this the whole store?", typ.NumField())
	}
}

// TestLoadStatements: the loader refuses what would hide a missing,
// doubled or unused statement.
func TestLoadStatements(t *testing.T) {
	type two struct {
		A string `query:"a"`
		B string `query:"b"`
	}
	file := func(body string) fstest.MapFS { return fstest.MapFS{"queries/x.sql": {Data: []byte(body)}} }
	tests := []struct {
		name, body, err string
	}{
		{"good", "-- name: a\n-- a comment\nSELECT 1;\n\n-- name: b\nSELECT\n  2;\n", ""},
		{"missing", "-- name: a\nSELECT 1;\n", `no statement "b"`},
		{"orphan", "-- name: a\nSELECT 1;\n-- name: b\nSELECT 2;\n-- name: c\nSELECT 3;\n", "no field takes: c"},
		{"twice", "-- name: a\nSELECT 1;\n-- name: a\nSELECT 1;\n-- name: b\nSELECT 2;\n", "named in"},
		{"empty", "-- name: a\n-- only a comment\n-- name: b\nSELECT 2;\n", "is empty"},
		{"before a name", "SELECT 0;\n-- name: a\nSELECT 1;\n-- name: b\nSELECT 2;\n", "before the first"},
	}
	for _, tt := range tests {
		var got two
		err := LoadStatements(file(tt.body), "queries/*.sql", &got)
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.err == "" && (got.A != "SELECT 1" || got.B != "SELECT\n  2"):
			t.Errorf("%s: loaded %q", tt.name, got)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.err)
		}
	}
}

// TestStatementsTakeValuesOnly: no statement text carries a value: only ?
// placeholders and the {identifier} slots WithIdent fills.
func TestStatementsTakeValuesOnly(t *testing.T) {
	literal := regexp.MustCompile(`'(?:[^'\\]|\\.)*'`)
	v := reflect.ValueOf(*q)
	for i := 0; i < v.NumField(); i++ {
		sql := v.Field(i).String()
		if strings.Contains(sql, "'?'") {
			t.Errorf("%s holds '?'", v.Type().Field(i).Tag.Get("query"))
		}
		// Outside string literals (formatDateTime's '%d' is SQL's own).
		sql = literal.ReplaceAllString(sql, "''")
		for _, slot := range []string{"%s", "%d", "%v"} {
			if strings.Contains(sql, slot) {
				t.Errorf("%s holds %s", v.Type().Field(i).Tag.Get("query"), slot)
			}
		}
	}
	if _, err := WithIdent(q.SelectRawReport, "period", "toMonday); DROP TABLE x; --"); err == nil {
		t.Error("WithIdent took SQL for an identifier")
	}
	if _, err := WithIdent(q.SelectRawReport, "database", "x"); err == nil {
		t.Error("WithIdent filled a slot the statement does not have")
	}
}
