package main

import (
	"io"
	"os"

	"github.com/schollz/progressbar/v3"
)

// importFile is a file an import command reads, with a progress bar of its
// bytes on stderr unless quiet.
type importFile struct {
	io.Reader
	f   *os.File
	bar *progressbar.ProgressBar
}

// openImport opens path for `heed … import`; what describes the bar.
func openImport(path, what string, quiet bool, stderr io.Writer) (*importFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	in := &importFile{Reader: f, f: f}
	if info, err := f.Stat(); err == nil && !quiet {
		in.bar = progressbar.NewOptions64(info.Size(), progressbar.OptionSetWriter(stderr), progressbar.OptionShowBytes(true),
			progressbar.OptionSetDescription(what), progressbar.OptionThrottle(100e6), progressbar.OptionClearOnFinish())
		r := progressbar.NewReader(f, in.bar)
		in.Reader = &r
	}
	return in, nil
}

// finish clears the progress bar (before the summary is printed).
func (in *importFile) finish() {
	if in.bar != nil {
		in.bar.Finish()
	}
}

// Close closes the file.
func (in *importFile) Close() error { return in.f.Close() }
