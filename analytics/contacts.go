package analytics

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Contact is a person Heed may survey by email.
type Contact struct {
	ContactID  string            `json:"contact_id"`
	Email      string            `json:"email"`
	Name       string            `json:"name"`
	Properties map[string]string `json:"properties"`
	UpdatedAt  time.Time         `json:"updated_at"`
}

// ContactID is the stable id of a normalised email address: a hash, so
// links and reports need not carry the address itself.
func ContactID(email string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	return hex.EncodeToString(sum[:8])
}

// UpsertContacts writes contacts; the newest version of each wins.
func (db *DB) UpsertContacts(ctx context.Context, contacts []Contact) error {
	now := time.Now().UTC()
	return db.insert(ctx, "upsert contacts", "INSERT INTO contacts (contact_id, version, email, name, property_keys, property_values, updated_at)",
		len(contacts), func(i int) []any {
			c := contacts[i]
			keys, values := splitProperties(c.Properties)
			return []any{c.ContactID, uint64(now.UnixNano()) + uint64(i), c.Email, c.Name, keys, values, now}
		})
}

func splitProperties(props map[string]string) (keys, values []string) {
	keys = make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	values = make([]string, len(keys))
	for i, k := range keys {
		values[i] = props[k]
	}
	return keys, values
}

// ContactFilter selects contacts: all of them, those whose properties match
// every Where pair, or those with the listed ids.
type ContactFilter struct {
	Where      map[string]string `json:"where,omitempty"`
	ContactIDs []string          `json:"contact_ids,omitempty"`
}

// Contacts returns the contacts matching f, ordered by id (a stable order,
// so an interrupted send resumes over the same list).
func (db *DB) Contacts(ctx context.Context, f ContactFilter) ([]Contact, error) {
	query := `SELECT contact_id, argMax(email, version), argMax(name, version),
			argMax(property_keys, version) AS keys, argMax(property_values, version) AS vals, max(updated_at)
		FROM contacts`
	var args []any
	var where []string
	if len(f.ContactIDs) > 0 {
		where = append(where, "has(?, contact_id)") // a bound slice is an Array literal
		args = append(args, f.ContactIDs)
	}
	query += condition("WHERE", where) + " GROUP BY contact_id"
	var having []string
	keys := make([]string, 0, len(f.Where))
	for k := range f.Where {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		// Arrays are 1-based; indexOf finds the key, the value sits there.
		having = append(having, "has(keys, ?) AND vals[indexOf(keys, ?)] = ?")
		args = append(args, k, k, f.Where[k])
	}
	query += condition("HAVING", having) + " ORDER BY contact_id"
	rows, err := db.conn.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("contacts: %w", err)
	}
	defer rows.Close()
	var out []Contact
	for rows.Next() {
		var c Contact
		var ks, vs []string
		if err := rows.Scan(&c.ContactID, &c.Email, &c.Name, &ks, &vs, &c.UpdatedAt); err != nil {
			return nil, fmt.Errorf("contacts: %w", err)
		}
		c.Properties = make(map[string]string, len(ks))
		for i, k := range ks {
			if i < len(vs) {
				c.Properties[k] = vs[i]
			}
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func condition(keyword string, parts []string) string {
	if len(parts) == 0 {
		return ""
	}
	return " " + keyword + " " + strings.Join(parts, " AND ")
}

// Suppression reasons.
const (
	SuppressUnsubscribe = "unsubscribe"
	SuppressBounce      = "bounce"
	SuppressSpamReport  = "spamreport"
	SuppressDropped     = "dropped"
)

// Suppress records that a contact must get no more survey email.
func (db *DB) Suppress(ctx context.Context, contactID, email, reason string) error {
	return db.insert(ctx, "suppress", "INSERT INTO suppressions (contact_id, email, reason, created_at)", 1, func(int) []any {
		return []any{contactID, email, reason, time.Now().UTC()}
	})
}

// Suppressed returns the ids of all suppressed contacts.
func (db *DB) Suppressed(ctx context.Context) (map[string]bool, error) {
	return db.idSet(ctx, "SELECT DISTINCT contact_id FROM suppressions")
}

func (db *DB) idSet(ctx context.Context, query string, args ...any) (map[string]bool, error) {
	rows, err := db.conn.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}
