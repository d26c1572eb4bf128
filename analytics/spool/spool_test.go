package spool

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

var quiet = slog.New(slog.DiscardHandler)

func TestSpoolCorruption(t *testing.T) {
	tests := []struct {
		name    string
		corrupt func(b []byte) []byte
		want    int
	}{
		{"intact", func(b []byte) []byte { return b }, 3},
		{"torn header", func(b []byte) []byte { return append(b, 1, 2, 3) }, 3},
		{"torn payload", func(b []byte) []byte { return append(b, 50, 0, 0, 0, 0, 0, 0, 0, 'x') }, 3},
		{"flipped byte in last record", func(b []byte) []byte { b[len(b)-1] ^= 0xff; return b }, 2},
		{"absurd length", func(b []byte) []byte { return append(b, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0) }, 3},
		{"zeroed tail", func(b []byte) []byte { return append(b, make([]byte, 64)...) }, 3},
		{"bad magic", func(b []byte) []byte { b[0] = 'X'; return b }, 0},
		{"empty file", func(b []byte) []byte { return nil }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(Options{Dir: dir, Logger: quiet, Lanes: 1})
			if err != nil {
				t.Fatal(err)
			}
			for _, rec := range []string{"one", "two", "three"} {
				if err := s.Append([]byte(rec)); err != nil {
					t.Fatal(err)
				}
			}
			s.Close()
			seg := filepath.Join(dir, fmt.Sprintf("%020d%s", 1, segmentExt))
			b, _ := os.ReadFile(seg)
			os.WriteFile(seg, tt.corrupt(b), 0o600)
			s, err = Open(Options{Dir: dir, Logger: quiet})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var got []string
			if err := s.ReadSegment(1, func(rec []byte) error { got = append(got, string(rec)); return nil }); err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.want {
				t.Fatalf("read %v, want %d records", got, tt.want)
			}
		})
	}
}

// TestSpoolGroupCommit: concurrent appends all land, in one segment, and
// the folder lock keeps a second process out.
func TestSpoolGroupCommit(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(Options{Dir: dir, Logger: quiet}); err == nil {
		t.Fatal("a second spool opened the same folder")
	}
	var wg sync.WaitGroup
	for g := 0; g < 32; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if err := s.Append([]byte(fmt.Sprintf("%d-%d", g, i))); err != nil {
					t.Error(err)
				}
			}
		}(g)
	}
	wg.Wait()
	if err := s.Seal(); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, id := range s.Sealed() {
		s.ReadSegment(id, func(rec []byte) error { seen[string(rec)] = true; return nil })
	}
	if len(seen) != 32*50 {
		t.Fatalf("read %d distinct records, want %d", len(seen), 32*50)
	}
	s.Close()
}
