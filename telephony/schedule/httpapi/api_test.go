package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/internal/api/apitest"
	"github.com/slobozhanske/hotline/internal/apiauth"
	"github.com/slobozhanske/hotline/internal/dbtest"
	"github.com/slobozhanske/hotline/telephony/schedule"
	"github.com/slobozhanske/hotline/telephony/schedule/httpapi"
	schedulepg "github.com/slobozhanske/hotline/telephony/schedule/pgstore"
)

// Monday 23 November 2026, 10:00 in Kyiv.
var now = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)

// users by name, which is also their bearer token.
var users = map[string]apiauth.Role{"olena": apiauth.RoleSupervisor, "ivan": apiauth.RoleOperator, "root": apiauth.RoleAdmin}

func newServer(t *testing.T) *apitest.Server {
	t.Helper()
	cfg := schedule.DefaultConfig()
	cfg.Exceptions = []schedule.Exception{{Date: "2026-12-25", Name: "Різдво Христове", Closed: true}}
	sch, err := schedule.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return now }
	m, err := schedule.Load(context.Background(), sch, schedulepg.New(dbtest.NewPool(t)), clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := httpapi.New(httpapi.Config{Schedule: m, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	return apitest.Serve(t, users, h.Routes())
}

func TestSupervisorsSetScheduleExceptionsAndTheDayNightSwitch(t *testing.T) {
	t.Parallel()
	s := newServer(t)

	r := s.Do("ivan", "GET", "/api/v1/schedule/state?at=2026-11-23T10:00:00%2B02:00", "")
	s.Expect(r, http.StatusOK, "")
	if r.Body["state"] != "open" || r.Body["override"] != nil {
		t.Fatalf("state on Monday at 10:00: %s", r.Raw)
	}
	s.Expect(s.Do("ivan", "GET", "/api/v1/schedule/state?at=tomorrow", ""), http.StatusBadRequest, "at")

	short := `{"name": "передсвятковий", "hours": [{"from": "08:00", "to": "13:00"}]}`
	s.Expect(s.Do("ivan", "PUT", "/api/v1/schedule/exceptions/2026-12-31", short), http.StatusForbidden, "")
	r = s.Do("olena", "PUT", "/api/v1/schedule/exceptions/2026-12-31", short)
	s.Expect(r, http.StatusOK, "")
	if r.Body["source"] != "api" || r.Body["updated_by"] != "olena" {
		t.Errorf("exception as set: %s", r.Raw)
	}
	r = s.Do("ivan", "GET", "/api/v1/schedule/state?at=2026-12-31T14:00:00%2B02:00", "")
	if r.Body["state"] != "closed" || !strings.Contains(r.Body["rule"].(string), "2026-12-31") {
		t.Errorf("31 December at 14:00: %s", r.Raw)
	}
	for _, tc := range []struct{ date, body, field string }{
		{"2026-12-31", `{"hours": [{"from": "8:00", "to": "13:00"}]}`, "hours[0].from"},
		{"2026-12-31", `{"closed": true, "hours": [{"from": "08:00", "to": "13:00"}]}`, "hours"},
		{"2026-12-31", `{"hours": [{"from": "08:00", "to": "13:00"}], "breaks": [{"from": "13:00", "to": "13:30"}]}`, "breaks[0]"},
		{"2026-12-31", `{"date": "2026-12-30", "closed": true}`, "date"},
		{"2026-12-31", `{"closed": "yes"}`, "closed"},
		{"2026-02-30", `{"closed": true}`, "date"},
	} {
		s.Expect(s.Do("olena", "PUT", "/api/v1/schedule/exceptions/"+tc.date, tc.body), http.StatusBadRequest, tc.field)
	}
	r = s.Do("ivan", "GET", "/api/v1/schedule/exceptions", "")
	if len(r.List) != 2 || r.List[0].(map[string]any)["source"] != "config" || r.List[1].(map[string]any)["source"] != "api" {
		t.Errorf("exceptions: %s", r.Raw)
	}
	s.Expect(s.Do("olena", "DELETE", "/api/v1/schedule/exceptions/2026-12-25", ""), http.StatusNoContent, "")
	s.Expect(s.Do("olena", "DELETE", "/api/v1/schedule/exceptions/2026-12-25", ""), http.StatusNotFound, "")
	s.Expect(s.Do("ivan", "GET", "/api/v1/schedule/exceptions/2026-12-25", ""), http.StatusNotFound, "date")

	// The night switch: a storm closes the hotline until tomorrow morning.
	storm := `{"state": "closed", "until": "2026-11-24T08:00:00+02:00", "reason": "буря"}`
	r = s.Do("olena", "PUT", "/api/v1/schedule/override", storm)
	s.Expect(r, http.StatusOK, "")
	r = s.Do("ivan", "GET", "/api/v1/schedule/state", "")
	if r.Body["state"] != "closed" || r.Body["override"] == nil || !strings.Contains(r.Body["rule"].(string), "override") {
		t.Errorf("state during the storm: %s", r.Raw)
	}
	for _, tc := range []struct{ body, field string }{
		{`{"state": "night", "until": "2026-11-24T08:00:00+02:00"}`, "state"},
		{`{"state": "closed", "until": "tomorrow"}`, "until"},
		{`{"state": "closed", "until": "2026-11-23T09:00:00+02:00"}`, "until"},
		{`{"state": "closed"}`, "until"},
	} {
		s.Expect(s.Do("olena", "PUT", "/api/v1/schedule/override", tc.body), http.StatusBadRequest, tc.field)
	}
	s.Expect(s.Do("olena", "DELETE", "/api/v1/schedule/override", ""), http.StatusNoContent, "")
	s.Expect(s.Do("olena", "DELETE", "/api/v1/schedule/override", ""), http.StatusNotFound, "")
	r = s.Do("ivan", "GET", "/api/v1/schedule/override", "")
	if r.Code != http.StatusOK || r.Body["override"] != nil {
		t.Errorf("override after clearing: %s", r.Raw)
	}
	r = s.Do("ivan", "GET", "/api/v1/schedule/override/history", "")
	if len(r.List) != 1 || r.List[0].(map[string]any)["cleared_by"] != "olena" {
		t.Errorf("switch history: %s", r.Raw)
	}
}
