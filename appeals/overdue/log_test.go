package overdue_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	"github.com/slobozhanske/hotline/appeals"
	"github.com/slobozhanske/hotline/appeals/internal/apptest"
	"github.com/slobozhanske/hotline/appeals/overdue"
)

// logRecorder keeps the records logged through it.
type logRecorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, r.Clone())
	return nil
}

func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecorder) WithGroup(string) slog.Handler      { return l }

// overdue lists the overdue records as "LEVEL number kind".
func (l *logRecorder) overdue() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.records {
		attrs := map[string]string{}
		r.Attrs(func(a slog.Attr) bool { attrs[a.Key] = a.Value.String(); return true })
		if attrs["number"] != "" && attrs["kind"] != "" {
			out = append(out, r.Level.String()+" "+attrs["number"]+" "+attrs["kind"])
		}
	}
	return out
}

// The third channel of an SOS breach, beside the metric and the webhook: an
// error in the log at the check that finds it, once. A current card's breach
// is a warning, left to the weekly summary.
func TestAnSOSBreachIsLoggedAsAnErrorAtOnceAndACurrentOneAsAWarning(t *testing.T) {
	ctx := context.Background()
	env := apptest.New(t, apptest.At(2026, 11, 23, 9, 0), nil)
	logs := &logRecorder{}
	w, err := overdue.New(overdue.Config{Store: env.Store, Now: env.Clock.Now, Log: slog.New(logs)})
	if err != nil {
		t.Fatal(err)
	}
	current, _ := env.Service.Create(ctx, apptest.Operator, apptest.Named("water"))
	sos := apptest.Named("water")
	sos.Priority = appeals.PrioritySOS
	urgent, _ := env.Service.Create(ctx, apptest.Operator, sos)

	env.Clock.Set(apptest.At(2026, 11, 23, 9, 31)) // the SOS card's 30 minutes are over, the other's 2 hours are not
	check(t, w)
	if got := logs.overdue(); len(got) != 1 || got[0] != "ERROR "+urgent.Number+" accept" {
		t.Fatalf("logged %q, want one error naming %s", got, urgent.Number)
	}
	env.Clock.Set(apptest.At(2026, 11, 23, 11, 1))
	check(t, w)
	check(t, w)
	if got := logs.overdue(); len(got) != 2 || got[1] != "WARN "+current.Number+" accept" {
		t.Fatalf("logged %q, want the SOS error once and then a warning for %s", got, current.Number)
	}
}
