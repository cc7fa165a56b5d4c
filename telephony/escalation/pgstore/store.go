// Package pgstore keeps the after-hours escalations, their attempts
// and the duty roster in PostgreSQL (migration 0004_escalation.sql). It
// implements escalation.Store and escalation.RosterStore.
package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/slobozhanske/hotline/telephony/escalation"
)

// Store reads and writes the escalation's tables.
type Store struct {
	pool *pgxpool.Pool
}

// New returns a store on pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

var (
	_ escalation.Store       = (*Store)(nil)
	_ escalation.RosterStore = (*Store)(nil)
)

// person is a link of a chain as stored in jsonb.
type person struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
}

func chainJSON(people []escalation.Person) (string, error) {
	out := make([]person, 0, len(people))
	for _, p := range people {
		out = append(out, person(p))
	}
	b, err := json.Marshal(out)
	return string(b), err
}

func chainFromJSON(b []byte) ([]escalation.Person, error) {
	var in []person
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, err
	}
	if len(in) == 0 {
		return nil, nil
	}
	out := make([]escalation.Person, 0, len(in))
	for _, p := range in {
		out = append(out, escalation.Person(p))
	}
	return out, nil
}

// nullTime stores a zero time as NULL.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func fromNull(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

const escalationColumns = `id, appeal_id, appeal_number, spoken_digits, category, call_id, caller_number, recording,
	state, round, chain, person_index, try, next_attempt_at, rounds_exhausted,
	acknowledged_by, acknowledged_phone, acknowledged_at, history_written_at,
	ended_at, ended_by, end_reason, created_at, updated_at`

func scanEscalation(row pgx.Row) (escalation.Escalation, error) {
	var e escalation.Escalation
	var state string
	var chain []byte
	var ackAt, histAt, endedAt *time.Time
	err := row.Scan(&e.ID, &e.AppealID, &e.AppealNumber, &e.SpokenDigits, &e.Category, &e.CallID, &e.CallerNumber, &e.Recording,
		&state, &e.Round, &chain, &e.Person, &e.Try, &e.NextAttemptAt, &e.RoundsExhausted,
		&e.AcknowledgedBy, &e.AcknowledgedPhone, &ackAt, &histAt,
		&endedAt, &e.EndedBy, &e.EndReason, &e.CreatedAt, &e.UpdatedAt)
	if err != nil {
		return e, err
	}
	e.State = escalation.State(state)
	e.AcknowledgedAt, e.HistoryWrittenAt, e.EndedAt = fromNull(ackAt), fromNull(histAt), fromNull(endedAt)
	if e.Chain, err = chainFromJSON(chain); err != nil {
		return e, fmt.Errorf("escalation %s chain: %w", e.ID, err)
	}
	return e, nil
}

// Create implements escalation.Store.
func (s *Store) Create(ctx context.Context, e escalation.Escalation) (escalation.Escalation, bool, error) {
	chain, err := chainJSON(e.Chain)
	if err != nil {
		return e, false, fmt.Errorf("create escalation: %w", err)
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO escalations (id, appeal_id, appeal_number, spoken_digits, category, call_id,
			caller_number, recording, state, round, chain, person_index, try, next_attempt_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
		ON CONFLICT DO NOTHING`,
		e.ID, e.AppealID, e.AppealNumber, e.SpokenDigits, e.Category, e.CallID, e.CallerNumber, e.Recording,
		string(e.State), e.Round, chain, e.Person, e.Try, e.NextAttemptAt, e.CreatedAt, e.UpdatedAt)
	if err != nil {
		return e, false, fmt.Errorf("create escalation for appeal %s: %w", e.AppealID, err)
	}
	if tag.RowsAffected() == 1 {
		return e, true, nil
	}
	stored, err := scanEscalation(s.pool.QueryRow(ctx, `SELECT `+escalationColumns+` FROM escalations
		WHERE CASE WHEN $1 <> '' THEN appeal_id = $1 ELSE appeal_id = '' AND call_id = $2 END`, e.AppealID, e.CallID))
	if err != nil {
		return e, false, fmt.Errorf("read the escalation of appeal %q, call %q: %w", e.AppealID, e.CallID, err)
	}
	return stored, false, nil
}

// Resumable implements escalation.Store.
func (s *Store) Resumable(ctx context.Context) ([]escalation.Escalation, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+escalationColumns+` FROM escalations
		WHERE state = 'active' OR (state = 'acknowledged' AND history_written_at IS NULL)
		ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("read escalations in progress: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (escalation.Escalation, error) { return scanEscalation(r) })
	if err != nil {
		return nil, fmt.Errorf("read escalations in progress: %w", err)
	}
	return out, nil
}

// Get implements escalation.Store.
func (s *Store) Get(ctx context.Context, id string) (escalation.Escalation, error) {
	e, err := scanEscalation(s.pool.QueryRow(ctx, `SELECT `+escalationColumns+` FROM escalations WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return e, fmt.Errorf("escalation %s: %w", id, escalation.ErrNotFound)
	}
	if err != nil {
		return e, fmt.Errorf("read escalation %s: %w", id, err)
	}
	list := []escalation.Escalation{e}
	if err := s.withAttempts(ctx, list); err != nil {
		return e, err
	}
	return list[0], nil
}

// List implements escalation.Store.
func (s *Store) List(ctx context.Context, f escalation.Filter) ([]escalation.Escalation, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.pool.Query(ctx, `SELECT `+escalationColumns+` FROM escalations
		WHERE $1 = '' OR state = $1 ORDER BY created_at DESC, id LIMIT $2`, string(f.State), limit)
	if err != nil {
		return nil, fmt.Errorf("list escalations: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (escalation.Escalation, error) { return scanEscalation(r) })
	if err != nil {
		return nil, fmt.Errorf("list escalations: %w", err)
	}
	if err := s.withAttempts(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// withAttempts fills in the attempts of the escalations, in one query.
func (s *Store) withAttempts(ctx context.Context, list []escalation.Escalation) error {
	if len(list) == 0 {
		return nil
	}
	ids := make([]string, len(list))
	index := make(map[string]int, len(list))
	for i, e := range list {
		ids[i] = e.ID
		index[e.ID] = i
		list[i].Attempts = []escalation.Attempt{}
	}
	rows, err := s.pool.Query(ctx, `SELECT id, escalation_id, round, person_index, try, person_name, phone, endpoint,
			started_at, answered_at, ended_at, result, detail
		FROM escalation_attempts WHERE escalation_id = ANY($1) ORDER BY escalation_id, id`, ids)
	if err != nil {
		return fmt.Errorf("read attempts: %w", err)
	}
	attempts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (escalation.Attempt, error) {
		var a escalation.Attempt
		var answered, ended *time.Time
		var result string
		err := r.Scan(&a.ID, &a.EscalationID, &a.Round, &a.Person, &a.Try, &a.Name, &a.Phone, &a.Endpoint,
			&a.StartedAt, &answered, &ended, &result, &a.Detail)
		a.AnsweredAt, a.EndedAt, a.Result = fromNull(answered), fromNull(ended), escalation.Result(result)
		return a, err
	})
	if err != nil {
		return fmt.Errorf("read attempts: %w", err)
	}
	for _, a := range attempts {
		i := index[a.EscalationID]
		list[i].Attempts = append(list[i].Attempts, a)
	}
	return nil
}

// progress is the UPDATE of an escalation's position and state, applied
// only while it is active.
const progress = `UPDATE escalations SET state = $2, round = $3, chain = $4, person_index = $5, try = $6,
		next_attempt_at = $7, rounds_exhausted = $8, acknowledged_by = $9, acknowledged_phone = $10,
		acknowledged_at = $11, ended_at = $12, updated_at = $13
	WHERE id = $1 AND state = 'active'`

func progressArgs(e escalation.Escalation) ([]any, error) {
	chain, err := chainJSON(e.Chain)
	if err != nil {
		return nil, err
	}
	return []any{e.ID, string(e.State), e.Round, chain, e.Person, e.Try, e.NextAttemptAt, e.RoundsExhausted,
		e.AcknowledgedBy, e.AcknowledgedPhone, nullTime(e.AcknowledgedAt), nullTime(e.EndedAt), e.UpdatedAt}, nil
}

// SaveProgress implements escalation.Store.
func (s *Store) SaveProgress(ctx context.Context, e escalation.Escalation) error {
	args, err := progressArgs(e)
	if err != nil {
		return fmt.Errorf("save escalation %s: %w", e.ID, err)
	}
	tag, err := s.pool.Exec(ctx, progress, args...)
	if err != nil {
		return fmt.Errorf("save escalation %s: %w", e.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("save escalation %s: %w", e.ID, escalation.ErrNotActive)
	}
	return nil
}

// BeginAttempt implements escalation.Store.
func (s *Store) BeginAttempt(ctx context.Context, a escalation.Attempt) (int64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `INSERT INTO escalation_attempts (escalation_id, round, person_index, try, person_name,
			phone, endpoint, started_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		a.EscalationID, a.Round, a.Person, a.Try, a.Name, a.Phone, a.Endpoint, a.StartedAt).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store an attempt of escalation %s: %w", a.EscalationID, err)
	}
	return id, nil
}

// AttemptAnswered implements escalation.Store.
func (s *Store) AttemptAnswered(ctx context.Context, attemptID int64, at time.Time) error {
	if _, err := s.pool.Exec(ctx, `UPDATE escalation_attempts SET answered_at = $2 WHERE id = $1`, attemptID, at); err != nil {
		return fmt.Errorf("store the answer of attempt %d: %w", attemptID, err)
	}
	return nil
}

// FinishAttempt implements escalation.Store.
func (s *Store) FinishAttempt(ctx context.Context, a escalation.Attempt, e escalation.Escalation) error {
	args, err := progressArgs(e)
	if err != nil {
		return fmt.Errorf("finish attempt %d: %w", a.ID, err)
	}
	active := true
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE escalation_attempts SET ended_at = $2, result = $3, detail = $4,
				answered_at = COALESCE(answered_at, $5) WHERE id = $1`,
			a.ID, a.EndedAt, string(a.Result), a.Detail, nullTime(a.AnsweredAt)); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, progress, args...)
		active = err == nil && tag.RowsAffected() == 1
		return err
	})
	if err != nil {
		return fmt.Errorf("finish attempt %d of escalation %s: %w", a.ID, e.ID, err)
	}
	if !active {
		return fmt.Errorf("finish attempt %d of escalation %s: %w", a.ID, e.ID, escalation.ErrNotActive)
	}
	return nil
}

// CloseOpenAttempts implements escalation.Store.
func (s *Store) CloseOpenAttempts(ctx context.Context, escalationID string, at time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE escalation_attempts SET ended_at = $2, result = $3,
			detail = 'the controller stopped during the attempt'
		WHERE escalation_id = $1 AND ended_at IS NULL`, escalationID, at, string(escalation.ResultInterrupted))
	if err != nil {
		return 0, fmt.Errorf("close open attempts of escalation %s: %w", escalationID, err)
	}
	return int(tag.RowsAffected()), nil
}

// HistoryWritten implements escalation.Store.
func (s *Store) HistoryWritten(ctx context.Context, id string, at time.Time) error {
	if _, err := s.pool.Exec(ctx, `UPDATE escalations SET history_written_at = $2 WHERE id = $1`, id, at); err != nil {
		return fmt.Errorf("store that escalation %s is in the appeal's history: %w", id, err)
	}
	return nil
}

// Cancel implements escalation.Store.
func (s *Store) Cancel(ctx context.Context, id, by, reason string, at time.Time) (escalation.Escalation, error) {
	e, err := scanEscalation(s.pool.QueryRow(ctx, `UPDATE escalations SET state = 'cancelled', ended_at = $2, ended_by = $3,
			end_reason = $4, updated_at = $2
		WHERE id = $1 AND state = 'active' RETURNING `+escalationColumns, id, at, by, reason))
	if err == nil {
		return e, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return e, fmt.Errorf("cancel escalation %s: %w", id, err)
	}
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM escalations WHERE id = $1)`, id).Scan(&exists); err != nil {
		return e, fmt.Errorf("cancel escalation %s: %w", id, err)
	}
	if !exists {
		return e, fmt.Errorf("escalation %s: %w", id, escalation.ErrNotFound)
	}
	return e, fmt.Errorf("escalation %s: %w", id, escalation.ErrNotActive)
}
