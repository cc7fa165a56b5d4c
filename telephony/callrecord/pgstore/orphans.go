package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/slobozhanske/hotline/telephony/callrecord"
)

// CloseOrphans closes the records an earlier run of the server left open
// whose channels Asterisk no longer has: their calls ended unseen, so
// without this they would stay open for ever (and count as live calls in
// reports). Each gets the outcome callrecord.OutcomeEndNotRecorded, ended_at at the
// last moment the record shows the call alive (its last event, answer or
// arrival: the real end is somewhere between that and the restart), and an
// callrecord.EventRecordClosed event keeping the outcome it had so far. It returns how
// many it closed.
//
// Call it once at start-up, after the channels in the Stasis application
// have been listed (and the calls taken over have continued their records,
// see History.OpenCall): liveChannelIDs are the ids of every channel Asterisk
// reported, whose records are left open. startedAt is when this process
// started, taken before it could take any call: only records that arrived
// before it are closed, so a call this run took (whose record may still be
// in the queue, or whose channel was not listed) is never touched. It
// writes directly, not through the queue; on an error (database away)
// nothing was closed and the caller may retry.
func (w *Writer) CloseOrphans(ctx context.Context, liveChannelIDs []string, startedAt time.Time) (int, error) {
	if liveChannelIDs == nil {
		liveChannelIDs = []string{} // NULL would make "<> ALL" NULL: nothing closed
	}
	// One statement, so a record is closed with its event or not at all.
	tag, err := w.pool.Exec(ctx, `WITH orphan AS (
			SELECT c.id, c.outcome,
				GREATEST(c.arrived_at, c.answered_at, (SELECT max(e.at) FROM call_events e WHERE e.call_id = c.id)) AS last_seen,
				(SELECT COALESCE(max(e.seq), 0) FROM call_events e WHERE e.call_id = c.id) AS last_seq
			FROM calls c
			WHERE c.ended_at IS NULL AND c.arrived_at < $2 AND c.channel_id <> ALL ($1)
			FOR UPDATE OF c
		), closed AS (
			UPDATE calls SET ended_at = orphan.last_seen, outcome = $3, updated_at = now()
			FROM orphan WHERE calls.id = orphan.id
			RETURNING calls.id
		)
		INSERT INTO call_events (call_id, seq, at, kind, node, detail)
		SELECT orphan.id, orphan.last_seq + 1, orphan.last_seen, $4, '',
			jsonb_build_object('reason', 'channel_gone_at_startup', 'outcome_before', orphan.outcome)
		FROM orphan JOIN closed ON closed.id = orphan.id
		ON CONFLICT (call_id, seq) DO NOTHING`,
		liveChannelIDs, startedAt, callrecord.OutcomeEndNotRecorded, callrecord.EventRecordClosed)
	if err != nil {
		return 0, fmt.Errorf("close call records left open by an earlier run: %w", err)
	}
	n := int(tag.RowsAffected())
	if n > 0 {
		w.log.Warn("closed call records left open by an earlier run (their channels are gone)",
			"closed", n, "outcome", callrecord.OutcomeEndNotRecorded)
	}
	return n, nil
}
