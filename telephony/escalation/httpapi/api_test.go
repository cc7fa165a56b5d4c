package httpapi_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/internal/api/apitest"
	"github.com/slobozhanske/hotline/internal/apiauth"
	"github.com/slobozhanske/hotline/internal/clock/clocktest"
	"github.com/slobozhanske/hotline/internal/dbtest"
	"github.com/slobozhanske/hotline/ivr"
	"github.com/slobozhanske/hotline/telephony/escalation"
	"github.com/slobozhanske/hotline/telephony/escalation/esctest"
	"github.com/slobozhanske/hotline/telephony/escalation/httpapi"
	escalationpg "github.com/slobozhanske/hotline/telephony/escalation/pgstore"
)

// Monday 23 November 2026, 10:00 in Kyiv.
var now = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)

// users by name, which is also their bearer token.
var users = map[string]apiauth.Role{"olena": apiauth.RoleSupervisor, "ivan": apiauth.RoleOperator, "root": apiauth.RoleAdmin, "vodokanal": apiauth.RoleExecutor}

type server struct {
	*apitest.Server
	engine *escalation.Engine
	store  *escalationpg.Store
}

func newServer(t *testing.T) *server {
	t.Helper()
	ctx := context.Background()
	store := escalationpg.New(dbtest.NewPool(t))
	clock := clocktest.New(now)
	duty, err := escalation.LoadDuty(ctx, store, []escalation.Shift{{People: []escalation.Person{
		{Name: "Черговий диспетчер", Phone: "PJSIP/duty1"}, {Name: "Начальник відділу ЖКГ", Phone: "0501234567"}}}}, clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	engine, err := escalation.NewEngine(escalation.Config{
		Settings: escalation.Settings{RingTimeout: 30 * time.Second, AckTimeout: time.Minute, AttemptsPerPerson: 2, RetryDelay: time.Minute},
		Store:    store, Duty: duty, Dialer: esctest.NewPhones(clock), History: esctest.NewHistory(), Clock: clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := httpapi.New(httpapi.Config{Duty: duty, Escalations: engine, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return &server{Server: apitest.Serve(t, users, h.Routes()), engine: engine, store: store}
}

func TestSupervisorsEditTheDutyRosterAndOperatorsReadIt(t *testing.T) {
	t.Parallel()
	s := newServer(t)

	s.Expect(s.Do("", "GET", "/api/v1/duty-roster", ""), http.StatusUnauthorized, "")
	s.Expect(s.Do("vodokanal", "GET", "/api/v1/duty-roster", ""), http.StatusForbidden, "")
	r := s.Do("ivan", "GET", "/api/v1/duty-roster", "")
	s.Expect(r, http.StatusOK, "")
	onDuty := r.Body["on_duty"].(map[string]any)
	if onDuty["standing"] != true || len(onDuty["people"].([]any)) != 2 {
		t.Fatalf("on duty now: %v", onDuty)
	}

	eve := `{"from": "2026-12-31T17:00:00+02:00", "to": "2027-01-01T07:00:00+02:00",
		"people": [{"name": "Новорічний черговий", "phone": "+380661234567"}]}`
	s.Expect(s.Do("ivan", "POST", "/api/v1/duty-roster/shifts", eve), http.StatusForbidden, "")
	r = s.Do("olena", "POST", "/api/v1/duty-roster/shifts", eve)
	s.Expect(r, http.StatusCreated, "")
	id := int64(r.Body["id"].(float64))

	r = s.Do("ivan", "GET", "/api/v1/duty-roster/on-duty?at=2026-12-31T23:00:00%2B02:00", "")
	s.Expect(r, http.StatusOK, "")
	if got := int64(r.Body["on_duty"].(map[string]any)["id"].(float64)); got != id {
		t.Errorf("on New Year's Eve shift %d is on duty, want %d", got, id)
	}

	for _, tc := range []struct {
		body, field string
	}{
		{`{"from": "31.12.2026", "people": [{"name": "X", "phone": "PJSIP/duty2"}]}`, "from"},
		{`{"people": []}`, "people"},
		{`{"from": "2026-12-31T17:00:00+02:00", "people": [{"name": "X", "phone": "дзвоніть мені"}]}`, "people[0].phone"},
		{`{"from": "2026-12-31T17:00:00+02:00", "people": [{"phone": "PJSIP/duty2"}]}`, "people[0].name"},
		{`{"people": [{"name": "X", "phone": "PJSIP/duty2"}]}`, "from"}, // a second standing chain
		{`{"people": [{"name": "X", "phone": 5}]}`, "people.phone"},
		{`{"people": [], "shift": 1}`, "shift"},
	} {
		s.Expect(s.Do("olena", "POST", "/api/v1/duty-roster/shifts", tc.body), http.StatusBadRequest, tc.field)
	}

	r = s.Do("olena", "PUT", "/api/v1/duty-roster/shifts/"+itoa(id), `{"from": "2026-12-31T15:00:00+02:00", "to": "2027-01-01T07:00:00+02:00",
		"people": [{"name": "Новорічний черговий", "phone": "+380661234567"}, {"name": "Черговий диспетчер", "phone": "PJSIP/duty1"}]}`)
	s.Expect(r, http.StatusOK, "")
	s.Expect(s.Do("olena", "PUT", "/api/v1/duty-roster/shifts/999999", eve), http.StatusNotFound, "")
	s.Expect(s.Do("olena", "GET", "/api/v1/duty-roster/shifts/abc", ""), http.StatusBadRequest, "id")
	s.Expect(s.Do("olena", "DELETE", "/api/v1/duty-roster/shifts/"+itoa(id), ""), http.StatusNoContent, "")
	s.Expect(s.Do("olena", "GET", "/api/v1/duty-roster/shifts/"+itoa(id), ""), http.StatusNotFound, "")

	r = s.Do("root", "PUT", "/api/v1/duty-roster", `{"shifts": [{"people": [{"name": "Черговий диспетчер", "phone": "PJSIP/duty1"}]},
		{"from": "2026-12-31T17:00:00+02:00", "people": [{"name": "X", "phone": "bad phone"}]}]}`)
	s.Expect(r, http.StatusBadRequest, "shifts[1].people[0].phone")
	r = s.Do("root", "PUT", "/api/v1/duty-roster", `{"shifts": [{"people": [{"name": "Черговий диспетчер", "phone": "PJSIP/duty1"}]}]}`)
	s.Expect(r, http.StatusOK, "")
	if n := len(r.Body["shifts"].([]any)); n != 1 {
		t.Errorf("%d shifts after the replacement, want 1", n)
	}
}

func TestEscalationsAreListedWithTheirAttemptsAndSupervisorsCancelThem(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	ctx := context.Background()
	if err := s.engine.Start(ctx, ivr.SOSAlert{Appeal: ivr.Appeal{ID: "a1", Number: "2026-000123", SpokenDigits: "123", Category: "water"},
		CallID: "c1", CallerNumber: "0671112233", Recording: "r1"}); err != nil {
		t.Fatal(err)
	}
	list, err := s.store.List(ctx, escalation.Filter{})
	if err != nil || len(list) != 1 {
		t.Fatal(list, err)
	}
	esc := list[0]
	// An attempt as the engine stores it.
	id, err := s.store.BeginAttempt(ctx, escalation.Attempt{EscalationID: esc.ID, Round: 1, Try: 1, Name: "Черговий диспетчер",
		Phone: "PJSIP/duty1", Endpoint: "PJSIP/duty1", StartedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	esc.Try = 2
	if err := s.store.FinishAttempt(ctx, escalation.Attempt{ID: id, EscalationID: esc.ID, EndedAt: now.Add(30 * time.Second),
		Result: escalation.ResultNoAnswer}, esc); err != nil {
		t.Fatal(err)
	}

	r := s.Do("ivan", "GET", "/api/v1/escalations?state=active", "")
	s.Expect(r, http.StatusOK, "")
	if len(r.List) != 1 {
		t.Fatalf("active escalations: %s", r.Raw)
	}
	got := r.List[0].(map[string]any)
	attempts := got["attempts"].([]any)
	if got["appeal_number"] != "2026-000123" || got["state"] != "active" || len(attempts) != 1 ||
		attempts[0].(map[string]any)["result"] != "no_answer" || attempts[0].(map[string]any)["ended_at"] == nil {
		t.Fatalf("escalation as listed: %s", r.Raw)
	}
	s.Expect(s.Do("ivan", "GET", "/api/v1/escalations?state=ringing", ""), http.StatusBadRequest, "state")
	s.Expect(s.Do("ivan", "GET", "/api/v1/escalations?limit=0", ""), http.StatusBadRequest, "limit")
	s.Expect(s.Do("ivan", "GET", "/api/v1/escalations/nope", ""), http.StatusNotFound, "")

	s.Expect(s.Do("ivan", "POST", "/api/v1/escalations/"+esc.ID+"/cancel", `{"reason": "x"}`), http.StatusForbidden, "")
	r = s.Do("olena", "POST", "/api/v1/escalations/"+esc.ID+"/cancel", `{"reason": "дозвонилися на мобільний"}`)
	s.Expect(r, http.StatusOK, "")
	if r.Body["state"] != "cancelled" || r.Body["ended_by"] != "olena" || r.Body["next_attempt_at"] != nil {
		t.Errorf("cancelled escalation: %s", r.Raw)
	}
	s.Expect(s.Do("olena", "POST", "/api/v1/escalations/"+esc.ID+"/cancel", ""), http.StatusConflict, "")
	r = s.Do("ivan", "GET", "/api/v1/escalations?state=active", "")
	if len(r.List) != 0 {
		t.Errorf("active escalations after the cancellation: %s", r.Raw)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
