package pgstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/slobozhanske/hotline/appeals"
)

// cardColumns is the select list scanCard reads, in order.
const cardColumns = `a.id::text, a.year, a.seq, a.number, a.created_at, a.created_by, a.updated_at, a.channel,
	a.anonymous, a.surname, a.first_name, a.patronymic, a.address, a.contact_phone, a.email, a.location,
	a.essence, a.category, a.priority, a.executor, a.status, a.control_level, a.accept_by, a.resolve_by,
	a.initial_resolve_by, a.sent_at, a.accepted_at, a.resolved_at, a.closed_at, a.closure_basis, a.closure_ref,
	coalesce(a.repeat_of::text, ''), a.repeat_reason, a.version`

func scanCard(row pgx.Row, extra ...any) (appeals.Card, error) {
	var c appeals.Card
	dst := []any{&c.ID, &c.Year, &c.Seq, &c.Number, &c.CreatedAt, &c.CreatedBy, &c.UpdatedAt, &c.Channel,
		&c.Anonymous, &c.Surname, &c.FirstName, &c.Patronymic, &c.Address, &c.ContactPhone, &c.Email, &c.Location,
		&c.Essence, &c.Category, &c.Priority, &c.Executor, &c.Status, &c.ControlLevel, &c.AcceptBy, &c.ResolveBy,
		&c.InitialResolveBy, &c.SentAt, &c.AcceptedAt, &c.ResolvedAt, &c.ClosedAt, &c.ClosureBasis, &c.ClosureRef,
		&c.RepeatOf, &c.RepeatReason, &c.Version}
	err := row.Scan(append(dst, extra...)...)
	return c, err
}

func queueInsertCard(b *pgx.Batch, c appeals.Card) {
	var repeatOf *string
	if c.RepeatOf != "" {
		repeatOf = &c.RepeatOf
	}
	b.Queue(`INSERT INTO appeals (id, year, seq, number, number_digits, created_at, created_by, updated_at, channel,
		anonymous, surname, first_name, patronymic, address, contact_phone, email, location, essence, category,
		priority, executor, status, control_level, accept_by, resolve_by, initial_resolve_by, sent_at, accepted_at,
		resolved_at, closed_at, closure_basis, closure_ref, repeat_of, repeat_reason, version, search_place)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22,
		$23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36)`,
		c.ID, c.Year, c.Seq, c.Number, appeals.DigitsOf(c.Number), c.CreatedAt, c.CreatedBy, c.UpdatedAt, c.Channel,
		c.Anonymous, c.Surname, c.FirstName, c.Patronymic, c.Address, c.ContactPhone, c.Email, c.Location, c.Essence,
		c.Category, c.Priority, c.Executor, c.Status, c.ControlLevel, c.AcceptBy, c.ResolveBy, c.InitialResolveBy,
		c.SentAt, c.AcceptedAt, c.ResolvedAt, c.ClosedAt, c.ClosureBasis, c.ClosureRef, repeatOf, c.RepeatReason, c.Version,
		searchPlace(c))
}

// searchPlace is what an address search matches, case-folded here because
// a database created without a locale does not fold Cyrillic.
func searchPlace(c appeals.Card) string {
	return strings.ToLower(c.Address + "\n" + c.Location)
}

// updateCard writes every field a rule may change and increments the version.
func updateCard(ctx context.Context, q dbtx, c *appeals.Card) error {
	err := q.QueryRow(ctx, `UPDATE appeals SET updated_at = $2, channel = $3, anonymous = $4, surname = $5,
		first_name = $6, patronymic = $7, address = $8, contact_phone = $9, email = $10, location = $11, essence = $12,
		category = $13, priority = $14, executor = $15, status = $16, control_level = $17, accept_by = $18,
		resolve_by = $19, initial_resolve_by = $20, sent_at = $21, accepted_at = $22, resolved_at = $23,
		closed_at = $24, closure_basis = $25, closure_ref = $26, search_place = $27, version = version + 1
		WHERE id = $1 RETURNING version`,
		c.ID, c.UpdatedAt, c.Channel, c.Anonymous, c.Surname, c.FirstName, c.Patronymic, c.Address, c.ContactPhone,
		c.Email, c.Location, c.Essence, c.Category, c.Priority, c.Executor, c.Status, c.ControlLevel, c.AcceptBy,
		c.ResolveBy, c.InitialResolveBy, c.SentAt, c.AcceptedAt, c.ResolvedAt, c.ClosedAt, c.ClosureBasis,
		c.ClosureRef, searchPlace(*c)).Scan(&c.Version)
	if err != nil {
		return fmt.Errorf("update appeal %s: %w", c.ID, err)
	}
	return nil
}

func queueHistory(b *pgx.Batch, appealID string, h appeals.HistoryEntry) {
	if h.AppealID != "" {
		appealID = h.AppealID
	}
	detail := h.Detail
	if detail == nil {
		detail = map[string]string{}
	}
	b.Queue(`INSERT INTO appeal_history (appeal_id, at, who, role, action, from_status, to_status, reason, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		appealID, h.At, h.Who, h.Role, h.Action, h.From, h.To, h.Reason, detail)
}

func queueCallLink(b *pgx.Batch, appealID string, l appeals.CallLink) {
	b.Queue(`INSERT INTO appeal_calls (appeal_id, call_id, recording, linked_at, linked_by)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (appeal_id, call_id) DO NOTHING`,
		appealID, l.CallID, l.Recording, l.LinkedAt, l.LinkedBy)
}

// loadDetails reads a card's calls, comments, attachments and extensions
// in one round trip.
func loadDetails(ctx context.Context, q dbtx, c *appeals.Card) error {
	b := &pgx.Batch{}
	b.Queue(`SELECT call_id, recording, linked_at, linked_by FROM appeal_calls WHERE appeal_id = $1 ORDER BY linked_at, call_id`, c.ID).
		Query(func(rows pgx.Rows) error {
			var err error
			c.Calls, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (l appeals.CallLink, err error) {
				err = r.Scan(&l.CallID, &l.Recording, &l.LinkedAt, &l.LinkedBy)
				return l, err
			})
			return err
		})
	b.Queue(`SELECT id, at, author, role, text FROM appeal_comments WHERE appeal_id = $1 ORDER BY id`, c.ID).
		Query(func(rows pgx.Rows) error {
			var err error
			c.Comments, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (m appeals.Comment, err error) {
				err = r.Scan(&m.ID, &m.At, &m.Author, &m.Role, &m.Text)
				return m, err
			})
			return err
		})
	b.Queue(`SELECT id, at, author, role, kind, ref, title FROM appeal_attachments WHERE appeal_id = $1 ORDER BY id`, c.ID).
		Query(func(rows pgx.Rows) error {
			var err error
			c.Attachments, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (a appeals.Attachment, err error) {
				err = r.Scan(&a.ID, &a.At, &a.Author, &a.Role, &a.Kind, &a.Ref, &a.Title)
				return a, err
			})
			return err
		})
	b.Queue(`SELECT at, by_user, reason, previous_by, new_by, control_level FROM appeal_extensions WHERE appeal_id = $1 ORDER BY id`, c.ID).
		Query(func(rows pgx.Rows) error {
			var err error
			c.Extensions, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (e appeals.Extension, err error) {
				err = r.Scan(&e.At, &e.By, &e.Reason, &e.PreviousBy, &e.NewBy, &e.ControlLevel)
				return e, err
			})
			return err
		})
	if err := sendBatch(ctx, q, b); err != nil {
		return fmt.Errorf("load details of appeal %s: %w", c.ID, err)
	}
	return nil
}
