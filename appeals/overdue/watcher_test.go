package overdue_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/slobozhanske/hotline/appeals"
	"github.com/slobozhanske/hotline/appeals/internal/apptest"
	"github.com/slobozhanske/hotline/appeals/overdue"
)

// receiver is a webhook endpoint that records what it gets and fails the
// first `fail` requests.
type receiver struct {
	mu       sync.Mutex
	fail     int
	payloads []overdue.Payload
	keys     []string
	srv      *httptest.Server
}

func newReceiver(t *testing.T, fail int) *receiver {
	r := &receiver{fail: fail}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.fail > 0 {
			r.fail--
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		var p overdue.Payload
		if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s with %q", req.Method, req.Header.Get("Content-Type"))
		}
		if err := json.NewDecoder(req.Body).Decode(&p); err != nil {
			t.Errorf("payload: %v", err)
		}
		r.payloads = append(r.payloads, p)
		r.keys = append(r.keys, req.Header.Get("Idempotency-Key"))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) got() []overdue.Payload {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]overdue.Payload(nil), r.payloads...)
}

func watcher(t *testing.T, env *apptest.Env, url string, reg prometheus.Registerer) *overdue.Watcher {
	t.Helper()
	w, err := overdue.New(overdue.Config{Store: env.Store, Now: env.Clock.Now, Registerer: reg, Log: apptest.Quiet(),
		Webhook: overdue.Webhook{URL: url, Timeout: 2 * time.Second, Attempts: 3, Backoff: time.Millisecond, RetryAfter: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func check(t *testing.T, w *overdue.Watcher) {
	t.Helper()
	if err := w.CheckOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestAnSOSBreachIsReportedOnceAtOnce(t *testing.T) {
	ctx := context.Background()
	env := apptest.New(t, apptest.At(2026, 11, 28, 23, 10), nil)
	hook := newReceiver(t, 0)
	reg := prometheus.NewRegistry()
	w := watcher(t, env, hook.srv.URL, reg)
	card, err := env.Service.CreateFromCall(ctx, appeals.FromCall{CallID: "c1", CallerNumber: "0501234567",
		Priority: appeals.PrioritySOS, Category: "water", Recording: "sos-c1"})
	if err != nil {
		t.Fatal(err)
	}

	env.Clock.Set(apptest.At(2026, 11, 28, 23, 39))
	check(t, w)
	if n := len(hook.got()); n != 0 {
		t.Fatalf("%d notifications before the 30 minutes ran out", n)
	}

	env.Clock.Set(apptest.At(2026, 11, 28, 23, 41))
	check(t, w)
	got := hook.got()
	if len(got) != 1 {
		t.Fatalf("%d notifications after the SOS card was not accepted within 30 minutes, want 1", len(got))
	}
	p := got[0]
	if p.Number != card.Number || p.Kind != "accept" || p.Priority != "sos" || p.Executor != "vodokanal" ||
		!p.Deadline.Equal(apptest.At(2026, 11, 28, 23, 40)) || hook.keys[0] == "" {
		t.Fatalf("payload %+v key %q", p, hook.keys[0])
	}

	check(t, w)
	restarted := watcher(t, env, hook.srv.URL, nil) // a new process: the breach is stored
	check(t, restarted)
	if n := len(hook.got()); n != 1 {
		t.Fatalf("the breach was reported %d times, want once", n)
	}
	if v := counterValue(t, reg, "hotline_appeals_overdue_total", "accept", "sos"); v != 1 {
		t.Errorf("overdue metric %v, want 1", v)
	}
	h, _ := env.Service.History(ctx, apptest.Supervisor, card.ID)
	if h[len(h)-1].Action != appeals.ActionOverdue || h[len(h)-1].Detail["kind"] != "accept" {
		t.Errorf("history does not record the breach: %+v", h[len(h)-1])
	}

	// Missing the resolution deadline too is a new breach, reported again.
	env.Clock.Set(apptest.At(2026, 12, 1, 23, 11))
	check(t, w)
	if got := hook.got(); len(got) != 2 || got[1].Kind != "resolve" {
		t.Fatalf("after the resolution deadline: %+v", got)
	}
}

// counterValue reads a counter's value for the given label values.
func counterValue(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			var values []string
			for _, l := range m.GetLabel() {
				values = append(values, l.GetValue())
			}
			if slices.Equal(values, labels) {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func TestAFailingWebhookIsRetriedUntilItAnswers(t *testing.T) {
	ctx := context.Background()
	env := apptest.New(t, apptest.At(2026, 11, 28, 23, 10), nil)
	hook := newReceiver(t, 3) // one whole round of attempts fails
	w := watcher(t, env, hook.srv.URL, nil)
	if _, err := env.Service.CreateFromCall(ctx, appeals.FromCall{CallID: "c1", Priority: appeals.PrioritySOS, Category: "water"}); err != nil {
		t.Fatal(err)
	}
	env.Clock.Set(apptest.At(2026, 11, 28, 23, 41))
	check(t, w)
	var delivery string
	var attempts int
	var lastErr string
	row := func() {
		if err := env.Pool.QueryRow(ctx, "SELECT delivery, attempts, last_error FROM appeal_breaches").Scan(&delivery, &attempts, &lastErr); err != nil {
			t.Fatal(err)
		}
	}
	row()
	if delivery != "pending" || attempts != 1 || lastErr == "" || len(hook.got()) != 0 {
		t.Fatalf("after a failed round: %s, %d rounds, %q", delivery, attempts, lastErr)
	}
	env.Clock.Advance(30 * time.Second) // before the retry is due
	check(t, w)
	if len(hook.got()) != 0 {
		t.Fatal("retried before its time")
	}
	env.Clock.Advance(time.Minute)
	check(t, w)
	row()
	if delivery != "delivered" || attempts != 2 || len(hook.got()) != 1 {
		t.Fatalf("after the retry: %s, %d rounds, %d received", delivery, attempts, len(hook.got()))
	}
}

func TestCurrentBreachesGoToTheWeeklySummary(t *testing.T) {
	ctx := context.Background()
	monday := apptest.At(2026, 11, 23, 9, 0) // week 2026-W48
	env := apptest.New(t, monday, nil)
	hook := newReceiver(t, 0)
	w := watcher(t, env, hook.srv.URL, nil)
	svc := env.Service
	late, _ := svc.Create(ctx, apptest.Operator, apptest.Named("water"))
	accepted, _ := svc.Create(ctx, apptest.Operator, apptest.Named("lighting"))
	if _, err := svc.Transition(ctx, apptest.Blago, accepted.ID, appeals.TransitionRequest{To: appeals.StatusAccepted, Version: accepted.Version}); err != nil {
		t.Fatal(err)
	}
	sos := apptest.Named("water")
	sos.Priority = appeals.PrioritySOS
	urgent, _ := svc.Create(ctx, apptest.Operator, sos)

	env.Clock.Set(apptest.At(2026, 11, 23, 11, 1)) // two working hours later
	check(t, w)
	if got := hook.got(); len(got) != 1 || got[0].Number != urgent.Number {
		t.Fatalf("webhook got %+v, want only the SOS card", got)
	}
	from, to, err := appeals.ParseISOWeek("2026-W48", svc.Location())
	if err != nil || !from.Equal(monday.Add(-9*time.Hour)) {
		t.Fatalf("week: %v %v", from, err)
	}
	if _, err := svc.OverdueReport(ctx, apptest.Operator, from, to); err == nil {
		t.Error("operators read the overdue report")
	}
	r, err := svc.OverdueReport(ctx, apptest.Supervisor, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Current) != 1 || r.Current[0].Number != late.Number || r.Current[0].Delivery != appeals.DeliveryWeekly ||
		r.ByExecutor["vodokanal"] != 1 {
		t.Fatalf("current breaches %+v", r.Current)
	}
	if len(r.SOS) != 1 || r.SOS[0].Number != urgent.Number || r.SOS[0].Delivery != appeals.DeliveryDelivered {
		t.Fatalf("SOS breaches %+v", r.SOS)
	}
	next, nextTo, _ := appeals.ParseISOWeek("2026-W49", svc.Location())
	if r, _ := svc.OverdueReport(ctx, apptest.Supervisor, next, nextTo); len(r.Current)+len(r.SOS) != 0 {
		t.Errorf("the next week lists %d breaches", len(r.Current)+len(r.SOS))
	}
}

func TestMissingAnExtendedDeadlineRaisesControlToIII(t *testing.T) {
	ctx := context.Background()
	start := apptest.At(2026, 11, 23, 9, 0)
	env := apptest.New(t, start, nil)
	w := watcher(t, env, "", nil)
	svc := env.Service
	c, _ := svc.Create(ctx, apptest.Operator, apptest.Named("water"))
	c, _ = svc.Transition(ctx, apptest.Vodokanal, c.ID, appeals.TransitionRequest{To: appeals.StatusAccepted, Version: c.Version})
	c, err := svc.ExtendDeadline(ctx, apptest.Supervisor, c.ID, appeals.ExtendRequest{ResolveBy: start.Add(5 * 24 * time.Hour),
		Reason: "заміна засувки", Version: c.Version})
	if err != nil || c.ControlLevel != appeals.ControlII {
		t.Fatalf("extend: %v level %s", err, c.ControlLevel)
	}
	env.Clock.Set(start.Add(4 * 24 * time.Hour)) // past the first deadline, within the extension
	check(t, w)
	if c, _ = svc.Get(ctx, apptest.Supervisor, c.ID); c.ControlLevel != appeals.ControlII {
		t.Fatalf("level %s within the extension", c.ControlLevel)
	}
	env.Clock.Set(start.Add(5*24*time.Hour + time.Minute))
	check(t, w)
	check(t, w)
	if c, _ = svc.Get(ctx, apptest.Supervisor, c.ID); c.ControlLevel != appeals.ControlIII {
		t.Fatalf("level %s after missing the extended deadline, want III", c.ControlLevel)
	}
	h, _ := svc.History(ctx, apptest.Supervisor, c.ID)
	if n := apptest.CountActions(h, appeals.ActionControlRaised); n != 2 {
		t.Errorf("%d control raises in the history, want 2 (II by extension, III by breach)", n)
	}
}

func TestTheWatcherStopsWithItsContext(t *testing.T) {
	env := apptest.New(t, apptest.At(2026, 11, 23, 9, 0), nil)
	w, err := overdue.New(overdue.Config{Store: env.Store, Now: env.Clock.Now, Every: 5 * time.Millisecond, Log: apptest.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	time.Sleep(30 * time.Millisecond)
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context was cancelled")
	}
}
