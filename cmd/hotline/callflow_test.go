package main

// End-to-end tests of a resident's call through the real `serve` code path:
// the ARI test server (telephony/aritest) plays Asterisk over loopback HTTP
// and WebSocket, PostgreSQL is real, and the schedule is read at a fixed
// moment so routing does not depend on when the tests run.
//
// The rig here is shared by the callflow_*_test.go files: it starts serve()
// itself (not startServerAt) so a test can shut the server down and watch it
// drain, and it plays the prompts for as long as the shipped sounds in
// asterisk/sounds/uk last (scaled 100x down), so a prompt the menu plays
// without a sound file fails the way it would in Asterisk.

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/slobozhanske/hotline/config"
	"github.com/slobozhanske/hotline/internal/dbtest"
	"github.com/slobozhanske/hotline/internal/store"
	"github.com/slobozhanske/hotline/telephony/ari/aritest"
)

// Moments in Europe/Kyiv.
var (
	mondayMorning = time.Date(2026, 11, 23, 10, 0, 0, 0, time.FixedZone("EET", 2*3600))
	mondayNight   = time.Date(2026, 11, 23, 22, 0, 0, 0, time.FixedZone("EET", 2*3600))
)

// The rig's API user: a supervisor may do everything the tests need
// (register and close appeals, see the operators).
const flowSupervisorToken = "token-flow-supervisor-0123456789"

// The ARI credentials the rig's Asterisk stand-in expects: the shipped
// config's user (ari.username: hotline) and the password from the
// environment, as asterisk/ari.conf and HOTLINE_ARI_PASSWORD pair them.
const (
	flowARIUser     = "hotline"
	flowARIPassword = "test-password"
)

// rig is one running server with its Asterisk stand-in and database.
type rig struct {
	t     testing.TB
	ari   *aritest.Server
	pool  *pgxpool.Pool
	dbURL string
	base  string
	cfg   *config.Config

	stopServe context.CancelFunc // cancels serve's context: a shutdown
	served    chan error         // serve's result, once it returned
	draining  chan struct{}      // closed when the app stops taking new calls

	lastAPIError string // the last non-2xx answer of api, for failure messages
}

// rigOptions tune a rig. The zero value is the shipped config with menu
// timeouts cut to a third and media 100x faster than life.
type rigOptions struct {
	at   time.Time            // the schedule's clock (default mondayMorning)
	ari  aritest.Options      // zero fields: TimeScale 0.01, language uk, the shipped sounds
	tune func(*config.Config) // last word on the config
	// beforeServe prepares Asterisk's side before the server starts (e.g.
	// channels left in the application by a controller that went away).
	beforeServe func(*aritest.Server)
}

// startRig runs the server against an ARI test server. Menu timeouts are cut
// to a third and simulated media run 100x faster, so a call through the
// menu takes well under a second when the caller answers its questions.
func startRig(t testing.TB, at time.Time, tune func(*config.Config)) *rig {
	t.Helper()
	return startRigWith(t, rigOptions{at: at, tune: tune})
}

func startRigWith(t testing.TB, o rigOptions) *rig {
	t.Helper()
	r := newRig(t, o)
	r.startServe(o.at)
	return r
}

// newRig is the rig's Asterisk stand-in, database and config, with no
// server yet.
func newRig(t testing.TB, o rigOptions) *rig {
	t.Helper()
	if o.at.IsZero() {
		o.at = mondayMorning
	}
	ao := o.ari
	if ao.TimeScale == 0 {
		ao.TimeScale = 0.01
	}
	if ao.Language == "" {
		ao.Language = "uk"
	}
	if ao.Sounds == nil {
		ao.Sounds = shippedSounds(t, 0)
	}
	if ao.EventBuffer == 0 {
		ao.EventBuffer = 1 << 15
	}
	ao.Username, ao.Password = flowARIUser, flowARIPassword
	srv := aritest.Start(t, ao)
	// The endpoints of asterisk/pjsip.conf, registered: the operators'
	// softphones, the dispatcher on duty and the provider's trunk.
	for _, ep := range []string{"op101", "op102", "op103", "op104", "op105", "duty1", "trunk"} {
		if err := srv.SetEndpointState("PJSIP", ep, aritest.EndpointOnline); err != nil {
			t.Fatal(err)
		}
	}

	dbURL := dbtest.NewDatabase(t)
	cfg := rigConfig(t, dbURL, srv.URL(), o.tune)
	if o.beforeServe != nil {
		o.beforeServe(srv)
	}
	pool, err := store.Open(context.Background(), dbURL, 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return &rig{t: t, ari: srv, cfg: cfg, pool: pool, dbURL: dbURL, draining: make(chan struct{}), served: make(chan error, 1)}
}

// rigConfig is the config a rig's server runs with: the shipped one against
// the rig's Asterisk and database, with menu timeouts cut to a third, then tune.
func rigConfig(t testing.TB, dbURL, ariURL string, tune func(*config.Config)) *config.Config {
	t.Helper()
	cfg := flowConfig(t, dbURL, ariURL)
	cfg.SIP.ProbeTarget = ""
	// A third of the shipped timeouts: long enough for a scripted caller on
	// a loaded machine to answer a prompt in time, short enough for tests
	// where nobody answers (they set their own).
	for name, n := range cfg.Menu.Nodes {
		n.FirstKeyTimeout, n.InterKeyTimeout = 2*time.Second, time.Second
		cfg.Menu.Nodes[name] = n
	}
	cfg.API.Tokens = append(cfg.API.Tokens, config.Token{User: "flow-supervisor", Role: "supervisor", Token: flowSupervisorToken})
	if tune != nil {
		tune(cfg)
	}
	return cfg
}

// startServe runs the server in this process, its schedule read at at,
// and waits until it has connected to ARI and listed the channels it may
// take over.
func (r *rig) startServe(at time.Time) {
	r.t.Helper()
	listings := r.appListings()
	r.startServeConfig(r.cfg, at)
	r.waitConnected(listings)
}

// startServeConfig runs a server with cfg in this process and waits until
// it listens (a standby does not connect to ARI).
func (r *rig) startServeConfig(cfg *config.Config, at time.Time) {
	t := r.t
	t.Helper()
	if at.IsZero() {
		at = mondayMorning
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.stopServe = cancel
	started := make(chan string, 1)
	log := slog.New(&drainWatch{inner: flowLogHandler(t), draining: r.draining, once: &sync.Once{}})
	go func() {
		r.served <- serve(ctx, cfg, log, serveHooks{started: started, now: func() time.Time { return at }})
	}()
	select {
	case addr := <-started:
		r.base = "http://" + addr
	case err := <-r.served:
		t.Fatalf("serve returned before listening: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start listening within 30 s")
	}
	t.Cleanup(func() {
		cancel()
		if err := r.waitServed(30 * time.Second); err != nil {
			t.Errorf("serve on shutdown: %v", err)
		}
	})
}

// waitConnected waits until a server has connected to ARI and listed the
// channels in its application (after the listings seen before it started).
func (r *rig) waitConnected(listings int) {
	t, srv, cfg := r.t, r.ari, r.cfg
	t.Helper()
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := srv.WaitAppConnected(wctx, cfg.ARI.Application); err != nil {
		t.Fatalf("the server did not connect to ARI: %v", err)
	}
	// Right after connecting the app lists the channels already in its
	// Stasis application to take them over (re-adoption). Callers dial once
	// that is done, so each call arrives through its StasisStart as calls do
	// in normal operation; a call arriving during the listing is covered by
	// the telephony package's tests.
	for r.appListings() <= listings {
		if wctx.Err() != nil {
			t.Fatal("the app never listed the channels in its application after connecting")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// waitServed waits for serve to return (after shutdown) and returns its error.
func (r *rig) waitServed(within time.Duration) error {
	select {
	case err, ok := <-r.served:
		if !ok {
			return nil // already collected
		}
		close(r.served)
		return err
	case <-time.After(within):
		return fmt.Errorf("serve did not return within %v", within)
	}
}

// flowConfig is testConfig checked against the rig's Asterisk stand-in.
func flowConfig(tb testing.TB, dbURL, ariURL string) *config.Config {
	tb.Helper()
	cfg := testConfig(tb, dbURL, ariURL)
	if cfg.ARI.Username != flowARIUser {
		tb.Fatalf("the shipped config's ARI user is %q; the rig's Asterisk expects %q", cfg.ARI.Username, flowARIUser)
	}
	return cfg
}

func flowLogHandler(tb testing.TB) slog.Handler {
	if testing.Verbose() {
		return slog.NewTextHandler(flowLogWriter{tb}, &slog.HandlerOptions{Level: slog.LevelDebug})
	}
	return slog.NewTextHandler(io.Discard, nil)
}

type flowLogWriter struct{ tb testing.TB }

func (w flowLogWriter) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// drainWatch passes log records on and closes draining when the app logs
// that it takes no more calls (ari.App.Run on shutdown), so a test
// knows when a new call meets a draining server.
type drainWatch struct {
	inner    slog.Handler
	draining chan struct{}
	once     *sync.Once
}

func (h *drainWatch) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelInfo || h.inner.Enabled(ctx, l)
}

func (h *drainWatch) Handle(ctx context.Context, rec slog.Record) error {
	if strings.HasPrefix(rec.Message, "shutting down: no new calls") {
		h.once.Do(func() { close(h.draining) })
	}
	if h.inner.Enabled(ctx, rec.Level) {
		return h.inner.Handle(ctx, rec)
	}
	return nil
}

func (h *drainWatch) WithAttrs(as []slog.Attr) slog.Handler {
	return &drainWatch{inner: h.inner.WithAttrs(as), draining: h.draining, once: h.once}
}

func (h *drainWatch) WithGroup(name string) slog.Handler {
	return &drainWatch{inner: h.inner.WithGroup(name), draining: h.draining, once: h.once}
}

// shippedSounds lists the sound files deployed to Asterisk
// (asterisk/sounds/uk), as ARI sound ids ("hotline/greeting",
// "digits/7"), with their lengths read from the WAV headers; fixed > 0
// gives every sound that length instead.
func shippedSounds(tb testing.TB, fixed time.Duration) map[string]time.Duration {
	tb.Helper()
	root := "../../asterisk/sounds/uk"
	out := map[string]time.Duration{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".wav") {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		id := strings.TrimSuffix(filepath.ToSlash(rel), ".wav")
		if fixed > 0 {
			out[id] = fixed
			return nil
		}
		length, err := wavLength(path)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		out[id] = length
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	if len(out) == 0 {
		tb.Fatalf("no sounds in %s", root)
	}
	return out
}

// wavLength is a RIFF/WAVE file's playing time: its data size over its byte rate.
func wavLength(path string) (time.Duration, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return 0, errors.New("not a RIFF/WAVE file")
	}
	var byteRate, dataSize uint32
	for off := 12; off+8 <= len(b); {
		id, size := string(b[off:off+4]), binary.LittleEndian.Uint32(b[off+4:off+8])
		body := off + 8
		switch id {
		case "fmt ":
			if body+12 > len(b) {
				return 0, errors.New("short fmt chunk")
			}
			byteRate = binary.LittleEndian.Uint32(b[body+8 : body+12])
		case "data":
			dataSize = size
		}
		off = body + int(size) + int(size&1)
	}
	if byteRate == 0 {
		return 0, errors.New("no byte rate")
	}
	return time.Duration(float64(dataSize) / float64(byteRate) * float64(time.Second)), nil
}

func (r *rig) dial(ctx context.Context, caller string) *aritest.Party {
	r.t.Helper()
	p, err := r.ari.Dial(ctx, aritest.DialOptions{App: "hotline", Caller: caller, Exten: "1580", Language: "uk"})
	if err != nil {
		r.t.Fatalf("dial: %v", err)
	}
	return p
}

// callStep is one row of call_events.
type callStep struct {
	kind, node string
	detail     map[string]string
}

func (s callStep) String() string {
	if len(s.detail) == 0 {
		return s.kind + ":" + s.node
	}
	return fmt.Sprintf("%s:%s%v", s.kind, s.node, s.detail)
}

// callRecord is the row written for a call, read once it is complete.
type callRecord struct {
	id        string
	outcome   string
	answered  bool
	ended     bool
	cause     int
	causeText string
	events    []string // kind:node:key
	steps     []callStep
	appealNum string
}

// waitRecord waits until the call's record has its end written.
func (r *rig) waitRecord(ctx context.Context, channelID string) callRecord {
	r.t.Helper()
	rec, err := readRecord(ctx, r.pool, channelID, true)
	if err != nil {
		r.t.Fatalf("no complete record for channel %s: %v", channelID, err)
	}
	return rec
}

// readRecord reads a call's record; with wait, it waits until its end is written.
func readRecord(ctx context.Context, pool *pgxpool.Pool, channelID string, wait bool) (callRecord, error) {
	for {
		var rec callRecord
		err := pool.QueryRow(ctx, `SELECT id, outcome, answered_at IS NOT NULL, ended_at IS NOT NULL,
				COALESCE(hangup_cause, 0), hangup_cause_text, appeal_number
			FROM calls WHERE channel_id = $1`, channelID).
			Scan(&rec.id, &rec.outcome, &rec.answered, &rec.ended, &rec.cause, &rec.causeText, &rec.appealNum)
		if err == nil && (rec.ended || !wait) {
			rows, err := pool.Query(ctx, `SELECT kind, node, COALESCE(detail, '{}'::jsonb) FROM call_events WHERE call_id = $1 ORDER BY seq`, rec.id)
			if err != nil {
				return rec, err
			}
			for rows.Next() {
				var s callStep
				var raw []byte
				if err := rows.Scan(&s.kind, &s.node, &raw); err != nil {
					rows.Close()
					return rec, err
				}
				_ = json.Unmarshal(raw, &s.detail)
				rec.steps = append(rec.steps, s)
				rec.events = append(rec.events, s.kind+":"+s.node+":"+s.detail["key"])
			}
			rows.Close()
			return rec, rows.Err()
		}
		if !wait && err != nil {
			return rec, err
		}
		select {
		case <-ctx.Done():
			return rec, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// count is how many steps of kind there are in node ("" node: any).
func (rec callRecord) count(kind, node string) int {
	n := 0
	for _, s := range rec.steps {
		if s.kind == kind && (node == "" || s.node == node) {
			n++
		}
	}
	return n
}

// find returns the first step of kind in node ("" node: any) whose detail
// has every key=value given.
func (rec callRecord) find(kind, node string, kv ...string) (callStep, bool) {
	if i := rec.index(kind, node, kv...); i >= 0 {
		return rec.steps[i], true
	}
	return callStep{}, false
}

// index is the position of the first step matching as in find, or -1.
func (rec callRecord) index(kind, node string, kv ...string) int {
	for i, s := range rec.steps {
		if s.kind != kind || (node != "" && s.node != node) {
			continue
		}
		match := true
		for j := 0; j+1 < len(kv); j += 2 {
			if s.detail[kv[j]] != kv[j+1] {
				match = false
			}
		}
		if match {
			return i
		}
	}
	return -1
}

func heard(p *aritest.Party, uri string) int {
	n := 0
	for _, u := range p.HeardURIs() {
		if u == uri {
			n++
		}
	}
	return n
}

func hasEvent(rec callRecord, prefix string) bool {
	for _, e := range rec.events {
		if strings.HasPrefix(e, prefix) {
			return true
		}
	}
	return false
}

// noChannelsLeft checks that every channel has left the Stasis application.
func (r *rig) noChannelsLeft(ctx context.Context) {
	r.t.Helper()
	if err := r.ari.WaitChannelsInApp(ctx, r.cfg.ARI.Application, 0); err != nil {
		r.t.Errorf("channels left in the app: %v", r.ari.ChannelsInApp(r.cfg.ARI.Application))
	}
}

func TestCallerPresses4AndHearsTheInformation(t *testing.T) {
	r := startRig(t, mondayMorning, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	caller := r.dial(ctx, "+380501234567")
	if _, err := caller.WaitForPlayback(ctx, "sound:hotline/main-menu"); err != nil {
		t.Fatal(err)
	}
	_ = caller.Press("4")
	if _, err := caller.WaitForPlaybackEnd(ctx, "sound:hotline/info-hours"); err != nil {
		t.Fatalf("the information prompt was not played: %v (heard %v)", err, caller.HeardURIs())
	}
	_ = caller.Hangup()
	rec := r.waitRecord(ctx, caller.ChannelID())
	if !rec.answered || rec.outcome != "info_given" {
		t.Errorf("record = %+v", rec)
	}
	if !hasEvent(rec, "key:main:4") || !hasEvent(rec, "node:info:") {
		t.Errorf("the record does not show key 4 in main and the info node: %v", rec.events)
	}
	// Barge-in: the key stopped the menu prompt; the information was heard to its end.
	for _, h := range caller.Heard() {
		if h.MediaURI == "sound:hotline/main-menu" && h.Outcome != aritest.HeardStopped && h.Outcome != aritest.HeardDone {
			t.Errorf("main menu prompt %s", h.Outcome)
		}
	}
	r.noChannelsLeft(ctx)
}

func TestCallerWhoHangsUpMidPromptLeavesACompleteRecord(t *testing.T) {
	// The greeting lasts long enough (10 simulated minutes) that the caller
	// certainly hangs up while it plays.
	r := startRigWith(t, rigOptions{ari: aritest.Options{MediaDurations: map[string]time.Duration{"sound:hotline/greeting": 10 * time.Minute}}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	caller := r.dial(ctx, "+380501234568")
	if _, err := caller.WaitForPlayback(ctx, "sound:hotline/greeting"); err != nil {
		t.Fatal(err)
	}
	_ = caller.Hangup()
	rec := r.waitRecord(ctx, caller.ChannelID())
	if rec.outcome != "hung_up_in_menu" || rec.cause != aritest.CauseNormalClearing || !rec.answered {
		t.Errorf("record = %+v", rec)
	}
	if rec.causeText != aritest.CauseText(aritest.CauseNormalClearing) {
		t.Errorf("hangup cause text %q", rec.causeText)
	}
	if _, ok := rec.find("node", "main"); !ok {
		t.Errorf("the record does not show the caller in the main menu: %v", rec.steps)
	}
	if h := caller.Heard(); len(h) != 1 || h[0].Outcome != aritest.HeardFailed {
		t.Errorf("heard %+v, want the greeting cut by the hangup", h)
	}
	r.noChannelsLeft(ctx)
}
