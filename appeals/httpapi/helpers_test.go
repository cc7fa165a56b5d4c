package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/slobozhanske/hotline/appeals"
	"github.com/slobozhanske/hotline/appeals/httpapi"
	"github.com/slobozhanske/hotline/appeals/internal/apptest"
	"github.com/slobozhanske/hotline/internal/api"
	"github.com/slobozhanske/hotline/internal/apiauth"
)

// Tokens of the test users.
const (
	opToken    = "operator-token-0123456789"
	vkToken    = "vodokanal-token-0123456789"
	blToken    = "blago-token-0123456789"
	supToken   = "supervisor-token-0123456789"
	adminToken = "admin-token-0123456789"
)

var tokenOf = map[appeals.Role]string{appeals.RoleOperator: opToken, appeals.RoleExecutor: vkToken,
	appeals.RoleSupervisor: supToken, appeals.RoleAdmin: adminToken}

// fakeDesk is the telephony side in memory: which call each operator is
// on, and what was read back.
type fakeDesk struct {
	mu       sync.Mutex
	current  map[string]string
	readBack []string // "call:digits"
	fail     error
}

func (d *fakeDesk) CurrentCall(_ context.Context, user string) (string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	id, ok := d.current[user]
	return id, ok
}

func (d *fakeDesk) ReadBackNumber(_ context.Context, callID, digits string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fail != nil {
		return d.fail
	}
	d.readBack = append(d.readBack, callID+":"+digits)
	return nil
}

func (d *fakeDesk) setCall(user, call string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if call == "" {
		delete(d.current, user)
		return
	}
	d.current[user] = call
}

func (d *fakeDesk) reads() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.readBack...)
}

type fixture struct {
	env  *apptest.Env
	h    http.Handler
	desk *fakeDesk
}

// newFixture serves the appeals' routes as the server does: through
// internal/api, with the test users' tokens.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	env := apptest.New(t, apptest.At(2026, 11, 23, 9, 0), nil)
	desk := &fakeDesk{current: map[string]string{}}
	appealsAPI, err := httpapi.New(httpapi.Config{Service: env.Service, Desk: desk, Log: apptest.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := apiauth.NewTokens([]apiauth.Token{
		{User: "op101", Role: "operator", Token: opToken},
		{User: "vk1", Role: "executor", Executor: "vodokanal", Token: vkToken},
		{User: "bl1", Role: "executor", Executor: "blago", Token: blToken},
		{User: "sup1", Role: "supervisor", Token: supToken},
		{User: "admin1", Role: "admin", Token: adminToken},
	}, appealsAPI.KnownExecutor)
	if err != nil {
		t.Fatal(err)
	}
	h, err := api.New(api.Config{Auth: tokens, Log: apptest.Quiet(), MaxBodyBytes: 4096}, appealsAPI.Routes())
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{env: env, h: h, desk: desk}
}

type reply struct {
	code int
	body map[string]any
	raw  string
}

func (f *fixture) do(t *testing.T, token, method, path, body string) reply {
	t.Helper()
	var rd *strings.Reader
	if body != "" {
		rd = strings.NewReader(body)
	} else {
		rd = strings.NewReader("")
	}
	req := httptest.NewRequest(method, path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	r := reply{code: rec.Code, raw: rec.Body.String()}
	_ = json.Unmarshal(rec.Body.Bytes(), &r.body)
	return r
}

func (r reply) errField() string {
	e, _ := r.body["error"].(map[string]any)
	s, _ := e["field"].(string)
	return s
}

func (r reply) errCode() string {
	e, _ := r.body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func (r reply) str(key string) string { s, _ := r.body[key].(string); return s }

func (r reply) num(key string) int { n, _ := r.body[key].(float64); return int(n) }

// card registers a water appeal (sent to vodokanal) through the service.
func (f *fixture) card(t *testing.T) appeals.Card {
	t.Helper()
	c, err := f.env.Service.Create(context.Background(), apptest.Operator, apptest.Named("water"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fixture) resolved(t *testing.T) appeals.Card {
	t.Helper()
	ctx := context.Background()
	c := f.card(t)
	var err error
	for _, to := range []appeals.Status{appeals.StatusAccepted, appeals.StatusInProgress, appeals.StatusResolved} {
		if c, err = f.env.Service.Transition(ctx, apptest.Vodokanal, c.ID, appeals.TransitionRequest{To: to, Version: c.Version}); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

var errDeskDown = errors.New("ARI unavailable")

func jsonf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
