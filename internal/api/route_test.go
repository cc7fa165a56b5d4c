package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/slobozhanske/hotline/internal/api"
	"github.com/slobozhanske/hotline/internal/apiauth"
)

// byName authenticates "Bearer <role>" as a user of that role.
type byName struct{}

func (byName) Authenticate(r *http.Request) (apiauth.Actor, bool) {
	role := apiauth.Role(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	return apiauth.Actor{User: "u-" + string(role), Role: role}, role.Valid()
}

type Thing struct {
	Name string `json:"name" oa:"required"`
}

func table(called *[]string) []api.Route {
	h := func(name string) api.Handler {
		return func(w http.ResponseWriter, r *http.Request, a apiauth.Actor) {
			*called = append(*called, name+" by "+a.User)
			var in Thing
			if r.Method == "POST" && !api.Decode(w, r, &in) {
				return
			}
			api.WriteJSON(w, http.StatusOK, Thing{Name: in.Name})
		}
	}
	return []api.Route{
		{Method: "GET", Path: "/api/v1/things/{id}", Roles: api.Everyone, Summary: "a thing", Response: Thing{}, Status: 200, Handle: h("get")},
		{Method: "POST", Path: "/api/v1/things", Roles: []apiauth.Role{apiauth.RoleAdmin}, Summary: "add", Request: Thing{}, Response: Thing{}, Status: 200, Handle: h("add")},
	}
}

func serve(t *testing.T, a *api.API, role, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if role != "" {
		r.Header.Set("Authorization", "Bearer "+role)
	}
	w := httptest.NewRecorder()
	a.ServeHTTP(w, r)
	return w
}

func TestTheGuardAuthenticatesAndChecksTheRoleBeforeTheHandler(t *testing.T) {
	var called []string
	a, err := api.New(api.Config{Auth: byName{}}, table(&called))
	if err != nil {
		t.Fatal(err)
	}
	if w := serve(t, a, "", "GET", "/api/v1/things/1", ""); w.Code != 401 || w.Header().Get("WWW-Authenticate") == "" {
		t.Errorf("no token: %d %v", w.Code, w.Header())
	}
	if w := serve(t, a, "operator", "POST", "/api/v1/things", `{"name": "x"}`); w.Code != 403 || !strings.Contains(w.Body.String(), `"code":"forbidden"`) {
		t.Errorf("an operator adds: %d %s", w.Code, w.Body)
	}
	if w := serve(t, a, "admin", "POST", "/api/v1/things", `{"name": "x", "colour": "red"}`); w.Code != 400 || !strings.Contains(w.Body.String(), `"field":"colour"`) {
		t.Errorf("an unknown field: %d %s", w.Code, w.Body)
	}
	if w := serve(t, a, "operator", "GET", "/api/v1/nowhere", ""); w.Code != 404 || !strings.Contains(w.Body.String(), "no such endpoint") {
		t.Errorf("an unknown path: %d %s", w.Code, w.Body)
	}
	if w := serve(t, a, "operator", "GET", "/api/v1/things/1", ""); w.Code != 200 || w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("a read: %d %v", w.Code, w.Header())
	}
	if want := []string{"add by u-admin", "get by u-operator"}; !slices.Equal(called, want) {
		t.Errorf("handlers called %v, want %v", called, want)
	}
}

func TestTheDocumentListsExactlyTheRoutesServed(t *testing.T) {
	a, err := api.New(api.Config{Auth: byName{}}, table(new([]string)))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Description string `json:"description"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(serve(t, a, "executor", "GET", api.OpenAPIPath, "").Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	var documented, served []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	for _, rt := range a.Routes() {
		served = append(served, rt.Method+" "+rt.Path)
	}
	slices.Sort(documented)
	slices.Sort(served)
	if !slices.Equal(documented, served) {
		t.Fatalf("documented %v, served %v", documented, served)
	}
	if d := doc.Paths["/api/v1/things"]["post"].Description; d != "Roles: admin." {
		t.Errorf("the roles of POST /api/v1/things: %q", d)
	}
}

func TestATableIsRefusedWhenTwoRoutesOrTwoTypesClash(t *testing.T) {
	twice := table(new([]string))
	if _, err := api.New(api.Config{Auth: byName{}}, twice, twice[:1]); err == nil || !strings.Contains(err.Error(), "given twice") {
		t.Errorf("a route given twice: %v", err)
	}
	type ErrorBody struct{ X int } // named as the error body the document already has
	clash := []api.Route{{Method: "GET", Path: "/api/v1/x", Roles: api.Everyone, Response: ErrorBody{}, Status: 200,
		Handle: func(http.ResponseWriter, *http.Request, apiauth.Actor) {}}}
	if _, err := api.New(api.Config{Auth: byName{}}, clash); err == nil || !strings.Contains(err.Error(), "two types are named ErrorBody") {
		t.Errorf("two types named alike: %v", err)
	}
}
