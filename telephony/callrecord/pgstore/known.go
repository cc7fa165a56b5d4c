package pgstore

import (
	"context"
	"fmt"
)

// KnownCall reports whether a call record has the id, as a call's id or
// its Asterisk channel's: the appeals' API links a card only to a call
// there is a record of. A call on the line now may have its record still
// in the write-behind buffer; the API does not ask about the operator's
// current call.
func (h *History) KnownCall(ctx context.Context, callID string) (bool, error) {
	var known bool
	err := h.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM calls WHERE id = $1 OR channel_id = $1)`, callID).Scan(&known)
	if err != nil {
		return false, fmt.Errorf("look up call record %q: %w", callID, err)
	}
	return known, nil
}
