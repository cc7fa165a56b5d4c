package httpapi_test

import (
	"testing"

	"github.com/slobozhanske/hotline/internal/api/apitest"
	"github.com/slobozhanske/hotline/telephony/queue/httpapi"
)

// The queue's request bodies, fuzzed (corpus: testdata/fuzz/FuzzQueueRequestBodies).
func FuzzQueueRequestBodies(f *testing.F) {
	apitest.FuzzBodies(f, []any{httpapi.OperatorInput{}, httpapi.PauseInput{}, httpapi.TransferInput{}},
		`{"id": "op106", "name": "Оператор 106", "endpoint": "PJSIP/op106", "queues": ["operators"], "skills": {"operators": 2}}`,
		`{"reason": "обід"}`, `{"to": "menu", "queue": "appeals", "node": "main"}`,
		"{\"name\": \"\xc3\x28\"}", `{"queues": [1, {}]}`, `{"name": "a", "Name": "b"}`)
}
