// Package analytics is Heed's domain: surveys, answers, contacts, sends and
// reports, the rules on them, and the small interfaces through which the rest
// of Heed stores and reads them. It knows nothing of ClickHouse or HTTP.
//
// Implementations live beside it:
//   - analytics/clickhouse: the one store (ClickHouse), with every SQL
//     statement in queries/*.sql;
//   - analytics/ingest: the response writer (spool, batches, flush loop);
//   - analytics/spool: the on-disk write-ahead log the writer uses;
//   - analytics/mock: an in-memory store for tests that need no storage.
package analytics

import (
	"errors"
	"sort"
	"strings"
)

// ErrNotFound is returned when a requested record does not exist.
var ErrNotFound = errors.New("not found")

// FieldErrors reports invalid input, keyed by the field's JSON name, worded
// for people: {"score": "must be at most 10"}. The HTTP API answers it as 422.
type FieldErrors map[string]string

func (f FieldErrors) Error() string {
	names := make([]string, 0, len(f))
	for k := range f {
		names = append(names, k)
	}
	sort.Strings(names)
	return "invalid " + strings.Join(names, ", ")
}

// orNil returns f, or nil when it names no field, so that callers can
// write `return errs.orNil()` and get a nil error interface.
func (f FieldErrors) orNil() error {
	if len(f) == 0 {
		return nil
	}
	return f
}
