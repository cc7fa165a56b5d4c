package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/slobozhanske/hotline/telephony/escalation"
)

// rosterLock serialises the first seeding of the roster between controllers
// starting at once.
const rosterLock = 0x6475747930 // "duty0"

// LoadRoster implements escalation.RosterStore.
func (s *Store) LoadRoster(ctx context.Context, seed []escalation.Shift, at time.Time) ([]escalation.Shift, bool, error) {
	var shifts []escalation.Shift
	seeded := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, rosterLock); err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM duty_roster_meta)`).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			for _, sh := range seed {
				if _, err := insertShift(ctx, tx, sh, "config", at); err != nil {
					return err
				}
			}
			if _, err := tx.Exec(ctx, `INSERT INTO duty_roster_meta (id, seeded_at, updated_by, updated_at) VALUES (1, $1, 'config', $1)`, at); err != nil {
				return err
			}
			seeded = true
		}
		var err error
		shifts, err = readShifts(ctx, tx)
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("load the duty roster: %w", err)
	}
	return shifts, seeded, nil
}

// ReplaceRoster implements escalation.RosterStore.
func (s *Store) ReplaceRoster(ctx context.Context, shifts []escalation.Shift, by string, at time.Time) ([]escalation.Shift, error) {
	var out []escalation.Shift
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM duty_shifts`); err != nil {
			return err
		}
		for _, sh := range shifts {
			if _, err := insertShift(ctx, tx, sh, by, at); err != nil {
				return err
			}
		}
		if err := touchRoster(ctx, tx, by, at); err != nil {
			return err
		}
		var err error
		out, err = readShifts(ctx, tx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("replace the duty roster: %w", standingErr(err))
	}
	return out, nil
}

// CreateShift implements escalation.RosterStore.
func (s *Store) CreateShift(ctx context.Context, sh escalation.Shift, by string, at time.Time) (escalation.Shift, error) {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		id, err := insertShift(ctx, tx, sh, by, at)
		sh.ID = id
		if err != nil {
			return err
		}
		return touchRoster(ctx, tx, by, at)
	})
	if err != nil {
		return sh, fmt.Errorf("add a duty shift: %w", standingErr(err))
	}
	return sh, nil
}

// UpdateShift implements escalation.RosterStore.
func (s *Store) UpdateShift(ctx context.Context, sh escalation.Shift, by string, at time.Time) (escalation.Shift, error) {
	people, err := chainJSON(sh.People)
	if err != nil {
		return sh, err
	}
	found := false
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE duty_shifts SET starts_at = $2, ends_at = $3, people = $4, updated_by = $5, updated_at = $6
			WHERE id = $1`, sh.ID, nullTime(sh.From), nullTime(sh.To), people, by, at)
		if err != nil {
			return err
		}
		if found = tag.RowsAffected() == 1; !found {
			return nil
		}
		return touchRoster(ctx, tx, by, at)
	})
	if err != nil {
		return sh, fmt.Errorf("change duty shift %d: %w", sh.ID, standingErr(err))
	}
	if !found {
		return sh, fmt.Errorf("duty shift %d: %w", sh.ID, escalation.ErrShiftNotFound)
	}
	return sh, nil
}

// DeleteShift implements escalation.RosterStore.
func (s *Store) DeleteShift(ctx context.Context, id int64, by string, at time.Time) error {
	found := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM duty_shifts WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if found = tag.RowsAffected() == 1; !found {
			return nil
		}
		return touchRoster(ctx, tx, by, at)
	})
	if err != nil {
		return fmt.Errorf("remove duty shift %d: %w", id, err)
	}
	if !found {
		return fmt.Errorf("duty shift %d: %w", id, escalation.ErrShiftNotFound)
	}
	return nil
}

func insertShift(ctx context.Context, tx pgx.Tx, sh escalation.Shift, by string, at time.Time) (int64, error) {
	people, err := chainJSON(sh.People)
	if err != nil {
		return 0, err
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO duty_shifts (starts_at, ends_at, people, updated_by, updated_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, nullTime(sh.From), nullTime(sh.To), people, by, at).Scan(&id)
	return id, err
}

// touchRoster records who changed the roster last (and that it is no longer
// the configuration's to seed).
func touchRoster(ctx context.Context, tx pgx.Tx, by string, at time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO duty_roster_meta (id, seeded_at, updated_by, updated_at) VALUES (1, $2, $1, $2)
		ON CONFLICT (id) DO UPDATE SET updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at`, by, at)
	return err
}

func readShifts(ctx context.Context, tx pgx.Tx) ([]escalation.Shift, error) {
	rows, err := tx.Query(ctx, `SELECT id, starts_at, ends_at, people FROM duty_shifts
		ORDER BY starts_at NULLS FIRST, ends_at NULLS LAST, id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (escalation.Shift, error) {
		var sh escalation.Shift
		var from, to *time.Time
		var people []byte
		if err := r.Scan(&sh.ID, &from, &to, &people); err != nil {
			return sh, err
		}
		sh.From, sh.To = fromNull(from), fromNull(to)
		var err error
		if sh.People, err = chainFromJSON(people); err != nil {
			return sh, fmt.Errorf("duty shift %d people: %w", sh.ID, err)
		}
		return sh, nil
	})
}

// standingErr turns the one-standing-chain index's violation into a field error.
func standingErr(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == "duty_shifts_one_standing_idx" {
		return &escalation.FieldError{Field: "from", Message: "there is already a standing chain (a shift with no from and to)"}
	}
	return err
}
