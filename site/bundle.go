package site

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

// scripts are the sources esbuild bundles at start: the widget and the
// dashboard's ES modules. They are read from this embedded copy, never from
// the disk.
//
//go:embed widget/*.js dashboard/*.js
var scripts embed.FS

// bundle bundles the ES module entry (a path in scripts, e.g.
// "dashboard/main.js") and the modules it imports into one minified IIFE,
// with esbuild's Go API, so neither building nor running Heed needs Node.
// define replaces global identifiers with JS expressions.
func bundle(entry string, define map[string]string) ([]byte, error) {
	res := api.Build(api.BuildOptions{
		EntryPoints:       []string{entry},
		Plugins:           []api.Plugin{embedded(scripts)},
		Bundle:            true,
		Write:             false,
		Format:            api.FormatIIFE,
		Target:            api.ES2018,
		MinifyWhitespace:  true,
		MinifyIdentifiers: true,
		MinifySyntax:      true,
		LegalComments:     api.LegalCommentsNone,
		Charset:           api.CharsetUTF8,
		Define:            define,
	})
	if len(res.Errors) > 0 {
		var msgs []string
		for _, m := range res.Errors {
			msg := m.Text
			if m.Location != nil {
				msg = fmt.Sprintf("%s:%d: %s", m.Location.File, m.Location.Line, msg)
			}
			msgs = append(msgs, msg)
		}
		return nil, fmt.Errorf("bundle %s: %s", entry, strings.Join(msgs, "; "))
	}
	if len(res.OutputFiles) != 1 {
		return nil, fmt.Errorf("bundle %s: %d output files", entry, len(res.OutputFiles))
	}
	return res.OutputFiles[0].Contents, nil
}

// embeddedNamespace is esbuild's namespace for files of the embedded FS.
const embeddedNamespace = "heed-embed"

// embedded is an esbuild plugin that resolves and loads every module from
// fsys: the entry point by its path in fsys, imports only relative to the
// importing file ("./format.js"), with their extension. Bare package
// imports and paths outside fsys are errors: the bundles have no
// dependencies.
func embedded(fsys fs.FS) api.Plugin {
	return api.Plugin{
		Name: "heed-embedded",
		Setup: func(b api.PluginBuild) {
			b.OnResolve(api.OnResolveOptions{Filter: `.*`}, func(args api.OnResolveArgs) (api.OnResolveResult, error) {
				p := path.Clean(args.Path) // esbuild gives the entry point as "./widget/ui.js"
				if args.Kind != api.ResolveEntryPoint {
					if !strings.HasPrefix(args.Path, "./") && !strings.HasPrefix(args.Path, "../") {
						return api.OnResolveResult{}, fmt.Errorf("import %q: only relative imports of embedded files are allowed", args.Path)
					}
					p = path.Join(path.Dir(args.Importer), args.Path)
				}
				if !fs.ValidPath(p) {
					return api.OnResolveResult{}, fmt.Errorf("import %q: outside the embedded sources", args.Path)
				}
				if _, err := fs.Stat(fsys, p); err != nil {
					return api.OnResolveResult{}, fmt.Errorf("import %q: %w", args.Path, err)
				}
				return api.OnResolveResult{Path: p, Namespace: embeddedNamespace}, nil
			})
			b.OnLoad(api.OnLoadOptions{Filter: `.*`, Namespace: embeddedNamespace}, func(args api.OnLoadArgs) (api.OnLoadResult, error) {
				src, err := fs.ReadFile(fsys, args.Path)
				if err != nil {
					return api.OnLoadResult{}, err
				}
				contents := string(src)
				return api.OnLoadResult{Contents: &contents, Loader: api.LoaderJS}, nil
			})
		},
	}
}
