package aritest_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/websocket"

	"github.com/slobozhanske/hotline/telephony/ari/aritest"
)

// This file is a generic replayer of the ARI transcripts recorded from a real
// Asterisk (/work/shared/ari-traces, see its README): it replays each
// request against the test server, infers the SIP side's actions from the
// events, and compares every event and response with the transcript.

// traceLine is one JSONL line of a transcript.
type traceLine struct {
	T      int             `json:"t_ms"`
	Kind   string          `json:"kind"`
	Method string          `json:"method"`
	Path   string          `json:"path"`
	Query  string          `json:"query"`
	Status int             `json:"status"`
	Body   json.RawMessage `json:"body"`
	Event  json.RawMessage `json:"event"`
	Text   string          `json:"text"`
	WS     int             `json:"ws"`

	ev map[string]any // decoded Event
}

func readTrace(path string) ([]traceLine, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open trace: %w", err)
	}
	defer f.Close()
	var lines []traceLine
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var l traceLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", path, len(lines)+1, err)
		}
		if l.Kind == "event" {
			if err := json.Unmarshal(l.Event, &l.ev); err != nil {
				return nil, fmt.Errorf("%s line %d: event: %w", path, len(lines)+1, err)
			}
			if l.WS == 0 {
				l.WS = 1
			}
		}
		lines = append(lines, l)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read trace: %w", err)
	}
	return lines, nil
}

// idPattern matches Asterisk's ids: channel unique ids and UUIDs (playbacks, bridges).
var idPattern = regexp.MustCompile(`^(\d+\.\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`)

// idInText finds ids inside paths and queries.
var idInText = regexp.MustCompile(`\d+\.\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// idMap pairs the transcript's ids with the test server's, learnt from the
// first event or response that shows each one.
type idMap struct {
	mu      sync.Mutex
	toSim   map[string]string
	toTrace map[string]string
}

func (m *idMap) bind(traceID, simID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, known := m.toSim[traceID]; known {
		if s != simID {
			return fmt.Errorf("id %s is %s here, not %s", traceID, s, simID)
		}
		return nil
	}
	if t, used := m.toTrace[simID]; used {
		return fmt.Errorf("id %s of the test server is already the trace's %s, not %s", simID, t, traceID)
	}
	m.toSim[traceID], m.toTrace[simID] = simID, traceID
	return nil
}

func (m *idMap) sim(traceID string) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, known := m.toSim[traceID]
	return s, known
}

// substitute replaces the transcript's known ids in a path or query.
func (m *idMap) substitute(s string) string {
	return idInText.ReplaceAllStringFunc(s, func(id string) string {
		if sim, known := m.sim(id); known {
			return sim
		}
		return id
	})
}

// ignoredFields carry no meaning for the comparison: clocks, host and SIP
// identifiers, and the wire length of a DTMF digit (which the sender picks).
var ignoredFields = map[string]bool{
	"timestamp": true, "creationtime": true, "asterisk_id": true, "protocol_id": true, "duration_ms": true,
	// A registration's contact address, aor and qualify round trip.
	"uri": true, "roundtrip_usec": true,
}

// compare reports how got differs from want (JSON values), binding ids on
// the way.
func (m *idMap) compare(path string, want, got any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, isMap := got.(map[string]any)
		if !isMap {
			return []string{fmt.Sprintf("%s: want an object, got %v", path, got)}
		}
		var diffs []string
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		for k := range g {
			if _, inWant := w[k]; !inWant {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		_, isChannel := w["protocol_id"]
		rtpStats := strings.HasPrefix(fmt.Sprint(w["variable"]), "RTPAUDIOQOS")
		for _, k := range keys {
			wv, inWant := w[k]
			gv, inGot := g[k]
			switch {
			case ignoredFields[k]:
			case !inGot:
				diffs = append(diffs, fmt.Sprintf("%s.%s: missing (want %v)", path, k, wv))
			case !inWant:
				diffs = append(diffs, fmt.Sprintf("%s.%s: unexpected (got %v)", path, k, gv))
			case k == "value" && rtpStats:
				// RTP statistics of the real call.
			case k == "name" && isChannel:
				// PJSIP/<endpoint>-<sequence>: the endpoint carries meaning.
				if endpointOf(fmt.Sprint(wv)) != endpointOf(fmt.Sprint(gv)) {
					diffs = append(diffs, fmt.Sprintf("%s.name: want endpoint of %v, got %v", path, wv, gv))
				}
			default:
				diffs = append(diffs, m.compare(path+"."+k, wv, gv)...)
			}
		}
		return diffs
	case []any:
		g, isList := got.([]any)
		if !isList || len(g) != len(w) {
			return []string{fmt.Sprintf("%s: want %v, got %v", path, want, got)}
		}
		var diffs []string
		for i := range w {
			diffs = append(diffs, m.compare(fmt.Sprintf("%s[%d]", path, i), w[i], g[i])...)
		}
		return diffs
	case string:
		g, isString := got.(string)
		if !isString {
			return []string{fmt.Sprintf("%s: want %q, got %v", path, w, got)}
		}
		// target_uri "channel:<id>" / "bridge:<id>" and bare ids.
		wp, wid := splitTarget(w)
		gp, gid := splitTarget(g)
		if wid != "" && gid != "" && wp == gp {
			if err := m.bind(wid, gid); err != nil {
				return []string{fmt.Sprintf("%s: %v", path, err)}
			}
			return nil
		}
		if w != g {
			return []string{fmt.Sprintf("%s: want %q, got %q", path, w, g)}
		}
		return nil
	default:
		if !reflect.DeepEqual(want, got) {
			return []string{fmt.Sprintf("%s: want %v, got %v", path, want, got)}
		}
		return nil
	}
}

// splitTarget splits "channel:<id>" or a bare id into prefix and id ("" if
// s holds no id).
func splitTarget(s string) (prefix, id string) {
	if idPattern.MatchString(s) {
		return "", s
	}
	if p, rest, found := strings.Cut(s, ":"); found && idPattern.MatchString(rest) {
		return p, rest
	}
	return "", ""
}

// endpointOf turns a channel name "PJSIP/operator1-0000000b" into "PJSIP/operator1".
func endpointOf(name string) string {
	if i := strings.LastIndex(name, "-"); i > 0 {
		return name[:i]
	}
	return name
}

// wsClient is one events WebSocket of the replay.
type wsClient struct {
	ws     *websocket.Conn
	events chan map[string]any
	done   chan struct{}
}

func dialWS(srv *aritest.Server, pathQuery string) (*wsClient, error) {
	cfg, err := websocket.NewConfig("ws://"+srv.Addr()+pathQuery, "http://localhost/")
	if err != nil {
		return nil, fmt.Errorf("websocket config: %w", err)
	}
	cfg.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(srv.Username()+":"+srv.Password())))
	ws, err := websocket.DialConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("websocket %s: %w", pathQuery, err)
	}
	c := &wsClient{ws: ws, events: make(chan map[string]any, 1024), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for {
			var data []byte
			if err := websocket.Message.Receive(ws, &data); err != nil {
				return
			}
			var ev map[string]any
			if err := json.Unmarshal(data, &ev); err != nil {
				ev = map[string]any{"type": "undecodable", "raw": string(data)}
			}
			c.events <- ev
		}
	}()
	return c, nil
}

func (c *wsClient) close() {
	_ = c.ws.Close()
	<-c.done
}

// httpResult is the answer to a replayed request.
type httpResult struct {
	status int
	body   any
	err    error
}

// scenario adapts the replay to one transcript where inference from the
// events is not enough.
type scenario struct {
	file string
	// setup configures the simulated SIP side before the replay.
	setup func(srv *aritest.Server)
	// onNote runs SIP-side actions a note describes (text contains the key).
	onNote map[string]func(r *replayer) error
}

// replayer drives one transcript against a test server.
type replayer struct {
	t        *testing.T
	ctx      context.Context
	srv      *aritest.Server
	sc       scenario
	lines    []traceLine
	ids      *idMap
	ws       map[int]*wsClient
	outbound map[string]bool // trace ids of originated channels
	dialed   map[string]bool // trace ids of incoming calls placed
	hungUp   map[string]bool // trace ids the far end hung up
	copies   map[int]bool    // event lines that are copies of an event already stimulated
	early    map[int]bool    // note lines acted on before their turn
	prevT    int
	pending  chan httpResult
	client   *http.Client
}

const (
	// replayScale runs the transcripts 20x faster than they were recorded.
	replayScale = 0.05
	// eventWait bounds the wait for one event or response (real time).
	eventWait = 5 * time.Second
)

func replayOptions() aritest.Options {
	return aritest.Options{
		Username:  "hotline",
		Password:  "hotline",
		TimeScale: replayScale,
		Sounds: map[string]time.Duration{
			"hello-world": 1420 * time.Millisecond,
			"beep":        440 * time.Millisecond,
			"vm-intro":    5660 * time.Millisecond,
			"tt-monkeys":  16 * time.Second,
		},
		// The recording system's dialplan (see the README).
		Dialplan: map[string][]aritest.DialplanApp{
			"from-trunk,1551": {{App: "NoOp", Data: "hotline call from ${CALLERID(num)}"}, {App: "Stasis", Data: "hotline"}},
			"from-trunk,9000": {{App: "Answer"}, {App: "Echo"}},
			"operators,1551":  {{App: "Stasis", Data: "hotline"}},
		},
		EndpointContexts: map[string]string{
			"PJSIP/operator1": "operators", "PJSIP/operator2": "operators", "PJSIP/operator3": "operators",
		},
	}
}

// defaultSIPSide is the recording system's SIP side: SIPp callers come from
// the endpoint "anonymous", which has no registered contact; operator1
// (auto-answer) and operator2 (manual answer) are registered, operator3 is not.
func defaultSIPSide(srv *aritest.Server) error {
	for res, state := range map[string]string{
		"anonymous": aritest.EndpointOffline, "operator1": aritest.EndpointOnline,
		"operator2": aritest.EndpointOnline, "operator3": aritest.EndpointOffline,
	} {
		if err := srv.SetEndpointState("PJSIP", res, state); err != nil {
			return fmt.Errorf("endpoint %s: %w", res, err)
		}
	}
	// baresip auto-answer still rings first (180, then 200).
	srv.SetPhone("PJSIP/operator1", aritest.PhoneBehavior{Outcome: aritest.Answer, After: time.Millisecond})
	srv.SetPhone("PJSIP/operator2", aritest.PhoneBehavior{Outcome: aritest.NoAnswer})
	return nil
}

func runScenario(t *testing.T, sc scenario) {
	t.Parallel()
	lines, err := readTrace("/work/shared/ari-traces/" + sc.file)
	if err != nil {
		t.Skipf("transcript not available: %v", err)
	}
	srv := aritest.Start(t, replayOptions())
	if err := defaultSIPSide(srv); err != nil {
		t.Fatal(err)
	}
	if sc.setup != nil {
		sc.setup(srv)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r := &replayer{
		t: t, ctx: ctx, srv: srv, sc: sc, lines: lines,
		ids:      &idMap{toSim: map[string]string{}, toTrace: map[string]string{}},
		ws:       map[int]*wsClient{},
		outbound: map[string]bool{}, dialed: map[string]bool{}, hungUp: map[string]bool{}, copies: map[int]bool{},
		early:  map[int]bool{},
		client: &http.Client{Timeout: 30 * time.Second},
	}
	defer func() {
		for _, c := range r.ws {
			c.close()
		}
	}()
	r.findOutbound()
	for i := range lines {
		if err := r.step(i); err != nil {
			t.Fatalf("%s line %d (t=%d ms, %s): %v", sc.file, i+1, lines[i].T, lines[i].Kind, err)
		}
		if t.Failed() {
			t.FailNow()
		}
	}
	r.checkNoMoreEvents()
}

// findOutbound collects the ids of channels the application originated.
func (r *replayer) findOutbound() {
	for _, l := range r.lines {
		if l.Kind == "response" && l.Method == http.MethodPost && l.Path == "/ari/channels" && l.Status == http.StatusOK {
			var ch struct{ ID string }
			if json.Unmarshal(l.Body, &ch) == nil {
				r.outbound[ch.ID] = true
			}
		}
	}
}

// wait sleeps the line's distance from the previous one, scaled: requests
// and SIP-side actions happen when they did in the recording.
func (r *replayer) wait(l traceLine) {
	if d := time.Duration(float64(time.Duration(l.T-r.prevT)*time.Millisecond) * replayScale); d > 0 {
		time.Sleep(d)
	}
}

var (
	wsConnected = regexp.MustCompile(`^websocket (\d+) connected: GET (\S+)`)
	wsClosed    = regexp.MustCompile(`^websocket (\d+) closed by the app`)
)

func (r *replayer) step(i int) error {
	l := r.lines[i]
	defer func() { r.prevT = l.T }()
	switch l.Kind {
	case "note":
		if r.early[i] {
			return nil
		}
		return r.note(l)
	case "request":
		r.wait(l)
		r.send(l)
		return nil
	case "response":
		return r.response(l)
	case "event":
		return r.event(i)
	}
	return fmt.Errorf("unknown line kind %q", l.Kind)
}

func (r *replayer) note(l traceLine) error {
	if m := wsConnected.FindStringSubmatch(l.Text); m != nil {
		c, err := dialWS(r.srv, r.ids.substitute(m[2]))
		if err != nil {
			return err
		}
		r.ws[atoi(m[1])] = c
		return nil
	}
	if m := wsClosed.FindStringSubmatch(l.Text); m != nil {
		n := atoi(m[1])
		r.ws[n].close()
		delete(r.ws, n)
		return r.srv.WaitAppDisconnected(r.ctx, "hotline")
	}
	for key, fn := range r.sc.onNote {
		if strings.Contains(l.Text, key) {
			return fn(r)
		}
	}
	return nil
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// send replays a request (ids substituted) in the background; the
// transcript's response line collects it.
func (r *replayer) send(l traceLine) {
	u := "http://" + r.srv.Addr() + r.ids.substitute(l.Path)
	if l.Query != "" {
		u += "?" + r.ids.substitute(l.Query)
	}
	res := make(chan httpResult, 1)
	r.pending = res
	go func() {
		req, err := http.NewRequestWithContext(r.ctx, l.Method, u, nil)
		if err != nil {
			res <- httpResult{err: err}
			return
		}
		req.SetBasicAuth(r.srv.Username(), r.srv.Password())
		resp, err := r.client.Do(req)
		if err != nil {
			res <- httpResult{err: err}
			return
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		out := httpResult{status: resp.StatusCode, err: err}
		if len(data) > 0 && err == nil {
			out.err = json.Unmarshal(data, &out.body)
		}
		res <- out
	}()
}

func (r *replayer) response(l traceLine) error {
	if r.pending == nil {
		return fmt.Errorf("response without request")
	}
	var got httpResult
	select {
	case got = <-r.pending:
	case <-time.After(eventWait):
		return fmt.Errorf("%s %s: no response within %v", l.Method, l.Path, eventWait)
	}
	r.pending = nil
	if got.err != nil {
		return fmt.Errorf("%s %s: %w", l.Method, l.Path, got.err)
	}
	if got.status != l.Status {
		return fmt.Errorf("%s %s: status %d, want %d (body %v)", l.Method, l.Path, got.status, l.Status, got.body)
	}
	var want any
	if err := json.Unmarshal(l.Body, &want); err != nil {
		return fmt.Errorf("trace body: %w", err)
	}
	want, gotBody := normalizeResponse(l, want, got.body)
	if diffs := r.ids.compare("body", want, gotBody); len(diffs) > 0 {
		return fmt.Errorf("%s %s:\n  %s", l.Method, l.Path, strings.Join(diffs, "\n  "))
	}
	return nil
}

// normalizeResponse removes what differs by nature of the recording system.
func normalizeResponse(l traceLine, want, got any) (any, any) {
	if l.Path == "/ari/recordings/stored" {
		// The recording system holds other recordings: compare only the
		// scenario's own (arirec-*).
		return ownRecordings(want), ownRecordings(got)
	}
	if w, isMap := want.(map[string]any); isMap && playPath.MatchString(l.Path) && w["state"] == "playing" {
		// The play response races the playback's start in Asterisk
		// ("queued" or "playing"); the test server always answers "queued".
		w["state"] = "queued"
	}
	return want, got
}

// playPath matches POST /channels/{id}/play[/{playbackId}] and the bridge's.
var playPath = regexp.MustCompile(`^/ari/(channels|bridges)/[^/]+/play(/[^/]+)?$`)

func ownRecordings(v any) any {
	list, _ := v.([]any)
	out := []any{}
	for _, e := range list {
		if m, isMap := e.(map[string]any); isMap && strings.HasPrefix(fmt.Sprint(m["name"]), "arirec-") {
			out = append(out, e)
		}
	}
	return out
}

// skippedEvent reports the transcript events the test server does not
// produce on purpose (see "Where it differs from Asterisk" in doc.go).
func skippedEvent(ev map[string]any) bool {
	if ev["type"] == "ChannelVarset" {
		switch ev["variable"] {
		case "BRIDGEPEER", "BRIDGEPVTCALLID":
			// Set by the bridging core, repeatedly as the bridge's
			// technology is re-evaluated.
			return true
		}
	}
	return false
}

func (r *replayer) event(i int) error {
	l := r.lines[i]
	if skippedEvent(l.ev) {
		return nil
	}
	if err := r.stimulate(i); err != nil {
		return err
	}
	c := r.ws[l.WS]
	if c == nil {
		return fmt.Errorf("event on websocket %d, which is not connected", l.WS)
	}
	var got map[string]any
	select {
	case got = <-c.events:
	case <-time.After(eventWait):
		return fmt.Errorf("no %s within %v", l.ev["type"], eventWait)
	}
	if diffs := r.ids.compare(fmt.Sprint(l.ev["type"]), l.ev, got); len(diffs) > 0 {
		return fmt.Errorf("event:\n  %s", strings.Join(diffs, "\n  "))
	}
	return nil
}

// stimulate performs what the SIP side did to cause event line i: a new
// incoming call, a DTMF digit, or the far end hanging up.
func (r *replayer) stimulate(i int) error {
	l := r.lines[i]
	for _, id := range channelsOf(l.ev) {
		if _, known := r.ids.sim(id); known || r.outbound[id] || r.dialed[id] {
			continue
		}
		r.wait(l)
		if err := r.dialIncoming(id); err != nil {
			return err
		}
	}
	if l.ev["type"] == "ApplicationReplaced" {
		// Caused by the next WebSocket, whose note the recorder wrote
		// after the event.
		for j := i + 1; j < len(r.lines); j++ {
			if n := r.lines[j]; n.Kind == "note" && wsConnected.MatchString(n.Text) {
				r.early[j] = true
				return r.note(n)
			}
		}
	}
	if r.copies[i] {
		return nil
	}
	chID := channelID(l.ev)
	switch l.ev["type"] {
	case "ChannelDtmfReceived":
		r.markCopies(i)
		r.wait(l)
		p, err := r.party(chID)
		if err != nil {
			return err
		}
		return p.Press(fmt.Sprint(l.ev["digit"]))
	case "ChannelVarset", "ChannelHangupRequest":
		if r.hungUp[chID] {
			return nil
		}
		req := r.nextHangupRequest(i, chID)
		if req == nil || req["soft"] != nil {
			return nil // not a hangup, or the application's (DELETE)
		}
		r.hungUp[chID] = true
		r.wait(l)
		p, err := r.party(chID)
		if err != nil {
			return err
		}
		if cause, has := req["cause"].(float64); has {
			return p.HangupWithCause(int(cause))
		}
		return p.Hangup()
	}
	return nil
}

// markCopies marks the event lines right after i that repeat it (endpoint
// subscriptions duplicate channel events, trace 07).
func (r *replayer) markCopies(i int) {
	key := copyKey(r.lines[i])
	for j := i + 1; j < len(r.lines) && r.lines[j].Kind == "event" && copyKey(r.lines[j]) == key; j++ {
		r.copies[j] = true
	}
}

func copyKey(l traceLine) string {
	return fmt.Sprint(l.WS, l.ev["type"], channelID(l.ev), l.ev["digit"])
}

// nextHangupRequest returns the first ChannelHangupRequest for chID from
// line i on, if the channel's hangup starts at line i (RTP statistics or
// the request itself).
func (r *replayer) nextHangupRequest(i int, chID string) map[string]any {
	l := r.lines[i]
	if l.ev["type"] == "ChannelVarset" && !strings.HasPrefix(fmt.Sprint(l.ev["variable"]), "RTPAUDIOQOS") {
		return nil
	}
	for _, n := range r.lines[i:] {
		if n.Kind == "event" && n.ev["type"] == "ChannelHangupRequest" && channelID(n.ev) == chID {
			return n.ev
		}
	}
	return nil
}

// dialIncoming places the incoming call whose StasisStart the transcript shows.
func (r *replayer) dialIncoming(traceID string) error {
	r.dialed[traceID] = true
	var ch struct {
		Name   string
		Caller struct{ Name, Number string }
		Dial   struct {
			Context string
			Exten   string
		} `json:"dialplan"`
	}
	for _, l := range r.lines {
		if l.Kind == "event" && l.ev["type"] == "StasisStart" && channelID(l.ev) == traceID {
			raw, _ := json.Marshal(l.ev["channel"])
			if err := json.Unmarshal(raw, &ch); err != nil {
				return fmt.Errorf("StasisStart of %s: %w", traceID, err)
			}
			break
		}
	}
	if ch.Name == "" {
		return fmt.Errorf("channel %s: no StasisStart to dial it from", traceID)
	}
	ep := endpointOf(ch.Name)
	p, err := r.srv.Dial(r.ctx, aritest.DialOptions{
		App: "hotline", Caller: ch.Caller.Number, CallerName: ch.Caller.Name, Endpoint: ep,
		Context: ch.Dial.Context, Exten: ch.Dial.Exten,
		// SIPp sends no audio RTP (README).
		NoMedia: ep == "PJSIP/anonymous",
	})
	if err != nil {
		return fmt.Errorf("dial %s: %w", traceID, err)
	}
	return r.ids.bind(traceID, p.ChannelID())
}

// party is the simulated far end of the transcript's channel traceID.
func (r *replayer) party(traceID string) (*aritest.Party, error) {
	id, known := r.ids.sim(traceID)
	if !known {
		return nil, fmt.Errorf("channel %s is not known yet", traceID)
	}
	p := r.srv.Party(id)
	if p == nil {
		return nil, fmt.Errorf("channel %s (%s) is gone", traceID, id)
	}
	return p, nil
}

// checkNoMoreEvents fails if a WebSocket got events the transcript does not
// have. Only absence is checked this way, so the short grace period cannot
// make a passing replay flaky.
func (r *replayer) checkNoMoreEvents() {
	time.Sleep(100 * time.Millisecond)
	for n, c := range r.ws {
		select {
		case ev := <-c.events:
			r.t.Errorf("websocket %d: unexpected %v after the transcript's end", n, ev["type"])
		default:
		}
	}
}

// channelID is the id of an event's channel (or Dial's peer).
func channelID(ev map[string]any) string {
	for _, k := range []string{"channel", "peer"} {
		if m, isMap := ev[k].(map[string]any); isMap {
			if id, isString := m["id"].(string); isString {
				return id
			}
		}
	}
	return ""
}

// channelsOf lists the channel ids an event shows, its endpoint's included.
func channelsOf(ev map[string]any) []string {
	var ids []string
	if id := channelID(ev); id != "" {
		ids = append(ids, id)
	}
	if ep, isMap := ev["endpoint"].(map[string]any); isMap {
		list, _ := ep["channel_ids"].([]any)
		for _, id := range list {
			ids = append(ids, fmt.Sprint(id))
		}
	}
	return ids
}
