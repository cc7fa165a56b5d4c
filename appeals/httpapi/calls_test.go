package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/slobozhanske/hotline/appeals/httpapi"
	"github.com/slobozhanske/hotline/appeals/internal/apptest"
	"github.com/slobozhanske/hotline/internal/api"
	"github.com/slobozhanske/hotline/internal/apiauth"
)

// knownCalls are the call records in memory.
type knownCalls map[string]bool

func (k knownCalls) KnownCall(_ context.Context, id string) (bool, error) { return k[id], nil }

// newFixtureWithCalls is newFixture whose API checks call ids against calls.
func newFixtureWithCalls(t *testing.T, calls httpapi.CallRecords) *fixture {
	t.Helper()
	f := newFixture(t)
	appealsAPI, err := httpapi.New(httpapi.Config{Service: f.env.Service, Desk: f.desk, Calls: calls, Log: apptest.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := apiauth.NewTokens([]apiauth.Token{{User: "op101", Role: "operator", Token: opToken},
		{User: "sup1", Role: "supervisor", Token: supToken}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if f.h, err = api.New(api.Config{Auth: tokens, Log: apptest.Quiet()}, appealsAPI.Routes()); err != nil {
		t.Fatal(err)
	}
	return f
}

const waterCard = `{"surname": "Шевченко", "first_name": "Олена", "address": "вул. Центральна, 5", "contact_phone": "0501234567",
	"essence": "Тече вода з труби у підвалі", "category": "water"%s}`

// A card is linked only to a call some record has: a made-up call_id is a
// 422 naming call_id, on create and on a later link. The operator's call
// now needs no record yet (it may still be on its way to the database).
func TestACardIsNotLinkedToACallNoRecordHas(t *testing.T) {
	f := newFixtureWithCalls(t, knownCalls{"1700000000.1": true})
	r := f.do(t, opToken, "POST", "/api/v1/appeals", fmt.Sprintf(waterCard, `, "call_id": "no-such-call"`))
	if r.code != http.StatusUnprocessableEntity || r.errField() != "call_id" || r.errCode() != "unknown_call" {
		t.Fatalf("create with an unknown call: %d %s", r.code, r.raw)
	}
	r = f.do(t, opToken, "POST", "/api/v1/appeals", fmt.Sprintf(waterCard, `, "call_id": "1700000000.1"`))
	if r.code != http.StatusCreated {
		t.Fatalf("create with a recorded call: %d %s", r.code, r.raw)
	}
	id := r.str("id")
	if r := f.do(t, opToken, "POST", "/api/v1/appeals/"+id+"/calls", `{"call_id": "1699999999.9"}`); r.code != http.StatusUnprocessableEntity || r.errField() != "call_id" {
		t.Fatalf("link an unknown call: %d %s", r.code, r.raw)
	}
	f.desk.setCall("op101", "1700000777.7") // on the line now, no record yet
	if r := f.do(t, opToken, "POST", "/api/v1/appeals", fmt.Sprintf(waterCard, "")); r.code != http.StatusCreated {
		t.Fatalf("create on the operator's call: %d %s", r.code, r.raw)
	}
	if r := f.do(t, opToken, "POST", "/api/v1/appeals/"+id+"/calls", `{"call_id": "1700000777.7"}`); r.code != http.StatusOK {
		t.Fatalf("link the operator's call: %d %s", r.code, r.raw)
	}
}

// A read-back on a call that is not with an operator (ended, in the menu,
// in the queue) is a 409 naming the call, not a 502: telephony did not fail.
func TestAReadBackOnACallNotWithAnOperatorIsAConflict(t *testing.T) {
	f := newFixture(t)
	f.desk.setCall("op101", "1700000000.1")
	r := f.do(t, opToken, "POST", "/api/v1/appeals", fmt.Sprintf(waterCard, ""))
	if r.code != http.StatusCreated {
		t.Fatalf("create: %d %s", r.code, r.raw)
	}
	id := r.str("id")
	f.desk.setCall("op101", "")
	f.desk.fail = fmt.Errorf("read back: %w: call is not in conversation", httpapi.ErrCallNotConnected)
	rr := f.do(t, opToken, "POST", "/api/v1/calls/1700000000.1/read-back", jsonf(`{"appeal_id": %q}`, id))
	if rr.code != http.StatusConflict || rr.errCode() != "call_not_connected" || rr.errField() != "call_id" {
		t.Fatalf("read back on a call gone from the operator: %d %s", rr.code, rr.raw)
	}
	f.desk.fail = errDeskDown
	rr = f.do(t, opToken, "POST", "/api/v1/calls/1700000000.1/read-back", jsonf(`{"appeal_id": %q}`, id))
	if rr.code != http.StatusBadGateway || !strings.Contains(rr.raw, "read_back_failed") {
		t.Fatalf("read back with telephony down: %d %s", rr.code, rr.raw)
	}
}
