package httpapi_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestAStaleUpdateGets409AndOverwritesNothing(t *testing.T) {
	f := newFixture(t)
	c := f.card(t)
	path := "/api/v1/appeals/" + c.ID
	first := f.do(t, opToken, "PATCH", path, jsonf(`{"version": %d, "essence": "Тече гаряча вода в підвалі"}`, c.Version))
	if first.code != 200 || first.num("version") != c.Version+1 {
		t.Fatalf("first edit: %d %s", first.code, first.raw)
	}
	stale := f.do(t, supToken, "PATCH", path, jsonf(`{"version": %d, "essence": "Тече холодна вода"}`, c.Version))
	if stale.code != http.StatusConflict || stale.errCode() != "version_conflict" || stale.errField() != "version" {
		t.Fatalf("stale edit: %d %s", stale.code, stale.raw)
	}
	got := f.do(t, supToken, "GET", path, "")
	if got.str("essence") != "Тече гаряча вода в підвалі" || got.num("version") != c.Version+1 {
		t.Fatalf("after the stale edit: %s", got.raw)
	}
	// Every other endpoint that changes the card refuses the stale version too.
	for _, req := range []struct{ token, suffix, body string }{
		{vkToken, "/transitions", `{"to": "accepted", "version": %d}`},
		{supToken, "/executor", `{"executor": "zhkg", "reason": "мережа ЖКГ", "version": %d}`},
		{supToken, "/extensions", `{"resolve_by": "2026-12-10T17:00:00+02:00", "reason": "заміна труби", "version": %d}`},
	} {
		r := f.do(t, req.token, "POST", path+req.suffix, jsonf(req.body, c.Version))
		if r.code != http.StatusConflict || r.errCode() != "version_conflict" {
			t.Errorf("stale POST %s: %d %s", req.suffix, r.code, r.raw)
		}
	}
	got = f.do(t, supToken, "GET", path, "")
	if got.num("version") != c.Version+1 || got.str("status") != "sent_to_executor" || got.str("executor") != "vodokanal" {
		t.Errorf("after the stale requests: %s", got.raw)
	}
}

func TestMalformedRequestsGet400NamingTheField(t *testing.T) {
	f := newFixture(t)
	c := f.card(t)
	card := "/api/v1/appeals/" + c.ID
	for _, tc := range []struct {
		name, method, path, body string
		code                     int
		field                    string
	}{
		{"malformed JSON", "POST", "/api/v1/appeals", `{"essence": "x",`, 400, ""},
		{"not an object", "POST", "/api/v1/appeals", `[1, 2]`, 400, ""},
		{"empty body", "POST", "/api/v1/appeals", ``, 400, ""},
		{"unknown field", "POST", "/api/v1/appeals", `{"essence": "x", "colour": "red"}`, 400, "colour"},
		{"wrong type", "POST", "/api/v1/appeals", `{"essence": 5}`, 400, "essence"},
		{"boolean as a string", "POST", "/api/v1/appeals", `{"essence": "x", "anonymous": "yes"}`, 400, "anonymous"},
		{"two objects", "POST", card + "/comments", `{"text": "a"} {"text": "b"}`, 400, ""},
		{"bad phone", "POST", "/api/v1/appeals", `{"essence": "x", "surname": "Ш", "first_name": "О", "address": "вул. 1", "contact_phone": "нема"}`, 400, "contact_phone"},
		{"missing essence", "POST", "/api/v1/appeals", `{"anonymous": true}`, 400, "essence"},
		{"anonymous with a name", "POST", "/api/v1/appeals", `{"anonymous": true, "essence": "x", "surname": "Ш"}`, 400, "surname"},
		{"unknown category", "POST", "/api/v1/appeals", `{"anonymous": true, "essence": "x", "category": "space"}`, 400, "category"},
		{"version as a string", "PATCH", card, `{"version": "1"}`, 400, "version"},
		{"no version", "PATCH", card, `{"essence": "y"}`, 400, "version"},
		{"unknown status", "POST", card + "/transitions", jsonf(`{"to": "flying", "version": %d}`, c.Version), 400, "to"},
		{"no such step", "POST", card + "/transitions", jsonf(`{"to": "closed", "version": %d}`, c.Version), 409, "to"},
		{"bad deadline", "POST", card + "/extensions", jsonf(`{"resolve_by": "tomorrow", "reason": "x", "version": %d}`, c.Version), 400, "resolve_by"},
		{"unknown executor", "POST", card + "/executor", jsonf(`{"executor": "nasa", "reason": "x", "version": %d}`, c.Version), 400, "executor"},
		{"bad limit", "GET", "/api/v1/appeals?limit=many", "", 400, "limit"},
		{"limit too big", "GET", "/api/v1/appeals?limit=100000", "", 400, "limit"},
		{"bad boolean", "GET", "/api/v1/appeals?overdue=maybe", "", 400, "overdue"},
		{"misspelt parameter", "GET", "/api/v1/appeals?stauts=closed", "", 400, "stauts"},
		{"bad date", "GET", "/api/v1/appeals?from=yesterday", "", 400, "from"},
		{"bad status filter", "GET", "/api/v1/appeals?status=lost", "", 400, "status"},
		{"report without a period", "GET", "/api/v1/reports/overdue", "", 400, "week"},
		{"bad week", "GET", "/api/v1/reports/overdue?week=2026-W60", "", 400, "week"},
		{"not an id", "GET", "/api/v1/appeals/not-a-uuid", "", 404, ""},
		{"no such endpoint", "GET", "/api/v1/nowhere", "", 404, ""},
		{"too large", "POST", card + "/comments", `{"text": "` + strings.Repeat("я", 4000) + `"}`, 413, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.do(t, supToken, tc.method, tc.path, tc.body)
			if r.code != tc.code || r.errField() != tc.field {
				t.Fatalf("%d field %q (%s), want %d field %q", r.code, r.errField(), r.raw, tc.code, tc.field)
			}
			if r.errCode() == "" {
				t.Fatalf("no error code in %s", r.raw)
			}
		})
	}
}

func TestAnOperatorsCardLinksTheirCallAndReadsTheNumberBack(t *testing.T) {
	f := newFixture(t)
	f.desk.setCall("op101", "1700000000.1")
	body := `{"surname": "Шевченко", "first_name": "Олена", "address": "вул. Центральна, 5", "contact_phone": "0501234567",
		"essence": "Тече вода з труби у підвалі", "category": "water"}`
	r := f.do(t, opToken, "POST", "/api/v1/appeals", body)
	if r.code != http.StatusCreated {
		t.Fatalf("create: %d %s", r.code, r.raw)
	}
	calls, _ := r.body["calls"].([]any)
	if len(calls) != 1 || calls[0].(map[string]any)["call_id"] != "1700000000.1" {
		t.Fatalf("calls %v: the card is not linked to the operator's call", calls)
	}
	rb, _ := r.body["read_back"].(map[string]any)
	if rb["done"] != true || rb["digits"] != "1" || r.str("spoken_digits") != "1" {
		t.Fatalf("read back %v", rb)
	}
	if got := f.desk.reads(); !slices.Equal(got, []string{"1700000000.1:1"}) {
		t.Fatalf("the desk read back %v", got)
	}
	h := f.do(t, opToken, "GET", "/api/v1/appeals/"+r.str("id")+"/history", "")
	if !strings.Contains(h.raw, `"number_read_back"`) {
		t.Errorf("history does not record the read back: %s", h.raw)
	}

	// An explicit older call is linked but nobody is on it to hear the number.
	r = f.do(t, opToken, "POST", "/api/v1/appeals", strings.Replace(body, `"category"`, `"call_id": "1699999999.7", "category"`, 1))
	if r.code != 201 || r.body["read_back"] != nil || len(f.desk.reads()) != 1 {
		t.Fatalf("explicit call: %d %s", r.code, r.raw)
	}

	// A failed read back keeps the card; the operator reads the number.
	f.desk.fail = errDeskDown
	r = f.do(t, opToken, "POST", "/api/v1/appeals", body)
	rb, _ = r.body["read_back"].(map[string]any)
	if r.code != 201 || rb["done"] != false || rb["error"] == "" {
		t.Fatalf("failed read back: %d %s", r.code, r.raw)
	}
	f.desk.fail = nil

	// Reading back on request: on the operator's call, or on a linked one.
	id := r.str("id")
	if rr := f.do(t, opToken, "POST", "/api/v1/calls/1700000000.1/read-back", jsonf(`{"appeal_id": %q}`, id)); rr.code != 200 || rr.str("digits") != "3" {
		t.Fatalf("read back on request: %d %s", rr.code, rr.raw)
	}
	f.desk.setCall("op101", "")
	if rr := f.do(t, opToken, "POST", "/api/v1/calls/1700000055.5/read-back", jsonf(`{"appeal_id": %q}`, id)); rr.code != http.StatusConflict || rr.errCode() != "call_not_linked" {
		t.Fatalf("read back on a stranger's call: %d %s", rr.code, rr.raw)
	}
}

// Every operation in the document is served, and no method the document
// leaves out reaches a handler.
func TestTheOpenAPIDocumentDescribesWhatIsServed(t *testing.T) {
	f := newFixture(t)
	r := f.do(t, adminToken, "GET", "/api/v1/openapi.json", "")
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal([]byte(r.raw), &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("document: %v %.200s", err, r.raw)
	}
	param := regexp.MustCompile(`\{[a-z_]+\}`)
	for path, ops := range doc.Paths {
		concrete := param.ReplaceAllString(path, "00000000-0000-4000-8000-000000000000")
		for _, method := range []string{"GET", "POST", "PATCH", "PUT", "DELETE"} {
			_, documented := ops[strings.ToLower(method)]
			got := f.do(t, adminToken, method, concrete, "")
			unrouted := got.code == http.StatusMethodNotAllowed || strings.Contains(got.raw, "no such endpoint")
			if documented && unrouted {
				t.Errorf("%s %s is documented but not served: %d %s", method, path, got.code, got.raw)
			}
			if !documented && !unrouted {
				t.Errorf("%s %s is served but not documented: %d %s", method, path, got.code, got.raw)
			}
		}
	}
	if len(doc.Paths) < 10 {
		t.Fatalf("only %d paths documented", len(doc.Paths))
	}
}
