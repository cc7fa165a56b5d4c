package queue_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"

	"github.com/slobozhanske/hotline/telephony/queue"
)

// memStore is an OperatorStore in memory that can be told to fail, or to do
// something (as a concurrent change would) while it stores.
type memStore struct {
	mu      sync.Mutex
	rows    []queue.StoredOperator
	last    map[string]queue.StateChange
	failDel error
	onSave  func()
	deletes []string
}

func (s *memStore) SaveOperator(_ context.Context, op queue.Operator, by string) error {
	s.mu.Lock()
	s.rows = append(s.rows, queue.StoredOperator{Operator: op, UpdatedBy: by})
	hook := s.onSave
	s.onSave = nil
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	return nil
}

func (s *memStore) DeleteOperator(_ context.Context, id, by string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failDel != nil {
		return s.failDel
	}
	s.deletes = append(s.deletes, id)
	s.rows = append(s.rows, queue.StoredOperator{Operator: queue.Operator{ID: id}, Deleted: true, UpdatedBy: by})
	return nil
}

func (s *memStore) Operators(context.Context) ([]queue.StoredOperator, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.rows), nil
}

func (s *memStore) LastStatesNotBy(context.Context, string) (map[string]queue.StateChange, error) {
	return s.last, nil
}

func rosterOp(id string, queues ...string) queue.Operator {
	return queue.Operator{ID: id, Name: "Оператор " + id, Endpoint: "PJSIP/" + id, Queues: queues}
}

func newRoster(t *testing.T, store *memStore, fromConfig ...queue.Operator) (*queue.Dispatcher, *queue.Roster) {
	t.Helper()
	d, err := queue.New(queue.Config{Queues: []queue.QueueConfig{{Name: "operators"}, {Name: "appeals"}}, Operators: fromConfig})
	if err != nil {
		t.Fatal(err)
	}
	return d, queue.NewRoster(d, store, fromConfig, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func operatorIDs(ops []queue.Operator) []string {
	var out []string
	for _, o := range ops {
		out = append(out, o.ID)
	}
	return out
}

func TestMergeLeavesOutWhatNoLongerFitsTheConfig(t *testing.T) {
	fromConfig := []queue.Operator{rosterOp("op101", "operators")}
	clash := rosterOp("op300", "operators")
	clash.Endpoint = "PJSIP/op101"
	rows := []queue.StoredOperator{{Operator: rosterOp("op200", "operators", "gone")}, {Operator: clash}}
	got, warnings := queue.MergeOperators(fromConfig, rows, []string{"operators"})
	if want := []string{"op101", "op200"}; !slices.Equal(operatorIDs(got), want) {
		t.Fatalf("merged %v, want %v", operatorIDs(got), want)
	}
	if !slices.Equal(got[1].Queues, []string{"operators"}) {
		t.Fatalf("op200 queues %v: the missing queue must be dropped", got[1].Queues)
	}
	if len(warnings) != 2 {
		t.Fatalf("warnings %q, want the missing queue and the endpoint clash", warnings)
	}
}

func TestTheRosterLoadsTheStoredOperatorsOverTheConfigsAndRestoresPresence(t *testing.T) {
	store := &memStore{
		rows: []queue.StoredOperator{{Operator: rosterOp("op200", "appeals")}, {Operator: queue.Operator{ID: "op102"}, Deleted: true}},
		last: map[string]queue.StateChange{
			"op101": {OperatorID: "op101", State: queue.OnCall, Presence: queue.Paused, Reason: queue.ReasonLunch},
			"op200": {OperatorID: "op200", State: queue.Available, Presence: queue.Available},
		},
	}
	d, r := newRoster(t, store, rosterOp("op101", "operators"), rosterOp("op102", "operators"))
	if err := r.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, o := range d.Operators() {
		ids = append(ids, o.ID)
	}
	if want := []string{"op101", "op200"}; !slices.Equal(ids, want) {
		t.Fatalf("operators after loading %v, want %v (op102 removed through the API, op200 added)", ids, want)
	}
	if o, _ := d.Operator("op101"); o.State != queue.Paused || o.Reason != queue.ReasonLunch {
		t.Errorf("op101 restored as %s (%s), want paused for the lunch asked for during the call", o.State, o.Reason)
	}
	if o, _ := d.Operator("op200"); o.State != queue.Available {
		t.Errorf("op200 restored as %s, want available", o.State)
	}
}

func TestTheRosterChecksBeforeItStores(t *testing.T) {
	store := &memStore{}
	_, r := newRoster(t, store, rosterOp("op101", "operators"))
	ctx := context.Background()
	if _, err := r.Add(ctx, rosterOp("op101", "operators"), "olena"); !errors.Is(err, queue.ErrOperatorExists) {
		t.Fatalf("adding op101 again: %v", err)
	}
	clash := rosterOp("op102", "operators")
	clash.Endpoint = "PJSIP/op101"
	var fe *queue.FieldError
	if _, _, err := r.Put(ctx, clash, "olena"); !errors.As(err, &fe) || fe.Field != "endpoint" {
		t.Fatalf("an operator on op101's phone: %v", err)
	}
	if rows, _ := store.Operators(ctx); len(rows) != 0 {
		t.Fatalf("refused changes were stored: %+v", rows)
	}
	s, created, err := r.Put(ctx, rosterOp("op102", "appeals"), "olena")
	if err != nil || !created || s.ID != "op102" || s.State != queue.LoggedOut {
		t.Fatalf("adding op102: %+v created %v, %v", s, created, err)
	}
}

// A change the dispatcher refuses after it was stored (another change took
// the phone in between) is taken out of the store again.
func TestAChangeStoredButNotAppliedIsUndoneInTheStore(t *testing.T) {
	store := &memStore{}
	d, r := newRoster(t, store, rosterOp("op101", "operators"))
	store.onSave = func() {
		if _, err := d.UpsertOperator(rosterOp("op300", "operators")); err != nil {
			t.Error(err)
		}
	}
	late := rosterOp("op200", "operators")
	late.Endpoint = "PJSIP/op300"
	if _, err := r.Add(context.Background(), late, "olena"); err == nil {
		t.Fatal("the dispatcher took an operator on a phone taken meanwhile")
	}
	if !slices.Equal(store.deletes, []string{"op200"}) {
		t.Fatalf("store deletes %v, want op200's addition undone", store.deletes)
	}
	if _, ok := d.Operator("op200"); ok {
		t.Fatal("op200 is in the dispatcher")
	}
}

// A removal the store refuses puts the operator back (logged out).
func TestARemovalTheStoreRefusesPutsTheOperatorBack(t *testing.T) {
	store := &memStore{failDel: errors.New("database away")}
	d, r := newRoster(t, store, rosterOp("op101", "operators"))
	if err := r.Remove(context.Background(), "op101", "olena"); err == nil {
		t.Fatal("removed although the store failed")
	}
	if o, ok := d.Operator("op101"); !ok || o.State != queue.LoggedOut {
		t.Fatalf("op101 after the failed removal: %+v %v", o, ok)
	}
	if err := r.Remove(context.Background(), "nobody", "olena"); !errors.Is(err, queue.ErrUnknownOperator) {
		t.Fatalf("removing an unknown operator: %v", err)
	}
}
