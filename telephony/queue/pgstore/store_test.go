package pgstore_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/internal/dbtest"
	"github.com/slobozhanske/hotline/internal/store"
	"github.com/slobozhanske/hotline/telephony/queue"
	"github.com/slobozhanske/hotline/telephony/queue/pgstore"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func op(id string, queues ...string) queue.Operator {
	return queue.Operator{ID: id, Name: "Оператор " + id, Endpoint: "PJSIP/" + id, Queues: queues}
}

func ids(ops []queue.Operator) []string {
	var out []string
	for _, o := range ops {
		out = append(out, o.ID)
	}
	return out
}

// merged is what the roster applies at start-up: the stored operators over
// the configuration's.
func merged(ctx context.Context, s *pgstore.Store, fromConfig []queue.Operator, queues ...string) ([]queue.Operator, error) {
	rows, err := s.Operators(ctx)
	if err != nil {
		return nil, err
	}
	ops, _ := queue.MergeOperators(fromConfig, rows, queues)
	return ops, nil
}

func TestStoredOperatorsOverrideAndExtendTheConfig(t *testing.T) {
	ctx := context.Background()
	s := pgstore.New(dbtest.NewPool(t))
	fromConfig := []queue.Operator{op("op101", "operators"), op("op102", "operators"), op("op103", "operators")}

	changed := op("op101", "operators", "appeals")
	changed.Name = "Ганна"
	changed.Skills = map[string]int{"law": 2}
	if err := s.SaveOperator(ctx, changed, "admin"); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveOperator(ctx, op("op200", "appeals"), "admin"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteOperator(ctx, "op102", "admin"); err != nil {
		t.Fatal(err)
	}
	got, err := merged(ctx, s, fromConfig, "operators", "appeals")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"op101", "op103", "op200"}; !slices.Equal(ids(got), want) {
		t.Fatalf("operators %v, want %v (op101 changed in place, op102 removed, op200 added)", ids(got), want)
	}
	if g := got[0]; g.Name != "Ганна" || !slices.Equal(g.Queues, []string{"operators", "appeals"}) || g.Skills["law"] != 2 {
		t.Fatalf("op101 as stored: %+v", g)
	}
	// Removed, then added again: it is back.
	if err := s.SaveOperator(ctx, op("op102", "operators"), "admin"); err != nil {
		t.Fatal(err)
	}
	got, _ = merged(ctx, s, fromConfig, "operators", "appeals")
	if want := []string{"op101", "op102", "op103", "op200"}; !slices.Equal(ids(got), want) {
		t.Fatalf("after re-adding op102: %v, want %v", ids(got), want)
	}
}

func TestTwoStoredOperatorsCannotShareAPhone(t *testing.T) {
	ctx := context.Background()
	s := pgstore.New(dbtest.NewPool(t))
	if err := s.SaveOperator(ctx, op("a"), "admin"); err != nil {
		t.Fatal(err)
	}
	b := op("b")
	b.Endpoint = "PJSIP/a"
	if err := s.SaveOperator(ctx, b, "admin"); !errors.Is(err, queue.ErrEndpointTaken) {
		t.Fatalf("second operator on PJSIP/a: %v", err)
	}
	// Once a is removed, its phone is free.
	if err := s.DeleteOperator(ctx, "a", "admin"); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveOperator(ctx, b, "admin"); err != nil {
		t.Fatal(err)
	}
}

func runLog(t *testing.T, l *pgstore.StateLog) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); l.Run(ctx, 5*time.Second) }()
	t.Cleanup(func() { cancel(); <-done })
}

func waitIdle(t *testing.T, l *pgstore.StateLog) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := l.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestTimeInStateAndOccupancyComeFromTheStateLog(t *testing.T) {
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	s, l := pgstore.New(pool), pgstore.NewStateLog(pool, 1000, quiet(), nil)
	runLog(t, l)
	day := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return day.Add(time.Duration(m) * time.Minute) }
	n := 0
	rec := func(min int, st queue.State, reason queue.PauseReason, online bool) {
		n++
		l.Append(queue.StateChange{ID: "st-" + string(rune('a'+n)), OperatorID: "op101", State: st, Reason: reason, Online: online, At: at(min)})
	}
	rec(-30, queue.LoggedOut, "", true) // before the period
	rec(0, queue.Available, "", true)   // 08:00
	rec(10, queue.Ringing, "", true)
	rec(11, queue.OnCall, "", true)
	rec(31, queue.WrapUp, "", true)
	rec(32, queue.Available, "", true)
	rec(40, queue.Paused, queue.ReasonLunch, true)
	rec(70, queue.Available, "", true)
	rec(80, queue.Available, "", false) // phone offline
	waitIdle(t, l)

	got, err := s.TimeInStates(ctx, at(0), at(120), at(100)) // "now" is 09:40
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("%d operators, want 1", len(got))
	}
	ts := got[0]
	want := map[queue.State]time.Duration{
		queue.Available: (10 + 8 + 30) * time.Minute, // 08:00–08:10, 08:32–08:40, 09:10–09:40
		queue.Ringing:   time.Minute,
		queue.OnCall:    20 * time.Minute,
		queue.WrapUp:    time.Minute,
		queue.Paused:    30 * time.Minute,
	}
	for st, d := range want {
		if ts.States[st] != d {
			t.Errorf("%s: %v, want %v", st, ts.States[st], d)
		}
	}
	if ts.States[queue.LoggedOut] != 0 {
		t.Errorf("logged out before the period counted: %v", ts.States[queue.LoggedOut])
	}
	if ts.Paused[queue.ReasonLunch] != 30*time.Minute || ts.Offline != 20*time.Minute {
		t.Errorf("lunch %v, offline %v; want 30m and 20m", ts.Paused[queue.ReasonLunch], ts.Offline)
	}
	if occ := ts.Occupancy(); occ < 0.219 || occ > 0.221 {
		t.Errorf("occupancy %.3f, want 22/100", occ)
	}
	hist, err := s.History(ctx, "op101", at(0), at(120))
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 8 || hist[0].State != queue.Available || hist[5].Reason != queue.ReasonLunch {
		t.Fatalf("history %+v", hist)
	}
}

// The dispatcher never waits for the database: state changes made while it
// is down are written once it is back.
func TestStateChangesMadeWhileTheDatabaseIsDownAreWrittenWhenItIsBack(t *testing.T) {
	srv := dbtest.StartServer(t)
	ctx := context.Background()
	pool, err := store.Open(ctx, srv.URL(), 4)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := store.Migrate(ctx, pool, quiet()); err != nil {
		t.Fatal(err)
	}
	l := pgstore.NewStateLog(pool, 1000, quiet(), nil)
	runLog(t, l)
	d, err := queue.New(queue.Config{Queues: []queue.QueueConfig{{Name: "operators"}}, Operators: []queue.Operator{op("op101", "operators")}, StateLog: l})
	if err != nil {
		t.Fatal(err)
	}
	waitIdle(t, l)
	srv.Stop()
	start := time.Now()
	for range 20 {
		d.Login("op101")
		d.Pause("op101", queue.ReasonBreak)
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("40 state changes took %v with the database down", took)
	}
	srv.Start()
	waitIdle(t, l)
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM queue_operator_states WHERE operator_id = 'op101'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 41 {
		t.Fatalf("%d rows, want 41 (logged out, then 20 logins and 20 pauses)", n)
	}
}

func TestOperatorsAreLoggedBackInAsTheyWereAfterARestart(t *testing.T) {
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	s, l := pgstore.New(pool), pgstore.NewStateLog(pool, 1000, quiet(), nil)
	runLog(t, l)
	cfg := queue.Config{Queues: []queue.QueueConfig{{Name: "operators"}},
		Operators: []queue.Operator{op("a", "operators"), op("b", "operators"), op("c", "operators"), op("d", "operators"), op("e", "operators")},
		StateLog:  l, Log: quiet()}
	before, err := queue.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	before.Login("a")
	before.Login("b")
	before.Pause("b", queue.ReasonTraining)
	waitIdle(t, l)
	// d and e were talking when the server stopped; d had asked for lunch
	// and e to log out, which were to take effect after the call.
	_, err = pool.Exec(ctx, `INSERT INTO queue_operator_states (id, operator_id, state, presence, reason, online, call_id, queue, at) VALUES
		('x-d', 'd', 'on_call', 'paused', 'lunch', true, 'call-1', 'operators', now()),
		('x-e', 'e', 'on_call', 'logged_out', '', true, 'call-2', 'operators', now())`)
	if err != nil {
		t.Fatal(err)
	}

	after, err := queue.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The restarted dispatcher logs everyone logged out as it starts; those
	// rows are written before the restore looks.
	waitIdle(t, l)
	if err := queue.NewRoster(after, s, cfg.Operators, quiet()).Load(ctx); err != nil {
		t.Fatal(err)
	}
	want := map[string]queue.State{"a": queue.Available, "b": queue.Paused, "c": queue.LoggedOut, "d": queue.Paused, "e": queue.LoggedOut}
	for id, st := range want {
		got, _ := after.Operator(id)
		if got.State != st {
			t.Errorf("%s restored as %s, want %s", id, got.State, st)
		}
	}
	if b, _ := after.Operator("b"); b.Reason != queue.ReasonTraining {
		t.Errorf("b paused for %s, want training", b.Reason)
	}
	if d, _ := after.Operator("d"); d.Reason != queue.ReasonLunch {
		t.Errorf("d paused for %s, want the lunch asked for during the call", d.Reason)
	}
}
