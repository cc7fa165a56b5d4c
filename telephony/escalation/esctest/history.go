package esctest

import (
	"context"
	"errors"
	"sync"

	"github.com/slobozhanske/hotline/telephony/escalation"
)

// History is appeals' history in memory. It implements escalation.AppealHistory.
type History struct {
	mu      sync.Mutex
	entries map[string][]escalation.HistoryEntry
	failing int
}

var _ escalation.AppealHistory = (*History)(nil)

// NewHistory returns an empty history.
func NewHistory() *History { return &History{entries: map[string][]escalation.HistoryEntry{}} }

// FailNext makes the next n writes fail (the appeals' database is away).
func (h *History) FailNext(n int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failing = n
}

// AddHistory implements escalation.AppealHistory.
func (h *History) AddHistory(_ context.Context, appealID string, e escalation.HistoryEntry) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failing > 0 {
		h.failing--
		return errors.New("appeals store unavailable")
	}
	h.entries[appealID] = append(h.entries[appealID], e)
	return nil
}

// Of returns an appeal's entries.
func (h *History) Of(appealID string) []escalation.HistoryEntry {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]escalation.HistoryEntry(nil), h.entries[appealID]...)
}
