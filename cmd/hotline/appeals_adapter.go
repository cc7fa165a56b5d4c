package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/slobozhanske/hotline/appeals"
	"github.com/slobozhanske/hotline/ivr"
)

// menuAppeals lets the voice menu open cards and look up statuses; it
// translates between the menu's vocabulary and the appeals package's.
type menuAppeals struct{ svc *appeals.Service }

func (m menuAppeals) CreateFromCall(ctx context.Context, a ivr.NewAppeal) (ivr.Appeal, error) {
	in := appeals.FromCall{CallID: a.CallID, CallerNumber: a.CallerNumber, Recording: a.Recording,
		Category: a.Category, Essence: a.Essence}
	if a.SOS {
		in.Priority = appeals.PrioritySOS
	}
	card, err := m.svc.CreateFromCall(ctx, in)
	if err != nil {
		return ivr.Appeal{}, fmt.Errorf("open appeal card: %w", err)
	}
	return ivr.Appeal{ID: card.ID, Number: card.Number, SpokenDigits: card.SpokenDigits(), Category: card.Category}, nil
}

func (m menuAppeals) StatusForCaller(ctx context.Context, keyed string) (ivr.AppealStatus, error) {
	st, err := m.svc.StatusForCaller(ctx, keyed)
	if errors.Is(err, appeals.ErrNotFound) {
		return ivr.AppealStatus{}, ivr.ErrAppealNotFound
	}
	if err != nil {
		return ivr.AppealStatus{}, fmt.Errorf("appeal status: %w", err)
	}
	return ivr.AppealStatus{Number: st.Number, Status: string(st.Status), DueAt: st.DueAt}, nil
}
