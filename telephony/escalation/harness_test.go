package escalation_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/slobozhanske/hotline/internal/clock/clocktest"
	"github.com/slobozhanske/hotline/internal/dbtest"
	"github.com/slobozhanske/hotline/ivr"
	"github.com/slobozhanske/hotline/telephony/escalation"
	"github.com/slobozhanske/hotline/telephony/escalation/esctest"
	escalationpg "github.com/slobozhanske/hotline/telephony/escalation/pgstore"
)

// The regulations' night: 23:00 Kyiv time, well inside 17:00–07:00.
var night = time.Date(2026, 11, 23, 23, 0, 0, 0, time.FixedZone("EET", 2*3600))

// The community's on-duty chain (config/hotline.yaml).
var (
	dispatcher = escalation.Person{Name: "Черговий диспетчер", Phone: "PJSIP/duty1"}
	head       = escalation.Person{Name: "Начальник відділу ЖКГ", Phone: "0501234567"}
)

const (
	dispatcherPhone = "PJSIP/duty1"
	headPhone       = "PJSIP/0501234567@trunk" // dialled through the trunk
)

// regulations are the escalation rules of config/hotline.yaml.
func regulations() escalation.Settings {
	return escalation.Settings{
		CallerID: "Гаряча лінія <1580>", TrunkEndpoint: "PJSIP/%s@trunk",
		RingTimeout: 30 * time.Second, AckTimeout: 60 * time.Second,
		AttemptsPerPerson: 2, RetryDelay: time.Minute, MaxRounds: 0,
	}
}

func logger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// world is a controller's surroundings: a real database, a clock moved by
// hand, scripted phones and the appeals' history.
type world struct {
	t        *testing.T
	store    *escalationpg.Store
	counted  *countingStore
	clock    *clocktest.Clock
	phones   *esctest.Phones
	history  *esctest.History
	duty     *escalation.Duty
	settings escalation.Settings
	reg      *prometheus.Registry
	metrics  *escalation.Metrics
	engine   *escalation.Engine
	stop     func()
}

func newWorld(t *testing.T, settings escalation.Settings, roster ...escalation.Shift) *world {
	t.Helper()
	if len(roster) == 0 {
		roster = []escalation.Shift{{People: []escalation.Person{dispatcher, head}}}
	}
	w := &world{t: t, store: escalationpg.New(dbtest.NewPool(t)), clock: clocktest.New(night),
		history: esctest.NewHistory(), settings: settings, reg: prometheus.NewRegistry()}
	w.counted = &countingStore{Store: w.store}
	w.phones = esctest.NewPhones(w.clock)
	w.metrics = escalation.NewMetrics(w.reg)
	duty, err := escalation.LoadDuty(context.Background(), w.store, roster, w.clock, logger())
	if err != nil {
		t.Fatal(err)
	}
	w.duty = duty
	t.Cleanup(func() {
		if w.stop != nil {
			w.stop()
		}
		if n := w.phones.Live(); n != 0 {
			t.Errorf("%d calls to people on duty are still up after the engine stopped", n)
		}
	})
	w.start()
	return w
}

// start runs an engine (a controller starting) on the world's database.
func (w *world) start() {
	w.t.Helper()
	e, err := escalation.NewEngine(escalation.Config{
		Settings: w.settings, Store: w.counted, Duty: w.duty, Dialer: w.phones, History: w.history,
		Clock: w.clock, Metrics: w.metrics, Log: logger(),
	})
	if err != nil {
		w.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	w.engine = e
	w.stop = func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				w.t.Errorf("engine: %v", err)
			}
		case <-time.After(10 * time.Second):
			w.t.Fatal("the engine did not stop within 10 s of its context ending")
		}
		w.stop = nil
	}
	w.settle()
}

// restart stops the controller and starts a new one on the same database.
func (w *world) restart() {
	w.t.Helper()
	w.stop()
	if n := w.phones.Live(); n != 0 {
		w.t.Fatalf("%d calls are still up after the controller stopped", n)
	}
	w.start()
}

var appealSeq atomic.Int64

// sos is an after-hours SOS appeal with the caller's recording.
func (w *world) sos(category string) ivr.SOSAlert {
	w.t.Helper()
	n := appealSeq.Add(1)
	alert := ivr.SOSAlert{
		Appeal: ivr.Appeal{ID: fmt.Sprintf("appeal-%d-%d", time.Now().UnixNano(), n), Number: fmt.Sprintf("2026-000%d", 100+n),
			SpokenDigits: fmt.Sprint(100 + n), Category: category},
		CallID: fmt.Sprintf("call-%d", n), CallerNumber: "+380671112233", Recording: fmt.Sprintf("sos-%d", n),
	}
	if err := w.engine.Start(context.Background(), alert); err != nil {
		w.t.Fatalf("start the escalation: %v", err)
	}
	return alert
}

// settle lets the engine's goroutines finish what they are doing (database
// writes in particular) before time moves on.
func (w *world) settle() {
	for quiet := 0; quiet < 3; {
		runtime.Gosched()
		time.Sleep(200 * time.Microsecond)
		if w.counted.inflight.Load() == 0 {
			quiet++
		} else {
			quiet = 0
		}
	}
}

// until moves time on a second at a time until cond holds, failing after limit.
func (w *world) until(limit time.Duration, what string, cond func() bool) {
	w.t.Helper()
	deadline := w.clock.Now().Add(limit)
	for {
		w.settle()
		if cond() {
			return
		}
		if w.clock.Now().After(deadline) {
			w.t.Fatalf("%s: not within %s", what, limit)
		}
		w.clock.Advance(time.Second)
	}
}

// wait moves time on by d, a second at a time.
func (w *world) wait(d time.Duration) {
	w.t.Helper()
	end := w.clock.Now().Add(d)
	w.until(d+time.Second, "wait", func() bool { return !w.clock.Now().Before(end) })
}

func (w *world) escalationOf(a ivr.SOSAlert) escalation.Escalation {
	w.t.Helper()
	list, err := w.store.List(context.Background(), escalation.Filter{})
	if err != nil {
		w.t.Fatal(err)
	}
	for _, e := range list {
		if e.AppealID == a.Appeal.ID {
			return e
		}
	}
	w.t.Fatalf("no escalation stored for appeal %s", a.Appeal.Number)
	return escalation.Escalation{}
}

func (w *world) state(a ivr.SOSAlert) escalation.State { return w.escalationOf(a).State }

func (w *world) counter(name string, labels ...string) float64 {
	w.t.Helper()
	families, err := w.reg.Gather()
	if err != nil {
		w.t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			match := true
			for i := 0; i+1 < len(labels); i += 2 {
				match = match && have[labels[i]] == labels[i+1]
			}
			if !match {
				continue
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return 0
}

// histogramSum is the sum of a histogram's observations.
func (w *world) histogramSum(name string) float64 {
	w.t.Helper()
	families, err := w.reg.Gather()
	if err != nil {
		w.t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name && len(f.GetMetric()) == 1 && f.GetMetric()[0].Histogram != nil {
			return f.GetMetric()[0].Histogram.GetSampleSum()
		}
	}
	w.t.Fatalf("no histogram %s", name)
	return 0
}

// historyOf describes what the escalation wrote on the appeal's history:
// "duty_attempt <endpoint> <result>" and "duty_acknowledged <who>" lines.
func (w *world) historyOf(a ivr.SOSAlert) []string {
	var out []string
	for _, h := range w.history.Of(a.Appeal.ID) {
		switch h.Action {
		case escalation.ActionAttempt:
			out = append(out, h.Action+" "+h.Detail["endpoint"]+" "+h.Detail["result"])
		default:
			out = append(out, h.Action+" "+h.Who)
		}
	}
	return out
}

// acks returns the acknowledgements on the appeal's history.
func (w *world) acks(a ivr.SOSAlert) []escalation.HistoryEntry {
	var out []escalation.HistoryEntry
	for _, h := range w.history.Of(a.Appeal.ID) {
		if h.Action == escalation.ActionAcknowledged {
			out = append(out, h)
		}
	}
	return out
}

// attempts describes stored attempts as "person result" lines.
func attempts(e escalation.Escalation) []string {
	var out []string
	for _, a := range e.Attempts {
		out = append(out, a.Endpoint+" "+string(a.Result))
	}
	return out
}

// countingStore counts the store calls in flight, so the test moves time
// only once the engine has written what it had to.
type countingStore struct {
	escalation.Store
	inflight atomic.Int64
}

func (s *countingStore) track() func() {
	s.inflight.Add(1)
	return func() { s.inflight.Add(-1) }
}

func (s *countingStore) Create(ctx context.Context, e escalation.Escalation) (escalation.Escalation, bool, error) {
	defer s.track()()
	return s.Store.Create(ctx, e)
}

func (s *countingStore) Resumable(ctx context.Context) ([]escalation.Escalation, error) {
	defer s.track()()
	return s.Store.Resumable(ctx)
}

func (s *countingStore) SaveProgress(ctx context.Context, e escalation.Escalation) error {
	defer s.track()()
	return s.Store.SaveProgress(ctx, e)
}

func (s *countingStore) BeginAttempt(ctx context.Context, a escalation.Attempt) (int64, error) {
	defer s.track()()
	return s.Store.BeginAttempt(ctx, a)
}

func (s *countingStore) AttemptAnswered(ctx context.Context, id int64, at time.Time) error {
	defer s.track()()
	return s.Store.AttemptAnswered(ctx, id, at)
}

func (s *countingStore) FinishAttempt(ctx context.Context, a escalation.Attempt, e escalation.Escalation) error {
	defer s.track()()
	return s.Store.FinishAttempt(ctx, a, e)
}

func (s *countingStore) CloseOpenAttempts(ctx context.Context, id string, at time.Time) (int, error) {
	defer s.track()()
	return s.Store.CloseOpenAttempts(ctx, id, at)
}

func (s *countingStore) HistoryWritten(ctx context.Context, id string, at time.Time) error {
	defer s.track()()
	return s.Store.HistoryWritten(ctx, id, at)
}

func (s *countingStore) Cancel(ctx context.Context, id, by, reason string, at time.Time) (escalation.Escalation, error) {
	defer s.track()()
	return s.Store.Cancel(ctx, id, by, reason, at)
}
