package clickhouse

import (
	"context"
	"fmt"
	"time"

	"heed/analytics"
)

// UpsertContacts writes contacts; the newest version of each wins.
func (db *DB) UpsertContacts(ctx context.Context, contacts []analytics.Contact) error {
	now := time.Now().UTC()
	return db.insert(ctx, "upsert contacts", q.InsertContacts, len(contacts), func(i int) []any {
		c := contacts[i]
		keys, values := splitProperties(c.Properties)
		return []any{c.ContactID, uint64(now.UnixNano()) + uint64(i), c.Email, c.Name, keys, values, now}
	})
}

// Contacts returns the contacts matching f, ordered by id.
func (db *DB) Contacts(ctx context.Context, f analytics.ContactFilter) ([]analytics.Contact, error) {
	pairs := propertyPairs(f.Where)
	stmt, args := q.SelectContacts, []any{pairs}
	if len(f.ContactIDs) > 0 {
		stmt, args = q.SelectContactsByID, []any{f.ContactIDs, pairs}
	}
	return db.scanContacts(ctx, stmt, args...)
}

// scanContacts reads rows of (id, email, name, keys, values, updated).
func (db *DB) scanContacts(ctx context.Context, stmt string, args ...any) ([]analytics.Contact, error) {
	rows, err := db.conn.Query(ctx, stmt, args...)
	if err != nil {
		return nil, fmt.Errorf("contacts: %w", err)
	}
	defer rows.Close()
	var out []analytics.Contact
	for rows.Next() {
		var c analytics.Contact
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

// Contact returns one contact; analytics.ErrNotFound when there is none.
func (db *DB) Contact(ctx context.Context, contactID string) (analytics.Contact, error) {
	cs, err := db.Contacts(ctx, analytics.ContactFilter{ContactIDs: []string{contactID}})
	if err != nil {
		return analytics.Contact{}, err
	}
	if len(cs) == 0 {
		return analytics.Contact{}, analytics.ErrNotFound
	}
	return cs[0], nil
}

// Suppress records that a contact must get no more survey email.
func (db *DB) Suppress(ctx context.Context, contactID, email, reason string) error {
	now := time.Now().UTC()
	return db.insert(ctx, "suppress", q.InsertSuppression, 1, func(int) []any {
		return []any{contactID, reason, email, uint8(0), now, uint64(now.UnixNano())}
	})
}

// Unsuppress lifts a contact's suppressions for these reasons.
func (db *DB) Unsuppress(ctx context.Context, contactID string, reasons []string) error {
	now := time.Now().UTC()
	return db.insert(ctx, "unsuppress", q.InsertSuppression, len(reasons), func(i int) []any {
		return []any{contactID, reasons[i], "", uint8(1), now, uint64(now.UnixNano())}
	})
}

// ContactSuppressions returns a contact's suppressions not lifted.
func (db *DB) ContactSuppressions(ctx context.Context, contactID string) ([]analytics.Suppression, error) {
	rows, err := db.conn.Query(ctx, q.SelectContactSuppressions, contactID)
	if err != nil {
		return nil, fmt.Errorf("contact suppressions: %w", err)
	}
	defer rows.Close()
	out := []analytics.Suppression{}
	for rows.Next() {
		var s analytics.Suppression
		var at uint32
		if err := rows.Scan(&s.Reason, &at); err != nil {
			return nil, fmt.Errorf("contact suppressions: %w", err)
		}
		s.Since = time.Unix(int64(at), 0).UTC()
		out = append(out, s)
	}
	return out, rows.Err()
}

// SearchContacts returns up to limit contacts whose email or name holds
// text (any case), newest first.
func (db *DB) SearchContacts(ctx context.Context, text string, limit int) ([]analytics.Contact, error) {
	out, err := db.scanContacts(ctx, q.SearchContacts, text, text, limit)
	if out == nil && err == nil {
		out = []analytics.Contact{}
	}
	return out, err
}

// ContactSends returns what was sent to a contact, newest first.
func (db *DB) ContactSends(ctx context.Context, contactID string) ([]analytics.ContactSend, error) {
	rows, err := db.conn.Query(ctx, q.SelectContactSends, contactID)
	if err != nil {
		return nil, fmt.Errorf("contact sends: %w", err)
	}
	defer rows.Close()
	out := []analytics.ContactSend{}
	for rows.Next() {
		var s analytics.ContactSend
		var at uint32
		if err := rows.Scan(&s.SendID, &s.Kind, &s.SurveyID, &s.Status, &at); err != nil {
			return nil, fmt.Errorf("contact sends: %w", err)
		}
		s.At = time.Unix(int64(at), 0).UTC()
		out = append(out, s)
	}
	return out, rows.Err()
}

// RespondentSurveys returns the surveys a respondent answered.
func (db *DB) RespondentSurveys(ctx context.Context, respondent string) ([]string, error) {
	out, err := db.strings(ctx, q.SelectRespondentSurveys, respondent)
	if err != nil {
		return nil, fmt.Errorf("respondent surveys: %w", err)
	}
	return out, nil
}

// Suppressed returns the ids of all suppressed contacts.
func (db *DB) Suppressed(ctx context.Context) (map[string]bool, error) {
	ids, err := db.idSet(ctx, q.SelectSuppressed)
	if err != nil {
		return nil, fmt.Errorf("suppressed: %w", err)
	}
	return ids, nil
}

// KnownContacts returns which of ids are stored contacts, by primary key
// (an import adds the others and leaves those alone).
func (db *DB) KnownContacts(ctx context.Context, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	for len(ids) > 0 {
		n := min(len(ids), lookupChunk)
		got, err := db.strings(ctx, q.SelectKnownContacts, ids[:n])
		if err != nil {
			return nil, fmt.Errorf("known contacts: %w", err)
		}
		for _, id := range got {
			out[id] = true
		}
		ids = ids[n:]
	}
	return out, nil
}
