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

// The durations the histograms hold are the regulations' own: from sending
// to the executor until accepted, from registration until resolved, by
// priority; and cards count by the channel they came in.
func TestMetricsTimeToAcceptAndToResolveAndTheChannel(t *testing.T) {
	ctx := context.Background()
	start := apptest.At(2026, 11, 23, 9, 0)
	env := apptest.New(t, start, nil)
	svc := env.Service
	web := apptest.Named("water")
	web.Channel = appeals.ChannelWeb
	c, err := svc.Create(ctx, apptest.Operator, web)
	if err != nil {
		t.Fatal(err)
	}
	email := apptest.Named("lighting")
	email.Channel, email.Priority = appeals.ChannelEmail, appeals.PrioritySOS
	if _, err := svc.Create(ctx, apptest.Operator, email); err != nil {
		t.Fatal(err)
	}
	step := func(after time.Duration, to appeals.Status) {
		t.Helper()
		env.Clock.Advance(after)
		if c, err = svc.Transition(ctx, apptest.Vodokanal, c.ID, appeals.TransitionRequest{To: to, Version: c.Version}); err != nil {
			t.Fatal(err)
		}
	}
	step(25*time.Minute, appeals.StatusAccepted)
	step(time.Hour, appeals.StatusInProgress)
	step(26*time.Hour, appeals.StatusResolved)

	want := `
# HELP hotline_appeals_created_total Appeal cards registered, by category, priority and channel.
# TYPE hotline_appeals_created_total counter
hotline_appeals_created_total{category="lighting",channel="email",priority="sos"} 1
hotline_appeals_created_total{category="water",channel="web",priority="ordinary"} 1
`
	if err := testutil.GatherAndCompare(env.Registry, strings.NewReader(want), "hotline_appeals_created_total"); err != nil {
		t.Error(err)
	}
	histograms := map[string]float64{
		"hotline_appeals_time_to_accept_seconds":  (25 * time.Minute).Seconds(),
		"hotline_appeals_time_to_resolve_seconds": (25*time.Minute + time.Hour + 26*time.Hour).Seconds(),
	}
	families, err := env.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		wantSum, ok := histograms[f.GetName()]
		if !ok {
			continue
		}
		delete(histograms, f.GetName())
		if len(f.GetMetric()) != 1 {
			t.Errorf("%s: %d series, want one (priority ordinary)", f.GetName(), len(f.GetMetric()))
			continue
		}
		m := f.GetMetric()[0]
		if l := m.GetLabel(); len(l) != 1 || l[0].GetName() != "priority" || l[0].GetValue() != "ordinary" {
			t.Errorf("%s labels %v, want priority=ordinary", f.GetName(), l)
		}
		if h := m.GetHistogram(); h.GetSampleCount() != 1 || h.GetSampleSum() != wantSum {
			t.Errorf("%s: %d observations summing %vs, want one of %vs", f.GetName(), h.GetSampleCount(), h.GetSampleSum(), wantSum)
		}
	}
	for name := range histograms {
		t.Errorf("%s not exported", name)
	}
}
