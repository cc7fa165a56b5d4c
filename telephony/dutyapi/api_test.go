package dutyapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/internal/clock/clocktest"
	"github.com/slobozhanske/hotline/internal/dbtest"
	"github.com/slobozhanske/hotline/ivr"
	"github.com/slobozhanske/hotline/telephony/dutyapi"
	"github.com/slobozhanske/hotline/telephony/escalation"
	"github.com/slobozhanske/hotline/telephony/escalation/esctest"
	escalationpg "github.com/slobozhanske/hotline/telephony/escalation/pgstore"
	"github.com/slobozhanske/hotline/telephony/schedule"
	schedulepg "github.com/slobozhanske/hotline/telephony/schedule/pgstore"
)

// Monday 23 November 2026, 10:00 in Kyiv.
var now = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)

type server struct {
	t      *testing.T
	srv    *httptest.Server
	engine *escalation.Engine
	store  *escalationpg.Store
}

// users by token: the test's Authorization header is "Bearer <user>".
var roles = map[string]string{"olena": dutyapi.RoleSupervisor, "ivan": dutyapi.RoleOperator, "root": dutyapi.RoleAdmin, "vodokanal": "executor"}

func authorize(r *http.Request, allowed ...string) (string, bool) {
	user := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	role, ok := roles[user]
	if !ok {
		return "", false
	}
	return user, slices.Contains(allowed, role)
}

func newServer(t *testing.T) *server {
	t.Helper()
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	store := escalationpg.New(pool)
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
	cfg := schedule.DefaultConfig()
	cfg.Exceptions = []schedule.Exception{{Date: "2026-12-25", Name: "Різдво Христове", Closed: true}}
	sch, err := schedule.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m, err := schedule.Load(ctx, sch, schedulepg.New(pool), clock.Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := dutyapi.New(dutyapi.Config{Duty: duty, Escalations: engine, Schedule: m,
		Auth: dutyapi.AuthorizerFunc(authorize), Now: clock.Now})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &server{t: t, srv: srv, engine: engine, store: store}
}

type response struct {
	code int
	body map[string]any
	list []any
	raw  string
}

// errorField is the field an error answer names ({"error": {"field": …}}).
func (r response) errorField() any {
	if e, ok := r.body["error"].(map[string]any); ok {
		return e["field"]
	}
	return nil
}

func (s *server) do(user, method, path, body string) response {
	s.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.srv.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+user)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := response{code: res.StatusCode, raw: string(raw)}
	if len(raw) > 0 && raw[0] == '[' {
		_ = json.Unmarshal(raw, &out.list)
	} else if len(raw) > 0 {
		_ = json.Unmarshal(raw, &out.body)
	}
	return out
}

func (s *server) expect(r response, code int, field string) {
	s.t.Helper()
	if r.code != code {
		s.t.Fatalf("status %d, want %d: %s", r.code, code, r.raw)
	}
	if field != "" && r.errorField() != field {
		s.t.Fatalf("error names field %v, want %s: %s", r.errorField(), field, r.raw)
	}
}

func TestSupervisorsEditTheDutyRosterAndOperatorsReadIt(t *testing.T) {
	t.Parallel()
	s := newServer(t)

	s.expect(s.do("", "GET", "/api/v1/duty-roster", ""), http.StatusUnauthorized, "")
	s.expect(s.do("vodokanal", "GET", "/api/v1/duty-roster", ""), http.StatusForbidden, "")
	r := s.do("ivan", "GET", "/api/v1/duty-roster", "")
	s.expect(r, http.StatusOK, "")
	onDuty := r.body["on_duty"].(map[string]any)
	if onDuty["standing"] != true || len(onDuty["people"].([]any)) != 2 {
		t.Fatalf("on duty now: %v", onDuty)
	}

	eve := `{"from": "2026-12-31T17:00:00+02:00", "to": "2027-01-01T07:00:00+02:00",
		"people": [{"name": "Новорічний черговий", "phone": "+380661234567"}]}`
	s.expect(s.do("ivan", "POST", "/api/v1/duty-roster/shifts", eve), http.StatusForbidden, "")
	r = s.do("olena", "POST", "/api/v1/duty-roster/shifts", eve)
	s.expect(r, http.StatusCreated, "")
	id := int64(r.body["id"].(float64))

	r = s.do("ivan", "GET", "/api/v1/duty-roster/on-duty?at=2026-12-31T23:00:00%2B02:00", "")
	s.expect(r, http.StatusOK, "")
	if got := int64(r.body["on_duty"].(map[string]any)["id"].(float64)); got != id {
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
		s.expect(s.do("olena", "POST", "/api/v1/duty-roster/shifts", tc.body), http.StatusBadRequest, tc.field)
	}

	r = s.do("olena", "PUT", "/api/v1/duty-roster/shifts/"+itoa(id), `{"from": "2026-12-31T15:00:00+02:00", "to": "2027-01-01T07:00:00+02:00",
		"people": [{"name": "Новорічний черговий", "phone": "+380661234567"}, {"name": "Черговий диспетчер", "phone": "PJSIP/duty1"}]}`)
	s.expect(r, http.StatusOK, "")
	s.expect(s.do("olena", "PUT", "/api/v1/duty-roster/shifts/999999", eve), http.StatusNotFound, "")
	s.expect(s.do("olena", "GET", "/api/v1/duty-roster/shifts/abc", ""), http.StatusBadRequest, "id")
	s.expect(s.do("olena", "DELETE", "/api/v1/duty-roster/shifts/"+itoa(id), ""), http.StatusNoContent, "")
	s.expect(s.do("olena", "GET", "/api/v1/duty-roster/shifts/"+itoa(id), ""), http.StatusNotFound, "")

	r = s.do("root", "PUT", "/api/v1/duty-roster", `{"shifts": [{"people": [{"name": "Черговий диспетчер", "phone": "PJSIP/duty1"}]},
		{"from": "2026-12-31T17:00:00+02:00", "people": [{"name": "X", "phone": "bad phone"}]}]}`)
	s.expect(r, http.StatusBadRequest, "shifts[1].people[0].phone")
	r = s.do("root", "PUT", "/api/v1/duty-roster", `{"shifts": [{"people": [{"name": "Черговий диспетчер", "phone": "PJSIP/duty1"}]}]}`)
	s.expect(r, http.StatusOK, "")
	if n := len(r.body["shifts"].([]any)); n != 1 {
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

	r := s.do("ivan", "GET", "/api/v1/escalations?state=active", "")
	s.expect(r, http.StatusOK, "")
	if len(r.list) != 1 {
		t.Fatalf("active escalations: %s", r.raw)
	}
	got := r.list[0].(map[string]any)
	attempts := got["attempts"].([]any)
	if got["appeal_number"] != "2026-000123" || got["state"] != "active" || len(attempts) != 1 ||
		attempts[0].(map[string]any)["result"] != "no_answer" || attempts[0].(map[string]any)["ended_at"] == nil {
		t.Fatalf("escalation as listed: %s", r.raw)
	}
	s.expect(s.do("ivan", "GET", "/api/v1/escalations?state=ringing", ""), http.StatusBadRequest, "state")
	s.expect(s.do("ivan", "GET", "/api/v1/escalations?limit=0", ""), http.StatusBadRequest, "limit")
	s.expect(s.do("ivan", "GET", "/api/v1/escalations/nope", ""), http.StatusNotFound, "")

	s.expect(s.do("ivan", "POST", "/api/v1/escalations/"+esc.ID+"/cancel", `{"reason": "x"}`), http.StatusForbidden, "")
	r = s.do("olena", "POST", "/api/v1/escalations/"+esc.ID+"/cancel", `{"reason": "дозвонилися на мобільний"}`)
	s.expect(r, http.StatusOK, "")
	if r.body["state"] != "cancelled" || r.body["ended_by"] != "olena" || r.body["next_attempt_at"] != nil {
		t.Errorf("cancelled escalation: %s", r.raw)
	}
	s.expect(s.do("olena", "POST", "/api/v1/escalations/"+esc.ID+"/cancel", ""), http.StatusConflict, "")
	r = s.do("ivan", "GET", "/api/v1/escalations?state=active", "")
	if len(r.list) != 0 {
		t.Errorf("active escalations after the cancellation: %s", r.raw)
	}
}

func TestSupervisorsSetScheduleExceptionsAndTheDayNightSwitch(t *testing.T) {
	t.Parallel()
	s := newServer(t)

	r := s.do("ivan", "GET", "/api/v1/schedule/state?at=2026-11-23T10:00:00%2B02:00", "")
	s.expect(r, http.StatusOK, "")
	if r.body["state"] != "open" || r.body["override"] != nil {
		t.Fatalf("state on Monday at 10:00: %s", r.raw)
	}
	s.expect(s.do("ivan", "GET", "/api/v1/schedule/state?at=tomorrow", ""), http.StatusBadRequest, "at")

	short := `{"name": "передсвятковий", "hours": [{"from": "08:00", "to": "13:00"}]}`
	s.expect(s.do("ivan", "PUT", "/api/v1/schedule/exceptions/2026-12-31", short), http.StatusForbidden, "")
	r = s.do("olena", "PUT", "/api/v1/schedule/exceptions/2026-12-31", short)
	s.expect(r, http.StatusOK, "")
	if r.body["source"] != "api" || r.body["updated_by"] != "olena" {
		t.Errorf("exception as set: %s", r.raw)
	}
	r = s.do("ivan", "GET", "/api/v1/schedule/state?at=2026-12-31T14:00:00%2B02:00", "")
	if r.body["state"] != "closed" || !strings.Contains(r.body["rule"].(string), "2026-12-31") {
		t.Errorf("31 December at 14:00: %s", r.raw)
	}
	for _, tc := range []struct{ date, body, field string }{
		{"2026-12-31", `{"hours": [{"from": "8:00", "to": "13:00"}]}`, "hours[0].from"},
		{"2026-12-31", `{"closed": true, "hours": [{"from": "08:00", "to": "13:00"}]}`, "hours"},
		{"2026-12-31", `{"hours": [{"from": "08:00", "to": "13:00"}], "breaks": [{"from": "13:00", "to": "13:30"}]}`, "breaks"},
		{"2026-12-31", `{"date": "2026-12-30", "closed": true}`, "date"},
		{"2026-12-31", `{"closed": "yes"}`, "closed"},
		{"2026-02-30", `{"closed": true}`, "date"},
	} {
		s.expect(s.do("olena", "PUT", "/api/v1/schedule/exceptions/"+tc.date, tc.body), http.StatusBadRequest, tc.field)
	}
	r = s.do("ivan", "GET", "/api/v1/schedule/exceptions", "")
	if len(r.list) != 2 || r.list[0].(map[string]any)["source"] != "config" || r.list[1].(map[string]any)["source"] != "api" {
		t.Errorf("exceptions: %s", r.raw)
	}
	s.expect(s.do("olena", "DELETE", "/api/v1/schedule/exceptions/2026-12-25", ""), http.StatusNoContent, "")
	s.expect(s.do("olena", "DELETE", "/api/v1/schedule/exceptions/2026-12-25", ""), http.StatusNotFound, "")
	s.expect(s.do("ivan", "GET", "/api/v1/schedule/exceptions/2026-12-25", ""), http.StatusNotFound, "date")

	// The night switch: a storm closes the hotline until tomorrow morning.
	storm := `{"state": "closed", "until": "2026-11-24T08:00:00+02:00", "reason": "буря"}`
	r = s.do("olena", "PUT", "/api/v1/schedule/override", storm)
	s.expect(r, http.StatusOK, "")
	r = s.do("ivan", "GET", "/api/v1/schedule/state", "")
	if r.body["state"] != "closed" || r.body["override"] == nil || !strings.Contains(r.body["rule"].(string), "override") {
		t.Errorf("state during the storm: %s", r.raw)
	}
	for _, tc := range []struct{ body, field string }{
		{`{"state": "night", "until": "2026-11-24T08:00:00+02:00"}`, "state"},
		{`{"state": "closed", "until": "tomorrow"}`, "until"},
		{`{"state": "closed", "until": "2026-11-23T09:00:00+02:00"}`, "until"},
		{`{"state": "closed"}`, "until"},
	} {
		s.expect(s.do("olena", "PUT", "/api/v1/schedule/override", tc.body), http.StatusBadRequest, tc.field)
	}
	s.expect(s.do("olena", "DELETE", "/api/v1/schedule/override", ""), http.StatusNoContent, "")
	s.expect(s.do("olena", "DELETE", "/api/v1/schedule/override", ""), http.StatusNotFound, "")
	r = s.do("ivan", "GET", "/api/v1/schedule/override", "")
	if r.code != http.StatusOK || r.body["override"] != nil {
		t.Errorf("override after clearing: %s", r.raw)
	}
	r = s.do("ivan", "GET", "/api/v1/schedule/override/history", "")
	if len(r.list) != 1 || r.list[0].(map[string]any)["cleared_by"] != "olena" {
		t.Errorf("switch history: %s", r.raw)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
