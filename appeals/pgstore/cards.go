package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/slobozhanske/hotline/appeals"
)

// Create numbers and inserts a card. The year's counter row is incremented
// in the same transaction as the insert: concurrent creators queue on that
// row, each sees the number the previous one committed, and a rolled-back
// card returns its number. Hence no gap and no duplicate within a year.
func (s *Store) Create(ctx context.Context, rec appeals.NewRecord) (appeals.Card, error) {
	c := rec.Card
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO appeal_counters (year, n) VALUES ($1, 1)
			ON CONFLICT (year) DO UPDATE SET n = appeal_counters.n + 1 RETURNING n`, c.Year).Scan(&c.Seq)
		if err != nil {
			return fmt.Errorf("next number of %d: %w", c.Year, err)
		}
		if c.Number, err = rec.Number(c.Year, c.Seq); err != nil {
			return err
		}
		b := &pgx.Batch{}
		queueInsertCard(b, c)
		for _, h := range rec.History {
			queueHistory(b, c.ID, h)
		}
		for _, l := range rec.Calls {
			queueCallLink(b, c.ID, l)
		}
		if err := sendBatch(ctx, tx, b); err != nil {
			return fmt.Errorf("insert appeal %s: %w", c.Number, err)
		}
		return nil
	})
	if err != nil {
		return appeals.Card{}, err
	}
	c.Calls = rec.Calls
	return c, nil
}

// Get returns a card with its details.
func (s *Store) Get(ctx context.Context, id string) (appeals.Card, error) {
	return s.getWhere(ctx, "a.id = $1", id)
}

// GetByNumber returns the card with exactly this number.
func (s *Store) GetByNumber(ctx context.Context, number string) (appeals.Card, error) {
	return s.getWhere(ctx, "a.number = $1", number)
}

// FindBySeq returns the seq-th card of the year.
func (s *Store) FindBySeq(ctx context.Context, year int, seq int64) (appeals.Card, error) {
	return s.getWhere(ctx, "a.year = $1 AND a.seq = $2", year, seq)
}

// FindByDigits returns the newest card whose number has exactly these digits.
func (s *Store) FindByDigits(ctx context.Context, digits string) (appeals.Card, error) {
	return s.getWhere(ctx, "a.number_digits = $1 ORDER BY a.created_at DESC LIMIT 1", digits)
}

func (s *Store) getWhere(ctx context.Context, where string, args ...any) (appeals.Card, error) {
	c, err := scanCard(s.pool.QueryRow(ctx, "SELECT "+cardColumns+" FROM appeals a WHERE "+where, args...))
	if err != nil {
		return appeals.Card{}, notFound(err)
	}
	if err := loadDetails(ctx, s.pool, &c); err != nil {
		return appeals.Card{}, err
	}
	return c, nil
}

// Mutate locks the card, applies fn and saves the result with fn's history
// and extension in one transaction.
func (s *Store) Mutate(ctx context.Context, id string, fn appeals.MutateFunc) (appeals.Card, error) {
	var c appeals.Card
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		if c, err = lockCard(ctx, tx, id); err != nil {
			return err
		}
		change, err := fn(&c)
		if err != nil {
			return err
		}
		if err := updateCard(ctx, tx, &c); err != nil {
			return err
		}
		b := &pgx.Batch{}
		for _, h := range change.History {
			queueHistory(b, c.ID, h)
		}
		if e := change.Extension; e != nil {
			b.Queue(`INSERT INTO appeal_extensions (appeal_id, at, by_user, reason, previous_by, new_by, control_level)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, c.ID, e.At, e.By, e.Reason, e.PreviousBy, e.NewBy, e.ControlLevel)
		}
		if err := sendBatch(ctx, tx, b); err != nil {
			return fmt.Errorf("record change of appeal %s: %w", c.ID, err)
		}
		return loadDetails(ctx, tx, &c)
	})
	if err != nil {
		return appeals.Card{}, err
	}
	return c, nil
}

// lockCard reads a card and locks its row until the transaction ends.
func lockCard(ctx context.Context, tx pgx.Tx, id string) (appeals.Card, error) {
	c, err := scanCard(tx.QueryRow(ctx, "SELECT "+cardColumns+" FROM appeals a WHERE a.id = $1 FOR UPDATE", id))
	return c, notFound(err)
}

// History returns a card's history, oldest first.
func (s *Store) History(ctx context.Context, appealID string) ([]appeals.HistoryEntry, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, appeal_id::text, at, who, role, action, from_status, to_status, reason, detail
		FROM appeal_history WHERE appeal_id = $1 ORDER BY id`, appealID)
	if err != nil {
		return nil, fmt.Errorf("query history: %w", err)
	}
	h, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (e appeals.HistoryEntry, err error) {
		err = r.Scan(&e.ID, &e.AppealID, &e.At, &e.Who, &e.Role, &e.Action, &e.From, &e.To, &e.Reason, &e.Detail)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	return h, nil
}

// AddComment stores a comment and its history entry.
func (s *Store) AddComment(ctx context.Context, appealID string, m appeals.Comment, h appeals.HistoryEntry) (appeals.Comment, error) {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO appeal_comments (appeal_id, at, author, role, text) VALUES ($1, $2, $3, $4, $5)
			RETURNING id`, appealID, m.At, m.Author, m.Role, m.Text).Scan(&m.ID)
		if err != nil {
			return err
		}
		h.Detail = map[string]string{"comment_id": fmt.Sprint(m.ID)}
		return s.addHistory(ctx, tx, appealID, h)
	})
	return m, s.refErr(err)
}

// AddAttachment stores an attachment reference and its history entry.
func (s *Store) AddAttachment(ctx context.Context, appealID string, a appeals.Attachment, h appeals.HistoryEntry) (appeals.Attachment, error) {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO appeal_attachments (appeal_id, at, author, role, kind, ref, title)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, appealID, a.At, a.Author, a.Role, a.Kind, a.Ref, a.Title).Scan(&a.ID)
		if err != nil {
			return err
		}
		return s.addHistory(ctx, tx, appealID, h)
	})
	return a, s.refErr(err)
}

// LinkCall links a call once; linking it again adds nothing.
func (s *Store) LinkCall(ctx context.Context, appealID string, l appeals.CallLink, h appeals.HistoryEntry) (bool, error) {
	var added bool
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO appeal_calls (appeal_id, call_id, recording, linked_at, linked_by)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (appeal_id, call_id) DO NOTHING`,
			appealID, l.CallID, l.Recording, l.LinkedAt, l.LinkedBy)
		if err != nil {
			return err
		}
		if added = tag.RowsAffected() == 1; !added {
			return nil
		}
		return s.addHistory(ctx, tx, appealID, h)
	})
	return added, s.refErr(err)
}

// AddHistory records an entry written by another component.
func (s *Store) AddHistory(ctx context.Context, appealID string, h appeals.HistoryEntry) error {
	return s.refErr(s.addHistory(ctx, s.pool, appealID, h))
}

func (s *Store) addHistory(ctx context.Context, q dbtx, appealID string, h appeals.HistoryEntry) error {
	b := &pgx.Batch{}
	queueHistory(b, appealID, h)
	return sendBatch(ctx, q, b)
}

// refErr maps a reference to a missing card to ErrNotFound.
func (s *Store) refErr(err error) error {
	switch {
	case err == nil:
		return nil
	case isForeignKeyViolation(err):
		return appeals.ErrNotFound
	case errors.Is(err, pgx.ErrNoRows):
		return appeals.ErrNotFound
	}
	return err
}
