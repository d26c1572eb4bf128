package server

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestBrowserTestsSkipInFastTier: the fast tier (go test -short, make
// test-fast) needs no Chromium, ClickHouse or axe-core, so every test of a
// *_browser_test.go file begins with needBrowser(t), before it starts a
// server or reads a file; and no test elsewhere drives a browser. A new
// browser test that forgets it fails here, in the fast tier itself.
func TestBrowserTestsSkipInFastTier(t *testing.T) {
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	browserTests := 0
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		browserFile := strings.HasSuffix(name, "_browser_test.go")
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !strings.HasPrefix(fn.Name.Name, "Test") || fn.Body == nil {
				continue
			}
			if browserFile {
				browserTests++
				if len(fn.Body.List) == 0 || !callsNeedBrowser(fn.Body.List[0]) {
					t.Errorf("%s: %s does not begin with needBrowser(t): it would run in the fast tier", fset.Position(fn.Pos()), fn.Name.Name)
				}
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if id, ok := n.(*ast.Ident); ok && (id.Name == "newBrowser" || id.Name == "chromedp") {
					t.Errorf("%s: %s drives a browser outside a *_browser_test.go file", fset.Position(id.Pos()), fn.Name.Name)
					return false
				}
				return true
			})
		}
	}
	if browserTests == 0 {
		t.Fatal("no browser tests found: is the test run from server/?")
	}
}

// callsNeedBrowser reports whether st is the statement needBrowser(t).
func callsNeedBrowser(st ast.Stmt) bool {
	es, ok := st.(*ast.ExprStmt)
	if !ok {
		return false
	}
	call, ok := es.X.(*ast.CallExpr)
	if !ok {
		return false
	}
	id, ok := call.Fun.(*ast.Ident)
	return ok && id.Name == "needBrowser"
}
