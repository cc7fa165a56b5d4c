package httpapi_test

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/slobozhanske/hotline/appeals"
)

// endpoint is one route as the role table exercises it: how to build a
// request on a fresh card, and the status each role gets.
type endpoint struct {
	method, path string // path pattern as in the OpenAPI document
	request      func(f *fixture, t *testing.T) (path, body string)
	want         map[appeals.Role]int
}

const (
	op    = appeals.RoleOperator
	exec  = appeals.RoleExecutor
	sup   = appeals.RoleSupervisor
	admin = appeals.RoleAdmin
)

func all(code int) map[appeals.Role]int {
	return map[appeals.Role]int{op: code, exec: code, sup: code, admin: code}
}

func staff(code int) map[appeals.Role]int { // operators, supervisors, admins; not executors
	return map[appeals.Role]int{op: code, exec: 403, sup: code, admin: code}
}

func supervisors(code int) map[appeals.Role]int {
	return map[appeals.Role]int{op: 403, exec: 403, sup: code, admin: code}
}

func onCard(suffix, body string) func(f *fixture, t *testing.T) (string, string) {
	return func(f *fixture, t *testing.T) (string, string) {
		c := f.card(t)
		return "/api/v1/appeals/" + c.ID + suffix, strings.ReplaceAll(body, "$v", jsonf("%d", c.Version))
	}
}

func fixed(path, body string) func(f *fixture, t *testing.T) (string, string) {
	return func(*fixture, *testing.T) (string, string) { return path, body }
}

// The regulations' division of work, endpoint by endpoint: operators
// register, send and close; executors (on their own cards) accept, work
// and resolve; supervisors and admins do everything, extensions included.
var endpoints = []endpoint{
	{"GET", "/api/v1/openapi.json", fixed("/api/v1/openapi.json", ""), all(200)},
	{"GET", "/api/v1/classifier", fixed("/api/v1/classifier", ""), all(200)},
	{"POST", "/api/v1/appeals", fixed("/api/v1/appeals", `{"anonymous": true, "essence": "Не горить ліхтар", "category": "lighting"}`), staff(201)},
	{"GET", "/api/v1/appeals", fixed("/api/v1/appeals?status=sent_to_executor&limit=5", ""), all(200)},
	{"GET", "/api/v1/appeals/{id}", onCard("", ""), all(200)},
	{"PATCH", "/api/v1/appeals/{id}", onCard("", `{"version": $v, "location": "вул. Центральна, 7"}`), staff(200)},
	{"POST", "/api/v1/appeals/{id}/transitions", onCard("/transitions", `{"to": "accepted", "version": $v}`),
		map[appeals.Role]int{op: 403, exec: 200, sup: 200, admin: 200}},
	{"POST", "/api/v1/appeals/{id}/executor", onCard("/executor", `{"executor": "zhkg", "reason": "мережа ЖКГ", "version": $v}`),
		supervisors(200)}, // the card is with its executor: operators only assign at the contact centre
	{"POST", "/api/v1/appeals/{id}/extensions", onCard("/extensions", `{"resolve_by": "2026-12-10T17:00:00+02:00", "reason": "заміна труби", "version": $v}`),
		supervisors(200)},
	{"POST", "/api/v1/appeals/{id}/repeat", func(f *fixture, t *testing.T) (string, string) {
		return "/api/v1/appeals/" + f.resolved(t).ID + "/repeat", `{"reason": "заявник не підтвердив"}`
	}, staff(201)},
	{"POST", "/api/v1/appeals/{id}/comments", onCard("/comments", `{"text": "Бригада виїхала"}`), all(201)},
	{"POST", "/api/v1/appeals/{id}/attachments", onCard("/attachments", `{"kind": "photo", "ref": "file:42"}`), all(201)},
	{"GET", "/api/v1/appeals/{id}/history", onCard("/history", ""), all(200)},
	{"POST", "/api/v1/appeals/{id}/calls", onCard("/calls", `{"call_id": "1700000000.5", "recording": "r5"}`), staff(200)},
	{"POST", "/api/v1/calls/{call_id}/read-back", func(f *fixture, t *testing.T) (string, string) {
		c := f.card(t)
		if _, err := f.env.Service.LinkCall(t.Context(), appeals.System("test"), c.ID, appeals.CallLink{CallID: "1700000000.9"}); err != nil {
			t.Fatal(err)
		}
		return "/api/v1/calls/1700000000.9/read-back", jsonf(`{"appeal_id": %q}`, c.ID)
	}, staff(200)},
	{"GET", "/api/v1/reports/overdue", fixed("/api/v1/reports/overdue?week=2026-W48", ""), supervisors(200)},
}

func TestEveryEndpointChecksTheRole(t *testing.T) {
	f := newFixture(t)
	for _, ep := range endpoints {
		t.Run(ep.method+" "+ep.path, func(t *testing.T) {
			for _, role := range appeals.UserRoles {
				path, body := ep.request(f, t)
				r := f.do(t, tokenOf[role], ep.method, path, body)
				if r.code != ep.want[role] {
					t.Errorf("%s: %d %s, want %d", role, r.code, r.raw, ep.want[role])
				}
			}
			path, body := ep.request(f, t)
			if r := f.do(t, "", ep.method, path, body); r.code != http.StatusUnauthorized || r.errCode() != "unauthorized" {
				t.Errorf("no token: %d %s", r.code, r.raw)
			}
			if r := f.do(t, "forged-token-0123456789", ep.method, path, body); r.code != http.StatusUnauthorized {
				t.Errorf("unknown token: %d", r.code)
			}
		})
	}
}

// The role table above must cover every endpoint the document lists, and
// the document every endpoint in the table.
func TestTheRoleTableCoversEveryDocumentedEndpoint(t *testing.T) {
	f := newFixture(t)
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	r := f.do(t, opToken, "GET", "/api/v1/openapi.json", "")
	if err := json.Unmarshal([]byte(r.raw), &doc); err != nil {
		t.Fatal(err)
	}
	var documented, tested []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	for _, ep := range endpoints {
		tested = append(tested, ep.method+" "+ep.path)
	}
	sort.Strings(documented)
	sort.Strings(tested)
	if strings.Join(documented, "\n") != strings.Join(tested, "\n") {
		t.Fatalf("documented:\n%s\n\nin the role table:\n%s", strings.Join(documented, "\n"), strings.Join(tested, "\n"))
	}
}

func TestExecutorsSeeOnlyTheirOrganisationsCards(t *testing.T) {
	f := newFixture(t)
	water := f.card(t) // vodokanal's
	for _, req := range []struct{ method, path, body string }{
		{"GET", "/api/v1/appeals/" + water.ID, ""},
		{"GET", "/api/v1/appeals/" + water.Number, ""},
		{"GET", "/api/v1/appeals/" + appeals.DigitsOf(water.Number), ""},
		{"GET", "/api/v1/appeals/" + water.ID + "/history", ""},
		{"POST", "/api/v1/appeals/" + water.ID + "/transitions", jsonf(`{"to": "accepted", "version": %d}`, water.Version)},
		{"POST", "/api/v1/appeals/" + water.ID + "/transitions", `{"to": "accepted", "version": 999}`},
		{"POST", "/api/v1/appeals/" + water.ID + "/comments", `{"text": "не наше"}`},
		{"POST", "/api/v1/appeals/" + water.ID + "/attachments", `{"ref": "file:1"}`},
	} {
		if r := f.do(t, blToken, req.method, req.path, req.body); r.code != http.StatusNotFound || r.errCode() != "not_found" {
			t.Errorf("blago %s %s: %d %s, want 404", req.method, req.path, r.code, r.raw)
		}
	}
	r := f.do(t, blToken, "GET", "/api/v1/appeals", "")
	if r.code != 200 || r.num("total") != 0 {
		t.Errorf("blago's list: %d %s", r.code, r.raw)
	}
	r = f.do(t, vkToken, "GET", "/api/v1/appeals?executor=vodokanal", "")
	if r.code != 200 || r.num("total") != 1 {
		t.Errorf("vodokanal's list: %d %s", r.code, r.raw)
	}
	if r = f.do(t, vkToken, "GET", "/api/v1/appeals/"+water.Number, ""); r.code != 200 || r.str("id") != water.ID {
		t.Errorf("vodokanal reads its card by number: %d %s", r.code, r.raw)
	}
}
