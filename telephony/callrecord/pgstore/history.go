package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/slobozhanske/hotline/telephony/callrecord"
)

// History reads the call records: a call's open record to take it over,
// a caller's earlier calls and a call's way through the menu for operators.
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
func (h *History) OpenCall(ctx context.Context, channelID string) (callrecord.PastCall, bool, error) {
	var pc callrecord.PastCall
	var answered *time.Time
	err := h.pool.QueryRow(ctx, `SELECT id, caller_number, caller_name, dialed, arrived_at, answered_at,
			outcome, appeal_number, recording
		FROM calls WHERE channel_id = $1 AND ended_at IS NULL`, channelID).
		Scan(&pc.ID, &pc.CallerNumber, &pc.CallerName, &pc.Dialed, &pc.ArrivedAt, &answered,
			&pc.Outcome, &pc.AppealNumber, &pc.Recording)
	if errors.Is(err, pgx.ErrNoRows) {
		return callrecord.PastCall{}, false, nil
	}
	if err != nil {
		return callrecord.PastCall{}, false, fmt.Errorf("read the open record of channel %s: %w", channelID, err)
	}
	if answered != nil {
		pc.AnsweredAt = *answered
	}
	rows, err := h.pool.Query(ctx, `SELECT seq, at, kind, node, detail FROM (
			SELECT seq, at, kind, node, detail FROM call_events WHERE call_id = $1 ORDER BY seq DESC LIMIT $2
		) last ORDER BY seq`, pc.ID, maxPastSteps)
	if err != nil {
		return callrecord.PastCall{}, false, fmt.Errorf("read the steps of call %s: %w", pc.ID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var s callrecord.PastStep
		var detail []byte
		if err := rows.Scan(&s.Seq, &s.At, &s.Kind, &s.Node, &detail); err != nil {
			return callrecord.PastCall{}, false, fmt.Errorf("read the steps of call %s: %w", pc.ID, err)
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
		return callrecord.PastCall{}, false, fmt.Errorf("read the steps of call %s: %w", pc.ID, err)
	}
	return pc, true, nil
}

// CallerHistory is the caller's latest calls other than exceptCallID, newest first.
func (h *History) CallerHistory(ctx context.Context, callerNumber, exceptCallID string, limit int) ([]callrecord.EarlierCall, error) {
	if callerNumber == "" {
		return nil, nil
	}
	rows, err := h.pool.Query(ctx, `SELECT id, arrived_at, ended_at, outcome, appeal_number, rating::int
		FROM calls WHERE caller_number = $1 AND id <> $2 ORDER BY arrived_at DESC LIMIT $3`, callerNumber, exceptCallID, limit)
	if err != nil {
		return nil, fmt.Errorf("caller history: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (callrecord.EarlierCall, error) {
		var c callrecord.EarlierCall
		err := r.Scan(&c.ID, &c.ArrivedAt, &c.EndedAt, &c.Outcome, &c.AppealNumber, &c.Rating)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("caller history: %w", err)
	}
	return out, nil
}

// MenuPath is the steps the call record holds for a call (written as the
// call goes, so the latest may still be on their way).
func (h *History) MenuPath(ctx context.Context, callID string) ([]callrecord.MenuStep, error) {
	rows, err := h.pool.Query(ctx, `SELECT kind, node, coalesce(detail->>'key', '') FROM call_events WHERE call_id = $1 ORDER BY seq`, callID)
	if err != nil {
		return nil, fmt.Errorf("menu path: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (callrecord.MenuStep, error) {
		var m callrecord.MenuStep
		err := r.Scan(&m.Kind, &m.Node, &m.Key)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("menu path: %w", err)
	}
	return out, nil
}
