package httpapi_test

import (
	"testing"

	"github.com/slobozhanske/hotline/appeals/httpapi"
	"github.com/slobozhanske/hotline/internal/api/apitest"
)

// The appeals' request bodies, fuzzed (corpus: testdata/fuzz/FuzzAppealsRequestBodies).
func FuzzAppealsRequestBodies(f *testing.F) {
	apitest.FuzzBodies(f, []any{httpapi.CreateRequest{}, httpapi.PatchRequest{}, httpapi.TransitionRequest{},
		httpapi.AssignRequest{}, httpapi.ExtendRequest{}, httpapi.RepeatRequest{}, httpapi.CommentRequest{},
		httpapi.AttachmentRequest{}, httpapi.LinkCallRequest{}, httpapi.ReadBackRequest{}},
		`{"surname": "Шевченко", "first_name": "Олена", "essence": "Тече вода", "category": "water", "call_id": "1700000000.1"}`,
		`{"version": 3, "to": "accepted", "reason": "так", "priority": "sos", "read_back": false}`,
		`{"resolve_by": "2026-12-01T17:00:00+02:00", "text": "рядок\nдругий", "kind": "photo", "ref": "s3://x"}`,
		"{\"essence\": \"a\xff\"}", `{"essence": "a\u0000\u202e"}`, `{"version": 1, "version": 2}`)
}
