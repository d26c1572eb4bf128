package clickhouse

import (
	"context"
	"fmt"
)

// ChurnRows runs a churn report statement and returns its rows as chDB
// writes them in TSV (status, answer, customers, revenue, customers with
// revenue), so that both engines' rows compare as text.
func (db *DB) ChurnRows(ctx context.Context, sql string, args []any) ([]string, error) {
	rows, err := db.conn.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var status string
		var answer, n, revenueN uint64
		var revenue float64
		if err := rows.Scan(&status, &answer, &n, &revenue, &revenueN); err != nil {
			return nil, err
		}
		out = append(out, fmt.Sprintf("%s\t%d\t%d\t%v\t%d", status, answer, n, revenue, revenueN))
	}
	return out, rows.Err()
}
