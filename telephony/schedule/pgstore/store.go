// Package pgstore keeps the schedule's run-time changes (schedule.Store) in
// PostgreSQL: the dated exceptions and their removals (schedule_exceptions)
// and every setting of the day/night switch (schedule_overrides).
package pgstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/slobozhanske/hotline/telephony/schedule"
)

// Store reads and writes the schedule's tables.
type Store struct {
	pool *pgxpool.Pool
}

// New returns a store on pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

type interval struct {
	Name string `json:"name,omitempty"`
	From string `json:"from"`
	To   string `json:"to"`
}

// SaveException stores an exception (replacing any of its date).
func (s *Store) SaveException(ctx context.Context, e schedule.Exception, by string, at time.Time) error {
	hours := make([]interval, 0, len(e.Hours))
	for _, h := range e.Hours {
		hours = append(hours, interval{From: h.From, To: h.To})
	}
	breaks := make([]interval, 0, len(e.Breaks))
	for _, b := range e.Breaks {
		breaks = append(breaks, interval{Name: b.Name, From: b.From, To: b.To})
	}
	hj, err := json.Marshal(hours)
	if err != nil {
		return fmt.Errorf("save exception %s: %w", e.Date, err)
	}
	bj, err := json.Marshal(breaks)
	if err != nil {
		return fmt.Errorf("save exception %s: %w", e.Date, err)
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO schedule_exceptions (date, name, closed, hours, breaks, deleted, updated_by, updated_at)
		VALUES ($1, $2, $3, $4, $5, false, $6, $7)
		ON CONFLICT (date) DO UPDATE SET name = EXCLUDED.name, closed = EXCLUDED.closed, hours = EXCLUDED.hours,
			breaks = EXCLUDED.breaks, deleted = false, updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at`,
		e.Date, e.Name, e.Closed, string(hj), string(bj), by, at)
	if err != nil {
		return fmt.Errorf("save exception %s: %w", e.Date, err)
	}
	return nil
}

// DeleteException stores that the date has no exception (not even the configuration's).
func (s *Store) DeleteException(ctx context.Context, date, by string, at time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO schedule_exceptions (date, deleted, updated_by, updated_at) VALUES ($1, true, $2, $3)
		ON CONFLICT (date) DO UPDATE SET name = '', closed = false, hours = '[]', breaks = '[]', deleted = true,
			updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at`, date, by, at)
	if err != nil {
		return fmt.Errorf("remove exception %s: %w", date, err)
	}
	return nil
}

// Exceptions lists the stored rows by date.
func (s *Store) Exceptions(ctx context.Context) ([]schedule.ExceptionRow, error) {
	rows, err := s.pool.Query(ctx, `SELECT date, name, closed, hours, breaks, deleted, updated_by, updated_at
		FROM schedule_exceptions ORDER BY date`)
	if err != nil {
		return nil, fmt.Errorf("read schedule exceptions: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (schedule.ExceptionRow, error) {
		var row schedule.ExceptionRow
		var date time.Time
		var hj, bj []byte
		if err := r.Scan(&date, &row.Name, &row.Closed, &hj, &bj, &row.Deleted, &row.UpdatedBy, &row.UpdatedAt); err != nil {
			return row, err
		}
		row.Date = date.Format(time.DateOnly)
		var hours, breaks []interval
		if err := json.Unmarshal(hj, &hours); err != nil {
			return row, fmt.Errorf("exception %s hours: %w", row.Date, err)
		}
		if err := json.Unmarshal(bj, &breaks); err != nil {
			return row, fmt.Errorf("exception %s breaks: %w", row.Date, err)
		}
		for _, h := range hours {
			row.Hours = append(row.Hours, schedule.Interval{From: h.From, To: h.To})
		}
		for _, b := range breaks {
			row.Breaks = append(row.Breaks, schedule.Break{Name: b.Name, From: b.From, To: b.To})
		}
		return row, nil
	})
	if err != nil {
		return nil, fmt.Errorf("read schedule exceptions: %w", err)
	}
	return out, nil
}

// SetOverride stores a new setting of the switch (it replaces the one in force).
func (s *Store) SetOverride(ctx context.Context, o schedule.Override, at time.Time) (int64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `INSERT INTO schedule_overrides (state, until, set_by, reason, set_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, string(o.State), o.Until, o.By, o.Reason, at).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("save the schedule override: %w", err)
	}
	return id, nil
}

// ClearOverride stores that the switch is back to the rules; false when no
// override was in force.
func (s *Store) ClearOverride(ctx context.Context, by string, at time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE schedule_overrides SET cleared_by = $1, cleared_at = $2
		WHERE cleared_at IS NULL AND until > $2`, by, at)
	if err != nil {
		return false, fmt.Errorf("clear the schedule override: %w", err)
	}
	return tag.RowsAffected() > 0, nil
}

// CurrentOverride is the override in force at the instant: the latest set,
// if not cleared and not yet over.
func (s *Store) CurrentOverride(ctx context.Context, at time.Time) (schedule.OverrideRow, bool, error) {
	rows, err := s.overrides(ctx, `WHERE id = (SELECT max(id) FROM schedule_overrides) AND cleared_at IS NULL AND until > $1`, at)
	if err != nil || len(rows) == 0 {
		return schedule.OverrideRow{}, false, err
	}
	return rows[0], true, nil
}

// Overrides lists the latest settings of the switch, newest first.
func (s *Store) Overrides(ctx context.Context, limit int) ([]schedule.OverrideRow, error) {
	if limit <= 0 {
		limit = 50
	}
	return s.overrides(ctx, `ORDER BY id DESC LIMIT $1`, limit)
}

func (s *Store) overrides(ctx context.Context, where string, args ...any) ([]schedule.OverrideRow, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, state, until, set_by, reason, set_at, cleared_by, cleared_at
		FROM schedule_overrides `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("read schedule overrides: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (schedule.OverrideRow, error) {
		var o schedule.OverrideRow
		var state string
		var cleared *time.Time
		err := r.Scan(&o.ID, &state, &o.Until, &o.By, &o.Reason, &o.SetAt, &o.ClearedBy, &cleared)
		o.State = schedule.State(state)
		if cleared != nil {
			o.ClearedAt = *cleared
		}
		return o, err
	})
	if err != nil {
		return nil, fmt.Errorf("read schedule overrides: %w", err)
	}
	return out, nil
}

var _ schedule.Store = (*Store)(nil)
