package httpapi_test

import (
	"testing"

	"github.com/slobozhanske/hotline/internal/api/apitest"
	"github.com/slobozhanske/hotline/telephony/schedule/httpapi"
)

// The schedule's request bodies, fuzzed (corpus: testdata/fuzz/FuzzScheduleRequestBodies).
func FuzzScheduleRequestBodies(f *testing.F) {
	apitest.FuzzBodies(f, []any{httpapi.ExceptionInput{}, httpapi.OverrideInput{}},
		`{"name": "передсвятковий", "hours": [{"from": "08:00", "to": "13:00"}], "breaks": [{"name": "обід", "from": "12:00", "to": "12:30"}]}`,
		`{"state": "closed", "until": "2026-11-24T08:00:00+02:00", "reason": "буря"}`, `{"closed": true, "date": "2026-12-31"}`,
		"{\"reason\": \"\xed\xa0\x80\"}", `{"hours": [{"from": "25:00"}]}`, `{"state": "open", "state": "closed"}`)
}
