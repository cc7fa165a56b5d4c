package main

// The main menu's retries as the regulations of the hotline describe them:
// a caller who says nothing, or keeps pressing a key that means nothing, is
// asked three times and then put through to an operator.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/config"
	"github.com/slobozhanske/hotline/telephony/ari/aritest"
)

// api calls the server's HTTP API as the rig's supervisor and decodes a
// 2xx answer into out; it returns the status code.
func (r *rig) api(method, path string, body, out any) int {
	r.t.Helper()
	return r.apiAs(flowSupervisorToken, method, path, body, out)
}

// apiAs is api with another user's bearer token.
func (r *rig) apiAs(token, method, path string, body, out any) int {
	r.t.Helper()
	var rd bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			r.t.Fatal(err)
		}
		rd.Reset(b)
	}
	req, err := http.NewRequest(method, r.base+path, &rd)
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		r.lastAPIError = fmt.Sprintf("%s %s: HTTP %d %s", method, path, resp.StatusCode, bytes.TrimSpace(msg))
		return resp.StatusCode
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			r.t.Fatalf("%s %s: decode: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

// until polls cond (a condition of the server, not a timing) until it holds.
func (r *rig) until(ctx context.Context, what string, cond func() bool) {
	r.t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			r.t.Fatalf("never: %s (last API error: %s)", what, r.lastAPIError)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// operatorLogsIn dials *41 from an operator's softphone, as the dialplan
// sends it (Stasis(hotline,feature,login)), and waits for the confirmation.
func (r *rig) operatorLogsIn(ctx context.Context, op string) {
	r.t.Helper()
	// The operators are taken from the database once the migrations ran;
	// a login before that would be undone by the restore of their presence.
	r.until(ctx, "the operators are loaded", func() bool {
		var ops []json.RawMessage
		return r.api(http.MethodGet, "/api/v1/queue/operators", nil, &ops) == http.StatusOK && len(ops) == len(r.cfg.Operators)
	})
	p, err := r.ari.Dial(ctx, aritest.DialOptions{App: "hotline", Args: []string{"feature", "login"},
		Caller: strings.TrimPrefix(op, "op"), Exten: "*41", Context: "operators", Endpoint: "PJSIP/" + op, Language: "uk"})
	if err != nil {
		r.t.Fatalf("*41 from %s: %v", op, err)
	}
	if h, err := p.WaitForPlayback(ctx, "sound:hotline/agent-"); err != nil || h.MediaURI != "sound:hotline/agent-logged-in" {
		r.t.Fatalf("*41 from %s: heard %v, %v", op, h.MediaURI, err)
	}
	if _, err := p.WaitEnded(ctx); err != nil {
		r.t.Fatal(err)
	}
	r.until(ctx, op+" available", func() bool {
		var st struct {
			State string `json:"state"`
		}
		return r.api(http.MethodGet, "/api/v1/queue/operators/"+op, nil, &st) == http.StatusOK && st.State == "available"
	})
}

// inOrder reports whether the record's steps include these, in this order
// (each as kind, node and detail key=value pairs).
func inOrder(rec callRecord, want ...[]string) bool {
	from := 0
	for _, w := range want {
		sub := callRecord{steps: rec.steps[from:]}
		i := sub.index(w[0], w[1], w[2:]...)
		if i < 0 {
			return false
		}
		from += i + 1
	}
	return true
}

func TestACallerWhoPressesNothingIsPutThroughToTheOperatorAfterThreeTries(t *testing.T) {
	r := startRig(t, mondayMorning, func(cfg *config.Config) {
		main := cfg.Menu.Nodes["main"]
		main.FirstKeyTimeout = 300 * time.Millisecond
		cfg.Menu.Nodes["main"] = main
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r.operatorLogsIn(ctx, "op101")
	r.ari.SetPhone("PJSIP/op101", aritest.PhoneBehavior{Outcome: aritest.Answer, After: time.Second})

	caller := r.dial(ctx, "+380501112233")
	phone, err := r.ari.WaitOutbound(ctx, "PJSIP/op101")
	if err != nil {
		t.Fatalf("the operator's phone never rang: %v (the caller heard %v)", err, caller.HeardURIs())
	}
	if err := caller.WaitBridgedWith(ctx, phone); err != nil {
		t.Fatalf("caller and operator not bridged: %v", err)
	}
	if n := heard(caller, "sound:hotline/no-input"); n != 3 {
		t.Errorf("the caller heard the no-input prompt %d times before the operator, want 3: %v", n, caller.HeardURIs())
	}
	if n := heard(caller, "sound:hotline/main-menu"); n != 3 {
		t.Errorf("the menu was offered %d times, want 3: %v", n, caller.HeardURIs())
	}
	_ = phone.Hangup()
	if _, err := caller.WaitEnded(ctx); err != nil {
		t.Fatal(err)
	}

	rec := r.waitRecord(ctx, caller.ChannelID())
	if n := rec.count("timeout", "main"); n != 3 {
		t.Errorf("%d timeouts in main recorded, want 3: %v", n, rec.steps)
	}
	if !inOrder(rec,
		[]string{"timeout", "main"}, []string{"timeout", "main"}, []string{"timeout", "main"},
		[]string{"exhausted", "main", "failures", "3"},
		[]string{"action", "main", "action", "operator", "by", "exhausted"},
		[]string{"queue", "operators", "event", "joined"},
		[]string{"queue_result", "main", "queue", "operators", "result", "answered", "operator", "op101"},
	) {
		t.Errorf("the record does not show three timeouts, the menu giving up and the operator queue answering: %v", rec.steps)
	}
	if rec.outcome != "answered_by_operator" || !rec.ended {
		t.Errorf("record = %+v", rec)
	}
	r.noChannelsLeft(ctx)
}

func TestACallerWhoPresses9ThreeTimesHearsItIsInvalidThreeTimesAndIsSentToTheOperatorQueue(t *testing.T) {
	// Nobody is logged in: the operator queue turns the caller away and the
	// menu offers to leave a message, which is the exhausted action's end
	// here; the test stops there.
	r := startRig(t, mondayMorning, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	caller := r.dial(ctx, "+380501112234")
	for i := range 3 {
		if _, err := caller.WaitForPlayback(ctx, "sound:hotline/main-menu"); err != nil {
			t.Fatalf("menu offer %d: %v (heard %v)", i+1, err, caller.HeardURIs())
		}
		_ = caller.Press("9")
		if _, err := caller.WaitForPlayback(ctx, "sound:hotline/invalid-choice"); err != nil {
			t.Fatalf("invalid choice %d: %v (heard %v)", i+1, err, caller.HeardURIs())
		}
	}
	if _, err := caller.WaitForPlayback(ctx, "sound:hotline/queue-closed"); err != nil {
		t.Fatalf("the caller was not told the operators cannot answer: %v (heard %v)", err, caller.HeardURIs())
	}
	if _, err := caller.WaitForPlayback(ctx, "sound:hotline/message-record"); err != nil {
		t.Fatalf("the caller was not offered to leave a message: %v (heard %v)", err, caller.HeardURIs())
	}
	_ = caller.Hangup()

	if n := heard(caller, "sound:hotline/invalid-choice"); n != 3 {
		t.Errorf("heard the invalid-choice prompt %d times, want 3: %v", n, caller.HeardURIs())
	}
	if n := heard(caller, "sound:hotline/main-menu"); n != 3 {
		t.Errorf("the menu was offered %d times, want 3: %v", n, caller.HeardURIs())
	}
	rec := r.waitRecord(ctx, caller.ChannelID())
	if n := rec.count("invalid", "main"); n != 3 {
		t.Errorf("%d invalid keys in main recorded, want 3: %v", n, rec.steps)
	}
	if !inOrder(rec,
		[]string{"invalid", "main", "key", "9"}, []string{"invalid", "main", "key", "9"}, []string{"invalid", "main", "key", "9"},
		[]string{"exhausted", "main", "failures", "3"},
		[]string{"action", "main", "action", "operator", "by", "exhausted"},
		[]string{"queue_result", "main", "queue", "operators", "result", "closed"},
	) {
		t.Errorf("the record does not show three invalid keys, the menu giving up and the operator queue: %v", rec.steps)
	}
	if rec.count("key", "main") != 0 {
		t.Errorf("an invalid key was recorded as a menu choice: %v", rec.steps)
	}
	if !rec.ended || rec.cause != aritest.CauseNormalClearing {
		t.Errorf("record = %+v", rec)
	}
	r.noChannelsLeft(ctx)
}
