// Package pgstore keeps the operator queue in PostgreSQL: the operators
// added, changed or removed through the API and the states to restore after
// a restart (Store is queue.Roster's queue.OperatorStore), the log of
// operator states (written in the background, so call handling never waits
// for the database), and the time-in-state reports the queue's API reads.
package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/slobozhanske/hotline/telephony/queue"
)

// Store reads and writes the queue's tables.
type Store struct {
	pool *pgxpool.Pool
}

// New returns a store on pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// SaveOperator stores an operator added or changed through the API;
// queue.ErrEndpointTaken when another stored operator has the phone.
func (s *Store) SaveOperator(ctx context.Context, op queue.Operator, by string) error {
	skills, err := json.Marshal(nonNil(op.Skills))
	if err != nil {
		return fmt.Errorf("save operator %s: %w", op.ID, err)
	}
	queues := op.Queues
	if queues == nil {
		queues = []string{}
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO queue_operators (id, name, endpoint, queues, skills, deleted, updated_by)
		VALUES ($1, $2, $3, $4, $5, false, $6)
		ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, endpoint = EXCLUDED.endpoint, queues = EXCLUDED.queues,
			skills = EXCLUDED.skills, deleted = false, updated_at = now(), updated_by = EXCLUDED.updated_by`,
		op.ID, op.Name, op.Endpoint, queues, string(skills), by)
	if isUniqueViolation(err) {
		return fmt.Errorf("save operator %s: %w", op.ID, queue.ErrEndpointTaken)
	}
	if err != nil {
		return fmt.Errorf("save operator %s: %w", op.ID, err)
	}
	return nil
}

// DeleteOperator marks an operator removed (so the config's operator of
// that id stays removed after a restart).
func (s *Store) DeleteOperator(ctx context.Context, id, by string) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO queue_operators (id, deleted, updated_by) VALUES ($1, true, $2)
		ON CONFLICT (id) DO UPDATE SET deleted = true, endpoint = '', updated_at = now(), updated_by = EXCLUDED.updated_by`, id, by)
	if err != nil {
		return fmt.Errorf("delete operator %s: %w", id, err)
	}
	return nil
}

// Operators lists the stored operators and removals, oldest first.
func (s *Store) Operators(ctx context.Context) ([]queue.StoredOperator, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, name, endpoint, queues, skills, deleted, updated_at, updated_by
		FROM queue_operators ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("read operators: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (queue.StoredOperator, error) {
		var row queue.StoredOperator
		var skills []byte
		if err := r.Scan(&row.ID, &row.Name, &row.Endpoint, &row.Queues, &skills, &row.Deleted, &row.UpdatedAt, &row.UpdatedBy); err != nil {
			return row, err
		}
		if err := json.Unmarshal(skills, &row.Skills); err != nil {
			return row, fmt.Errorf("operator %s skills: %w", row.ID, err)
		}
		if len(row.Skills) == 0 {
			row.Skills = nil
		}
		return row, nil
	})
	if err != nil {
		return nil, fmt.Errorf("read operators: %w", err)
	}
	return out, nil
}

// LastStatesNotBy is each operator's latest state logged by a dispatcher
// other than the one tagged tag (state ids are "st-<tag>-<n>"): what the
// roster restores after a restart or a takeover.
func (s *Store) LastStatesNotBy(ctx context.Context, tag string) (map[string]queue.StateChange, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT ON (operator_id) id, operator_id, state, presence, reason, online, call_id, queue, at
		FROM queue_operator_states WHERE id NOT LIKE 'st-' || $1 || '-%'
		ORDER BY operator_id, at DESC, seq DESC`, tag)
	if err != nil {
		return nil, fmt.Errorf("read last operator states: %w", err)
	}
	list, err := pgx.CollectRows(rows, scanChange)
	if err != nil {
		return nil, fmt.Errorf("read last operator states: %w", err)
	}
	out := make(map[string]queue.StateChange, len(list))
	for _, c := range list {
		out[c.OperatorID] = c
	}
	return out, nil
}

// History reads an operator's state log between from and to, in order.
func (s *Store) History(ctx context.Context, operatorID string, from, to time.Time) ([]queue.StateChange, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, operator_id, state, presence, reason, online, call_id, queue, at
		FROM queue_operator_states WHERE operator_id = $1 AND at >= $2 AND at < $3 ORDER BY at, seq`, operatorID, from, to)
	if err != nil {
		return nil, fmt.Errorf("read state log: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanChange)
	if err != nil {
		return nil, fmt.Errorf("read state log: %w", err)
	}
	return out, nil
}

func scanChange(r pgx.CollectableRow) (queue.StateChange, error) {
	var c queue.StateChange
	var state, presence, reason string
	err := r.Scan(&c.ID, &c.OperatorID, &state, &presence, &reason, &c.Online, &c.CallID, &c.Queue, &c.At)
	c.State, c.Presence, c.Reason = queue.State(state), queue.State(presence), queue.PauseReason(reason)
	if c.Presence == "" {
		// A row from before presence was kept: what they did says what they asked for.
		switch c.State {
		case queue.LoggedOut, queue.Paused:
			c.Presence = c.State
		default:
			c.Presence = queue.Available
		}
	}
	return c, err
}

// TimeInState is how long one operator spent in each state in a period.
type TimeInState struct {
	OperatorID string
	// By state; paused time also by reason in Paused.
	States map[queue.State]time.Duration
	Paused map[queue.PauseReason]time.Duration
	// Offline is logged-in time with the phone unreachable.
	Offline time.Duration
}

// LoggedIn is the time not logged out.
func (t TimeInState) LoggedIn() time.Duration {
	var sum time.Duration
	for st, d := range t.States {
		if st != queue.LoggedOut {
			sum += d
		}
	}
	return sum
}

// Occupancy is the share of logged-in time spent ringing, talking and
// wrapping up; 0 when never logged in.
func (t TimeInState) Occupancy() float64 {
	in := t.LoggedIn()
	if in <= 0 {
		return 0
	}
	busy := t.States[queue.Ringing] + t.States[queue.OnCall] + t.States[queue.WrapUp]
	return float64(busy) / float64(in)
}

// TimeInStates sums each operator's time per state over [from, to). A state
// logged before from counts from from; the last state lasts until to or now,
// whichever is earlier.
func (s *Store) TimeInStates(ctx context.Context, from, to, now time.Time) ([]TimeInState, error) {
	end := to
	if now.Before(end) {
		end = now
	}
	rows, err := s.pool.Query(ctx, `
		WITH spans AS (
			SELECT operator_id, state, reason, online, at,
			       coalesce(lead(at) OVER (PARTITION BY operator_id ORDER BY at, seq), $3) AS until
			FROM queue_operator_states WHERE at < $2
		)
		SELECT operator_id, state, reason, online,
		       sum(extract(epoch FROM least(until, $2) - greatest(at, $1)))::float8
		FROM spans WHERE least(until, $2) > greatest(at, $1)
		GROUP BY operator_id, state, reason, online ORDER BY operator_id`, from, end, end)
	if err != nil {
		return nil, fmt.Errorf("time in state: %w", err)
	}
	defer rows.Close()
	var out []TimeInState
	for rows.Next() {
		var id, state, reason string
		var online bool
		var secs float64
		if err := rows.Scan(&id, &state, &reason, &online, &secs); err != nil {
			return nil, fmt.Errorf("time in state: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].OperatorID != id {
			out = append(out, TimeInState{OperatorID: id, States: map[queue.State]time.Duration{}, Paused: map[queue.PauseReason]time.Duration{}})
		}
		t := &out[len(out)-1]
		d := time.Duration(secs * float64(time.Second)).Round(time.Millisecond)
		t.States[queue.State(state)] += d
		if queue.State(state) == queue.Paused {
			t.Paused[queue.PauseReason(reason)] += d
		}
		if !online && queue.State(state) != queue.LoggedOut {
			t.Offline += d
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("time in state: %w", err)
	}
	return out, nil
}

func nonNil(m map[string]int) map[string]int {
	if m == nil {
		return map[string]int{}
	}
	return m
}

func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// The roster keeps its operators here.
var _ queue.OperatorStore = (*Store)(nil)
