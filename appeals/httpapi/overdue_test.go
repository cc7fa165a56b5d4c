package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/appeals"
	"github.com/slobozhanske/hotline/appeals/internal/apptest"
	"github.com/slobozhanske/hotline/appeals/overdue"
)

// Art. 3.6, 6.2.2: the weekly summary of missed deadlines, as a supervisor
// reads it from the API. Current cards that missed their deadline are listed
// for their executors' heads; an SOS card's breach (already reported at
// once, here without a webhook) is listed apart with its delivery state.
func TestTheWeeklySummaryOfMissedDeadlinesComesFromTheAPI(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	svc := f.env.Service
	w, err := overdue.New(overdue.Config{Store: f.env.Store, Now: f.env.Clock.Now, Log: apptest.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	late := f.card(t) // Monday 09:00, vodokanal: accept by 11:00
	onTime := f.card(t)
	if _, err := svc.Transition(ctx, apptest.Vodokanal, onTime.ID, appeals.TransitionRequest{To: appeals.StatusAccepted, Version: onTime.Version}); err != nil {
		t.Fatal(err)
	}
	sos := apptest.Named("lighting")
	sos.Priority = appeals.PrioritySOS
	urgent, err := svc.Create(ctx, apptest.Operator, sos) // blago, accept by 09:30
	if err != nil {
		t.Fatal(err)
	}
	f.env.Clock.Set(apptest.At(2026, 11, 23, 11, 1))
	if err := w.CheckOnce(ctx); err != nil {
		t.Fatal(err)
	}

	r := f.do(t, supToken, "GET", "/api/v1/reports/overdue?week=2026-W48", "")
	if r.code != http.StatusOK {
		t.Fatalf("report: %d %s", r.code, r.raw)
	}
	var rep struct {
		From, To   time.Time
		Current    []map[string]any `json:"current"`
		SOS        []map[string]any `json:"sos"`
		ByExecutor map[string]int   `json:"by_executor"`
		ByCategory map[string]int   `json:"by_category"`
	}
	if err := json.Unmarshal([]byte(r.raw), &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.From.Equal(apptest.At(2026, 11, 23, 0, 0)) || !rep.To.Equal(apptest.At(2026, 11, 30, 0, 0)) {
		t.Errorf("week 2026-W48 is %v–%v, want Monday to Monday in Kyiv", rep.From, rep.To)
	}
	if len(rep.Current) != 1 || rep.Current[0]["number"] != late.Number || rep.Current[0]["kind"] != "accept" ||
		rep.Current[0]["executor"] != "vodokanal" || rep.Current[0]["delivery"] != "weekly" || rep.Current[0]["control_level"] != "I" {
		t.Errorf("current breaches %v, want only %s (not accepted within 2 working hours)", rep.Current, late.Number)
	}
	if deadline, _ := time.Parse(time.RFC3339, rep.Current[0]["deadline"].(string)); !deadline.Equal(apptest.At(2026, 11, 23, 11, 0)) {
		t.Errorf("deadline %v, want Monday 11:00", rep.Current[0]["deadline"])
	}
	if rep.ByExecutor["vodokanal"] != 1 || len(rep.ByExecutor) != 1 || rep.ByCategory["water"] != 1 || len(rep.ByCategory) != 1 {
		t.Errorf("by executor %v, by category %v", rep.ByExecutor, rep.ByCategory)
	}
	if len(rep.SOS) != 1 || rep.SOS[0]["number"] != urgent.Number || rep.SOS[0]["priority"] != "sos" || rep.SOS[0]["delivery"] != "no_webhook" {
		t.Errorf("SOS breaches %v, want %s apart", rep.SOS, urgent.Number)
	}

	// The same week as from/to (dates in Kyiv, "to" up to the end of its day); the next week is empty.
	if r := f.do(t, adminToken, "GET", "/api/v1/reports/overdue?from=2026-11-23&to=2026-11-29", ""); r.code != 200 ||
		len(r.body["current"].([]any)) != 1 {
		t.Errorf("from/to report: %d %s", r.code, r.raw)
	}
	if r := f.do(t, supToken, "GET", "/api/v1/reports/overdue?week=2026-W49", ""); r.code != 200 ||
		len(r.body["current"].([]any))+len(r.body["sos"].([]any)) != 0 {
		t.Errorf("next week: %d %s", r.code, r.raw)
	}
	for _, bad := range []string{"", "?week=2026-48", "?week=2026-W48&from=2026-11-23", "?from=2026-11-23"} {
		if r := f.do(t, supToken, "GET", "/api/v1/reports/overdue"+bad, ""); r.code != http.StatusBadRequest {
			t.Errorf("report%s: %d, want 400", bad, r.code)
		}
	}
}
