package chdb

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Bind replaces each ? of a named statement with its argument as a SQL
// literal (chDB's C API, like clickhouse-client, takes SQL text); an insert
// gets its row as VALUES. Heed's statements hold no literal question mark.
func Bind(query string, args []any, insert bool) (string, error) {
	if insert {
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ")
		query += " VALUES (" + marks + ")"
	}
	var b strings.Builder
	i := 0
	for _, r := range query {
		if r != '?' {
			b.WriteRune(r)
			continue
		}
		if i >= len(args) {
			return "", fmt.Errorf("more placeholders than arguments")
		}
		lit, err := literal(args[i])
		if err != nil {
			return "", err
		}
		b.WriteString(lit)
		i++
	}
	if i != len(args) {
		return "", fmt.Errorf("%d arguments for %d placeholders", len(args), i)
	}
	return b.String(), nil
}

func literal(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\x00", `\0`).Replace(x) + "'", nil
	case uuid.UUID:
		return "toUUID('" + x.String() + "')", nil
	case time.Time:
		return "toDateTime('" + x.UTC().Format(time.DateTime) + "', 'UTC')", nil
	case bool:
		if x {
			return "1", nil
		}
		return "0", nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(rv.Uint(), 10), nil
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(rv.Float(), 'g', -1, 64), nil
	case reflect.Slice:
		parts := make([]string, rv.Len())
		for i := range parts {
			p, err := literal(rv.Index(i).Interface())
			if err != nil {
				return "", err
			}
			parts[i] = p
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	}
	return "", fmt.Errorf("no literal for %T", v)
}
