package aritest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/websocket"
)

// ---- loading the spec ----

type specProp struct {
	Type            string `json:"type"`
	Required        bool   `json:"required"`
	AllowableValues *struct {
		Values []string `json:"values"`
	} `json:"allowableValues"`
}

type specModel struct {
	ID         string              `json:"id"`
	Properties map[string]specProp `json:"properties"`
	SubTypes   []string            `json:"subTypes"`
}

type specOp struct {
	HTTPMethod    string `json:"httpMethod"`
	Nickname      string `json:"nickname"`
	ResponseClass string `json:"responseClass"`
}

type specFile struct {
	APIs []struct {
		Path       string   `json:"path"`
		Operations []specOp `json:"operations"`
	} `json:"apis"`
	Models map[string]specModel `json:"models"`
}

type spec struct {
	ops    map[string]specOp // "GET /channels/{channelId}"
	models map[string]specModel
}

// findSpecDir looks for shared/ari-spec in the working directory's
// ancestors (shared/ sits beside the repository's root), or ARI_SPEC_DIR.
func findSpecDir() string {
	if d := os.Getenv("ARI_SPEC_DIR"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		cand := filepath.Join(dir, "shared", "ari-spec")
		if st, err := os.Stat(filepath.Join(cand, "channels.json")); err == nil && !st.IsDir() {
			return cand
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

func loadSpec(t *testing.T) *spec {
	t.Helper()
	dir := findSpecDir()
	if dir == "" {
		t.Skip("ARI spec not found: no shared/ari-spec beside the repository (set ARI_SPEC_DIR to point at it)")
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no spec files in %s: %v", dir, err)
	}
	sp := &spec{ops: map[string]specOp{}, models: map[string]specModel{}}
	for _, f := range files {
		if filepath.Base(f) == "resources.json" {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var sf specFile
		if err := json.Unmarshal(data, &sf); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, api := range sf.APIs {
			for _, op := range api.Operations {
				sp.ops[op.HTTPMethod+" "+api.Path] = op
			}
		}
		for name, m := range sf.Models {
			sp.models[name] = m
		}
	}
	return sp
}

// ---- validating JSON against models ----

type validator struct {
	sp   *spec
	errs []string
}

func (v *validator) errorf(format string, args ...any) {
	v.errs = append(v.errs, fmt.Sprintf(format, args...))
}

var listRe = regexp.MustCompile(`^List\[(.+)\]$`)

// value checks val against a spec type.
func (v *validator) value(path, typ string, val any, allowed []string) {
	if m := listRe.FindStringSubmatch(typ); m != nil {
		arr, isArr := val.([]any)
		if !isArr {
			v.errorf("%s: want array of %s, got %T", path, m[1], val)
			return
		}
		for i, e := range arr {
			v.value(fmt.Sprintf("%s[%d]", path, i), m[1], e, allowed)
		}
		return
	}
	switch typ {
	case "string":
		s, isStr := val.(string)
		if !isStr {
			v.errorf("%s: want string, got %T", path, val)
			return
		}
		if len(allowed) > 0 && !contains(allowed, s) {
			v.errorf("%s: %q not in %v", path, s, allowed)
		}
	case "int", "long":
		n, isNum := val.(json.Number)
		if _, err := n.Int64(); !isNum || err != nil {
			v.errorf("%s: want integer, got %v", path, val)
		}
	case "double":
		if _, isNum := val.(json.Number); !isNum {
			v.errorf("%s: want number, got %T", path, val)
		}
	case "boolean":
		if _, isBool := val.(bool); !isBool {
			v.errorf("%s: want boolean, got %T", path, val)
		}
	case "Date":
		s, isStr := val.(string)
		if _, err := time.Parse(ariTimeFormat, s); !isStr || err != nil {
			v.errorf("%s: want Asterisk date, got %v", path, val)
		}
	case "object", "containers":
		if _, isObj := val.(map[string]any); !isObj {
			v.errorf("%s: want object, got %T", path, val)
		}
	default:
		m, known := v.sp.models[typ]
		if !known {
			v.errorf("%s: unknown spec type %s", path, typ)
			return
		}
		v.object(path, typ, m.Properties, val)
	}
}

// object checks that obj has only props' fields, each of the right type,
// and every required one.
func (v *validator) object(path, model string, props map[string]specProp, val any) {
	obj, isObj := val.(map[string]any)
	if !isObj {
		v.errorf("%s: want %s object, got %T", path, model, val)
		return
	}
	for k, fv := range obj {
		p, known := props[k]
		if !known {
			v.errorf("%s: field %q is not in model %s", path, k, model)
			continue
		}
		var allowed []string
		if p.AllowableValues != nil {
			allowed = p.AllowableValues.Values
		}
		v.value(path+"."+k, p.Type, fv, allowed)
	}
	for k, p := range props {
		if _, has := obj[k]; p.Required && !has {
			v.errorf("%s: required field %q of %s missing", path, k, model)
		}
	}
}

// event checks an event against its model plus the Event and Message bases.
func (v *validator) event(raw []byte) string {
	var obj map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&obj); err != nil {
		v.errorf("event %s: %v", raw, err)
		return ""
	}
	typ, _ := obj["type"].(string)
	if !contains(v.sp.models["Event"].SubTypes, typ) {
		v.errorf("event type %q is not a subtype of Event", typ)
		return typ
	}
	props := map[string]specProp{}
	for _, base := range []string{"Message", "Event", typ} {
		for k, p := range v.sp.models[base].Properties {
			props[k] = p
		}
	}
	v.object(typ, typ, props, obj)
	return typ
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ---- the tests ----

// The validator itself must catch unknown fields, wrong types, missing
// required fields and values outside allowableValues.
func TestValidatorCatchesErrors(t *testing.T) {
	sp := loadSpec(t)
	v := &validator{sp: sp}
	v.event([]byte(`{"type":"StasisEnd","application":"a","timestamp":"2026-11-23T10:00:00.000+0000","channel":{"id":1,"state":"Sleeping","bogus":true}}`))
	want := []string{`channel.id: want string`, `"Sleeping" not in`, `field "bogus" is not in model Channel`, `required field "name" of Channel missing`}
	all := strings.Join(v.errs, "\n")
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("validator missed %q; got:\n%s", w, all)
		}
	}
}

func TestRoutesExistInSpec(t *testing.T) {
	sp := loadSpec(t)
	s := Start(t, Options{})
	seen := map[string]bool{}
	for _, r := range s.router.routes {
		key := r.method + " " + r.pattern
		if _, found := sp.ops[key]; !found {
			t.Errorf("route %s is not in the ARI spec", key)
		}
		if seen[key] {
			t.Errorf("route %s registered twice", key)
		}
		seen[key] = true
	}
	t.Logf("%d of the spec's %d operations implemented", len(seen), len(sp.ops))
}

// specClient makes REST calls and validates every 2xx response against the
// operation's responseClass.
type specClient struct {
	t   *testing.T
	s   *Server
	sp  *spec
	v   *validator
	ops map[string]bool
}

func (c *specClient) call(method, path, body string, want int) map[string]any {
	c.t.Helper()
	req, err := http.NewRequest(method, c.s.URL()+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.SetBasicAuth(c.s.opts.Username, c.s.opts.Password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		c.t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, data, want)
	}
	segs := splitPath(strings.SplitN(path, "?", 2)[0])
	var op specOp
	var pattern string
	for _, r := range c.s.router.routes {
		if _, m := matchSegs(r.segs, segs); m && r.method == method {
			op, pattern = c.sp.ops[method+" "+r.pattern], r.pattern
			break
		}
	}
	c.ops[method+" "+pattern] = true
	switch {
	case op.ResponseClass == "void":
		if resp.StatusCode != http.StatusNoContent || len(data) != 0 {
			c.v.errorf("%s %s: void operation answered %d with %q", method, path, resp.StatusCode, data)
		}
		return nil
	case op.ResponseClass == "binary":
		return nil
	}
	var val any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&val); err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	c.v.value(method+" "+pattern, op.ResponseClass, val, nil)
	obj, _ := val.(map[string]any)
	return obj
}

func TestModelsAndEventsMatchSpec(t *testing.T) {
	sp := loadSpec(t)
	s := Start(t, Options{
		TimeScale:   0.01,
		Sounds:      map[string]time.Duration{"hotline/greeting": 2 * time.Second, "beep": 300 * time.Millisecond},
		ChannelVars: []string{"HOTLINE_QUEUE"},
	})
	s.SetPhone("PJSIP/op101", PhoneBehavior{After: time.Second})
	s.SetPhone("PJSIP/op102", PhoneBehavior{Outcome: Busy, After: time.Second})
	v := &validator{sp: sp}
	c := &specClient{t: t, s: s, sp: sp, v: v, ops: map[string]bool{}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// One application, plus a subscribeAll one to see every event type.
	for _, q := range []string{"?app=hotline", "?app=watcher&subscribeAll=true"} {
		cfg, err := websocket.NewConfig(s.WebsocketURL()+q+"&api_key=asterisk:asterisk", "http://localhost/")
		if err != nil {
			t.Fatal(err)
		}
		ws, err := websocket.DialConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		go func() {
			for {
				var b []byte
				if websocket.Message.Receive(ws, &b) != nil {
					return
				}
			}
		}()
	}

	c.call("GET", "/asterisk/info", "", 200)
	c.call("GET", "/asterisk/info?only=system,build", "", 200)
	c.call("GET", "/asterisk/ping", "", 200)
	c.call("POST", "/asterisk/variable?variable=HOTLINE&value=on", "", 204)
	c.call("GET", "/asterisk/variable?variable=HOTLINE", "", 200)
	c.call("GET", "/sounds", "", 200)
	c.call("GET", "/sounds/beep", "", 200)

	res, err := s.Dial(ctx, DialOptions{App: "hotline", Args: []string{"a"}, Caller: "+380501234567", CallerName: "Resident", Exten: "1580", Vars: map[string]string{"HOTLINE_QUEUE": "general"}})
	if err != nil {
		t.Fatal(err)
	}
	id := res.ChannelID()
	c.call("GET", "/channels", "", 200)
	c.call("GET", "/channels/"+id, "", 200)
	c.call("POST", "/channels/"+id+"/ring", "", 204)
	c.call("DELETE", "/channels/"+id+"/ring", "", 204)
	c.call("POST", "/channels/"+id+"/answer", "", 204)
	c.call("POST", "/channels/"+id+"/progress", "", 204)
	c.call("POST", "/channels/"+id+"/hold", "", 204)
	c.call("DELETE", "/channels/"+id+"/hold", "", 204)
	c.call("POST", "/channels/"+id+"/mute?direction=in", "", 204)
	c.call("DELETE", "/channels/"+id+"/mute", "", 204)
	c.call("POST", "/channels/"+id+"/silence", "", 204)
	c.call("DELETE", "/channels/"+id+"/silence", "", 204)
	c.call("POST", "/channels/"+id+"/moh", `{"mohClass":"queue"}`, 204)
	c.call("DELETE", "/channels/"+id+"/moh", "", 204)
	c.call("POST", "/channels/"+id+"/dtmf", `{"dtmf":"12#"}`, 204)
	c.call("POST", "/channels/"+id+"/variable", `{"variable":"X","value":"1","report_events":true}`, 204)
	c.call("GET", "/channels/"+id+"/variable?variable=CALLERID(num)", "", 200)
	c.call("POST", "/channels/"+id+"/play/pb1", `{"media":["sound:hotline/greeting","sound:missing"]}`, 201)
	if _, err := res.WaitForPlaybackEnd(ctx, "sound:missing"); err != nil {
		t.Fatal(err)
	}
	c.call("POST", "/channels/"+id+"/play", `{"media":"tone:ring","playbackId":"pb2"}`, 201)
	if _, err := res.WaitForPlayback(ctx, "tone:ring"); err != nil {
		t.Fatal(err)
	}
	c.call("GET", "/playbacks/pb2", "", 200)
	c.call("POST", "/playbacks/pb2/control?operation=restart", "", 204)
	c.call("DELETE", "/playbacks/pb2", "", 204)
	if err := res.Press("9"); err != nil {
		t.Fatal(err)
	}
	c.call("POST", "/channels/"+id+"/record", `{"name":"scratch","format":"wav"}`, 201)
	c.call("POST", "/recordings/live/scratch/pause", "", 204)
	c.call("DELETE", "/recordings/live/scratch/pause", "", 204)
	c.call("POST", "/recordings/live/scratch/mute", "", 204)
	c.call("DELETE", "/recordings/live/scratch/mute", "", 204)
	c.call("DELETE", "/recordings/live/scratch", "", 204)
	c.call("POST", "/channels/"+id+"/record", `{"name":"msg","format":"wav","maxSilenceSeconds":1,"terminateOn":"#","beep":true}`, 201)
	if _, err := res.Wait(ctx, func(st PartyState) bool { return st.Recording == "msg" }); err != nil {
		t.Fatal(err)
	}
	c.call("GET", "/recordings/live/msg", "", 200)
	if err := res.Speak(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WaitStoredRecording(ctx, "msg"); err != nil {
		t.Fatal(err)
	}
	c.call("GET", "/recordings/stored", "", 200)
	c.call("GET", "/recordings/stored/msg", "", 200)
	c.call("POST", "/recordings/stored/msg/copy?destinationRecordingName=msg2", "", 200)
	c.call("GET", "/recordings/stored/msg2/file", "", 200)
	c.call("DELETE", "/recordings/stored/msg2", "", 204)

	c.call("POST", "/channels", `{"endpoint":"PJSIP/op101","app":"hotline","appArgs":"op","callerId":"\"Hotline\" <1580>","channelId":"op1","variables":{"A":"b"}}`, 200)
	op, err := s.WaitOutbound(ctx, "PJSIP/op101")
	if err != nil {
		t.Fatal(err)
	}
	if err := op.WaitInStasis(ctx); err != nil {
		t.Fatal(err)
	}
	c.call("POST", "/bridges", `{"type":"mixing","bridgeId":"b1","name":"call"}`, 200)
	c.call("POST", "/bridges/b2?type=holding", "", 200)
	c.call("GET", "/bridges", "", 200)
	c.call("POST", "/bridges/b1/addChannel", `{"channel":"`+id+`,op1"}`, 204)
	c.call("GET", "/bridges/b1", "", 200)
	c.call("POST", "/bridges/b1/moh?mohClass=default", "", 204)
	c.call("DELETE", "/bridges/b1/moh", "", 204)
	c.call("POST", "/bridges/b1/play/bp1", `{"media":"sound:beep"}`, 201)
	c.call("POST", "/bridges/b1/play?media=digits:42", "", 201)
	c.call("POST", "/bridges/b1/record", `{"name":"call-rec","format":"wav"}`, 201)
	if _, err := res.WaitForPlaybackEnd(ctx, "sound:beep"); err != nil {
		t.Fatal(err)
	}
	c.call("POST", "/recordings/live/call-rec/stop", "", 204)
	c.call("POST", "/bridges/b1/removeChannel", `{"channel":["op1"]}`, 204)
	c.call("POST", "/bridges/b2/addChannel?channel=op1", "", 204)
	c.call("DELETE", "/bridges/b2", "", 204)

	c.call("GET", "/endpoints", "", 200)
	c.call("GET", "/endpoints/PJSIP", "", 200)
	c.call("GET", "/endpoints/PJSIP/op101", "", 200)
	c.call("POST", "/applications/hotline/subscription?eventSource=endpoint:PJSIP/op101", "", 200)
	if err := s.SetEndpointState("PJSIP", "op101", EndpointOffline); err != nil {
		t.Fatal(err)
	}
	c.call("DELETE", "/applications/hotline/subscription?eventSource=endpoint:PJSIP/op101", "", 200)
	c.call("GET", "/applications", "", 200)
	c.call("GET", "/applications/hotline", "", 200)

	c.call("POST", "/channels/create", `{"endpoint":"PJSIP/op103","app":"hotline","channelId":"cr1"}`, 200)
	c.call("POST", "/channels/cr1/dial?caller="+id+"&timeout=5", "", 204)
	if err := s.Party("cr1").WaitState(ctx, "Up"); err != nil {
		t.Fatal(err)
	}
	c.call("POST", "/channels/cr1/continue", `{"context":"next","extension":"s","priority":1}`, 204)
	c.call("POST", "/channels/op2", `{"endpoint":"PJSIP/op102","app":"hotline"}`, 200)
	if _, err := s.Party("op2").WaitEnded(ctx); err != nil {
		t.Fatal(err)
	}
	c.call("DELETE", "/channels/op1?reason_code=21", "", 204)
	if err := res.Hangup(); err != nil {
		t.Fatal(err)
	}
	c.call("DELETE", "/bridges/b1", "", 204)
	c.call("DELETE", "/channels/cr1", "", 204)

	types := map[string]int{}
	for _, ev := range s.Events() {
		types[v.event(ev.JSON)]++
	}
	for _, e := range v.errs {
		t.Error(e)
	}
	var names []string
	for n := range types {
		names = append(names, n)
	}
	sort.Strings(names)
	t.Logf("checked %d events of %d types: %v; %d operations", len(s.Events()), len(types), names, len(c.ops))
	for _, want := range []string{"StasisStart", "StasisEnd", "ChannelDestroyed", "ChannelHangupRequest", "ChannelStateChange",
		"ChannelDtmfReceived", "PlaybackStarted", "PlaybackContinuing", "PlaybackFinished", "RecordingStarted", "RecordingFinished",
		"ChannelEnteredBridge", "ChannelLeftBridge", "BridgeCreated", "BridgeDestroyed", "EndpointStateChange", "Dial",
		"ChannelCreated", "ChannelVarset"} {
		if types[want] == 0 {
			t.Errorf("scenario produced no %s event", want)
		}
	}
	for _, r := range s.router.routes {
		if key := r.method + " " + r.pattern; !c.ops[key] && r.raw == nil {
			t.Logf("not exercised: %s", key)
		}
	}
}
