package appeals_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/slobozhanske/hotline/appeals"
	"github.com/slobozhanske/hotline/appeals/internal/apptest"
)

func TestMetrics(t *testing.T) {
	ctx := context.Background()
	env := apptest.New(t, apptest.At(2026, 11, 23, 9, 0), nil)
	svc := env.Service
	c, _ := svc.Create(ctx, apptest.Operator, apptest.Named("water"))
	_, _ = svc.CreateFromCall(ctx, appeals.FromCall{CallID: "c1", Priority: appeals.PrioritySOS, Category: "water"})
	env.Clock.Advance(40 * time.Minute)
	if _, err := svc.Transition(ctx, apptest.Vodokanal, c.ID, appeals.TransitionRequest{To: appeals.StatusAccepted, Version: c.Version}); err != nil {
		t.Fatal(err)
	}

	want := `
# HELP hotline_appeals_created_total Appeal cards registered, by category, priority and channel.
# TYPE hotline_appeals_created_total counter
hotline_appeals_created_total{category="water",channel="phone",priority="ordinary"} 1
hotline_appeals_created_total{category="water",channel="phone",priority="sos"} 1
# HELP hotline_appeals_open Cards not yet closed, by status (queried from the database on scrape).
# TYPE hotline_appeals_open gauge
hotline_appeals_open{status="accepted"} 1
hotline_appeals_open{status="in_progress"} 0
hotline_appeals_open{status="registered"} 0
hotline_appeals_open{status="resolved"} 0
hotline_appeals_open{status="returned_for_rework"} 0
hotline_appeals_open{status="sent_to_executor"} 1
# HELP hotline_appeals_open_overdue Open cards past a deadline now, by priority (queried on scrape).
# TYPE hotline_appeals_open_overdue gauge
hotline_appeals_open_overdue{priority="long"} 0
hotline_appeals_open_overdue{priority="medium"} 0
hotline_appeals_open_overdue{priority="ordinary"} 0
hotline_appeals_open_overdue{priority="sos"} 1
`
	if err := testutil.GatherAndCompare(env.Registry, strings.NewReader(want),
		"hotline_appeals_created_total", "hotline_appeals_open", "hotline_appeals_open_overdue"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(env.Registry, "hotline_appeals_time_to_accept_seconds"); n != 1 {
		t.Errorf("time to accept observed in %d series, want 1", n)
	}
}
