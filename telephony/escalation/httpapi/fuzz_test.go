package httpapi_test

import (
	"testing"

	"github.com/slobozhanske/hotline/internal/api/apitest"
	"github.com/slobozhanske/hotline/telephony/escalation/httpapi"
)

// The duty roster's and escalations' request bodies, fuzzed (corpus:
// testdata/fuzz/FuzzEscalationRequestBodies).
func FuzzEscalationRequestBodies(f *testing.F) {
	apitest.FuzzBodies(f, []any{httpapi.ShiftInput{}, httpapi.RosterInput{}, httpapi.CancelInput{}},
		`{"from": "2026-12-31T17:00:00+02:00", "to": "2027-01-01T08:00:00+02:00", "people": [{"name": "Черговий", "phone": "PJSIP/duty1"}]}`,
		`{"shifts": [{"from": "", "to": "", "people": []}]}`, `{"reason": "помилковий виклик"}`,
		"{\"people\": [{\"name\": \"\xff\"}]}", `{"from": "9999-12-31T23:59:59Z"}`, `{"shifts": null}`)
}
