package callrecord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// PastCall is the record a call left while its controller ran: what a
// restarted controller (or the standby taking over) needs to continue the
// call where it was, under the same record.
type PastCall struct {
	ID           string
	CallerNumber string
	CallerName   string
	Dialed       string
	ArrivedAt    time.Time
	AnsweredAt   time.Time // zero: not answered
	Outcome      string
	AppealNumber string
	Recording    string
	LastSeq      int        // the highest step number written; the next step is LastSeq+1
	Steps        []PastStep // in order
}

// PastStep is one written step of the call.
type PastStep struct {
	Seq    int
	At     time.Time
	Kind   string
	Node   string
	Detail map[string]string
}

// History reads the records of calls still open (ended_at NULL).
type History struct {
	pool *pgxpool.Pool
}

// NewHistory reads from pool.
func NewHistory(pool *pgxpool.Pool) *History { return &History{pool: pool} }

// maxPastSteps bounds what is read of one call: the steps that say where a
// call is are its last ones, and a call looping in the menu has many.
const maxPastSteps = 500

// OpenCall returns the open record of the call on channelID, with its
// last steps; false when the channel has no open record (the call arrived
// while no controller wrote, or its record was closed).
func (h *History) OpenCall(ctx context.Context, channelID string) (PastCall, bool, error) {
	var pc PastCall
	var answered *time.Time
	err := h.pool.QueryRow(ctx, `SELECT id, caller_number, caller_name, dialed, arrived_at, answered_at,
			outcome, appeal_number, recording
		FROM calls WHERE channel_id = $1 AND ended_at IS NULL`, channelID).
		Scan(&pc.ID, &pc.CallerNumber, &pc.CallerName, &pc.Dialed, &pc.ArrivedAt, &answered,
			&pc.Outcome, &pc.AppealNumber, &pc.Recording)
	if errors.Is(err, pgx.ErrNoRows) {
		return PastCall{}, false, nil
	}
	if err != nil {
		return PastCall{}, false, fmt.Errorf("read the open record of channel %s: %w", channelID, err)
	}
	if answered != nil {
		pc.AnsweredAt = *answered
	}
	rows, err := h.pool.Query(ctx, `SELECT seq, at, kind, node, detail FROM (
			SELECT seq, at, kind, node, detail FROM call_events WHERE call_id = $1 ORDER BY seq DESC LIMIT $2
		) last ORDER BY seq`, pc.ID, maxPastSteps)
	if err != nil {
		return PastCall{}, false, fmt.Errorf("read the steps of call %s: %w", pc.ID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var s PastStep
		var detail []byte
		if err := rows.Scan(&s.Seq, &s.At, &s.Kind, &s.Node, &detail); err != nil {
			return PastCall{}, false, fmt.Errorf("read the steps of call %s: %w", pc.ID, err)
		}
		if err := json.Unmarshal(detail, &s.Detail); err != nil {
			// A detail the writer did not write (edited by hand): the step
			// still says where the call was.
			s.Detail = nil
		}
		pc.Steps = append(pc.Steps, s)
		pc.LastSeq = max(pc.LastSeq, s.Seq)
	}
	if err := rows.Err(); err != nil {
		return PastCall{}, false, fmt.Errorf("read the steps of call %s: %w", pc.ID, err)
	}
	return pc, true, nil
}
