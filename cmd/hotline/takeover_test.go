package main

// A controller killed with calls in progress (kill -9, its machine lost)
// leaves them in Asterisk and their records open in PostgreSQL. The server
// that connects next takes each call over where it was: a caller in the
// menu at their node, a caller in the queue with their place and join
// time, a conversation untouched; every call keeps its one record, and
// nothing is left behind in Asterisk. The first controller runs in a
// process of its own (this test binary, TestTakeoverChildServer) so that
// killing it is a real crash: it writes nothing and says nothing after.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/config"
	"github.com/slobozhanske/hotline/telephony/ari/aritest"
)

// childSpecEnv carries a childSpec to the child process.
const childSpecEnv = "HOTLINE_TEST_CHILD_SERVER"

type childSpec struct {
	DB   string    `json:"db"`
	ARI  string    `json:"ari"`
	At   time.Time `json:"at"`
	Tune string    `json:"tune"`
	// Pair runs the child as one of a standby pair (standby.enabled).
	Pair *pairSpec `json:"pair,omitempty"`
}

// pairSpec is one server of a standby pair: its name in the lease and the
// ARI user it logs in as (so the ARI test server tells the two apart).
type pairSpec struct {
	Instance    string        `json:"instance"`
	ARIUser     string        `json:"ari_user"`
	ARIPassword string        `json:"ari_password"`
	LeaseTTL    time.Duration `json:"lease_ttl"`
}

func (p *pairSpec) apply(cfg *config.Config) {
	if p == nil {
		return
	}
	cfg.Standby.Enabled, cfg.Standby.Instance, cfg.Standby.LeaseTTL = true, p.Instance, p.LeaseTTL
	if p.ARIUser != "" {
		cfg.ARI.Username, cfg.ARI.Password = p.ARIUser, config.Secret(p.ARIPassword)
	}
}

// childTunes are the config tunes a child server can be started with, by name.
var childTunes = map[string]func(*config.Config){
	"queue": queueTune,
}

// TestTakeoverChildServer is not a test of its own: it is the server of a
// takeover test, run in a child process until that test kills it.
func TestTakeoverChildServer(t *testing.T) {
	raw := os.Getenv(childSpecEnv)
	if raw == "" {
		t.Skip("the server of a takeover test; runs only in its child process")
	}
	var spec childSpec
	if err := json.Unmarshal([]byte(raw), &spec); err != nil {
		t.Fatalf("child spec: %v", err)
	}
	cfg := rigConfig(t, spec.DB, spec.ARI, childTunes[spec.Tune])
	spec.Pair.apply(cfg)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	started := make(chan string, 1)
	go func() {
		addr := <-started
		fmt.Printf("listening %s\n", addr)
	}()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("server", "child")
	}
	if err := serve(ctx, cfg, log, serveHooks{started: started, now: func() time.Time { return spec.At }}); err != nil {
		t.Fatal(err)
	}
}

// child is a server in a process of its own.
type child struct {
	cmd      *exec.Cmd
	done     chan struct{} // closed when the process has exited
	listings int           // the app's listings before it started
}

// startChild runs the first controller in a child process and waits until
// it has connected to ARI; r.base then points at its HTTP API.
func (r *rig) startChild(at time.Time, tune string) *child {
	r.t.Helper()
	c := r.startChildSpec(childSpec{At: at, Tune: tune})
	r.waitConnected(c.listings)
	return c
}

// startChildSpec runs a server in a child process as spec says and waits
// until it listens; r.base then points at its HTTP API.
func (r *rig) startChildSpec(cs childSpec) *child {
	t := r.t
	t.Helper()
	listings := r.appListings()
	cs.DB, cs.ARI = r.dbURL, r.ari.URL()
	spec, err := json.Marshal(cs)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"-test.run=^TestTakeoverChildServer$", "-test.count=1"}
	if testing.Verbose() {
		args = append(args, "-test.v")
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), childSpecEnv+"="+string(spec))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the child server: %v", err)
	}
	c := &child{cmd: cmd, done: make(chan struct{}), listings: listings}
	addr := make(chan string, 1)
	go func() {
		defer close(c.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
				addr <- a
			}
		}
		_ = cmd.Wait()
	}()
	t.Cleanup(c.crash)
	select {
	case a := <-addr:
		r.base = "http://" + a
	case <-c.done:
		t.Fatal("the child server exited before listening")
	case <-time.After(60 * time.Second):
		t.Fatal("the child server did not listen within 60 s")
	}
	return c
}

// lastHeard is the end of what p heard, for failure messages.
func lastHeard(p *aritest.Party, n int) []string {
	h := p.HeardURIs()
	return h[max(0, len(h)-n):]
}

// crash kills the child server as kill -9 does.
func (c *child) crash() {
	if c.cmd.Process != nil {
		_ = c.cmd.Process.Kill()
	}
	<-c.done
}

// TestCallsInProgressWhenTheControllerIsKilledAreTakenOverWhereTheyWere
// is the real-Asterisk issue's run: kill -9 with a caller in the menu, one
// waiting in the queue and one talking to an operator.
func TestCallsInProgressWhenTheControllerIsKilledAreTakenOverWhereTheyWere(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.cfg = rigConfig(t, r.dbURL, r.ari.URL(), queueTune)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	first := r.startChild(mondayMorning, "queue")
	r.operatorLogsIn(ctx, "op101")

	// Talking: a resident put through to op101.
	talking := r.dial(ctx, "+380501110001")
	if _, err := talking.WaitForPlayback(ctx, "sound:hotline/main-menu"); err != nil {
		t.Fatal(err)
	}
	_ = talking.Press("0")
	phone, err := r.ari.WaitOutbound(ctx, "PJSIP/op101")
	if err != nil {
		t.Fatalf("op101's phone never rang: %v", err)
	}
	if err := talking.WaitBridgedWith(ctx, phone); err != nil {
		t.Fatal(err)
	}
	// Waiting: a second resident in the queue behind them.
	waiting := r.dial(ctx, "+380501110002")
	if _, err := waiting.WaitForPlayback(ctx, "sound:hotline/main-menu"); err != nil {
		t.Fatal(err)
	}
	_ = waiting.Press("0")
	// In the menu: a third in the information node.
	inMenu := r.dial(ctx, "+380501110003")
	if _, err := inMenu.WaitForPlayback(ctx, "sound:hotline/main-menu"); err != nil {
		t.Fatal(err)
	}
	_ = inMenu.Press("4")
	if _, err := inMenu.WaitForPlayback(ctx, "sound:hotline/info-hours"); err != nil {
		t.Fatal(err)
	}
	if _, err := inMenu.WaitForPlaybackEnd(ctx, "sound:hotline/info-hours"); err != nil {
		t.Fatal(err)
	}
	var joinedAt string
	r.until(ctx, "the queue and menu steps are written", func() bool {
		w, err1 := readRecord(ctx, r.pool, waiting.ChannelID(), false)
		m, err2 := readRecord(ctx, r.pool, inMenu.ChannelID(), false)
		if err1 != nil || err2 != nil {
			return false
		}
		for _, s := range w.steps {
			if s.kind == "queue" && s.detail["event"] == "joined" {
				joinedAt = s.detail["joined_at"]
			}
		}
		return joinedAt != "" && hasEvent(m, "node:info:")
	})
	waitingHeard := len(waiting.HeardURIs())
	menuHeard := len(inMenu.HeardURIs())
	// And one who hangs up while no controller is up.
	gone := r.dial(ctx, "+380501110009")
	if _, err := gone.WaitForPlayback(ctx, "sound:hotline/main-menu"); err != nil {
		t.Fatal(err)
	}
	r.until(ctx, "the last caller's record is written", func() bool {
		_, err := readRecord(ctx, r.pool, gone.ChannelID(), false)
		return err == nil
	})

	first.crash()
	if err := waitNotConnected(ctx, r.ari, r.cfg.ARI.Application); err != nil {
		t.Fatal(err)
	}
	_ = gone.Hangup()
	r.startServe(mondayMorning)
	if rec := r.waitRecord(ctx, gone.ChannelID()); rec.outcome != "end_not_recorded" {
		t.Errorf("the record of a call that ended while no server watched: outcome %q, want end_not_recorded", rec.outcome)
	}

	// The caller in the menu hears the information node's question again,
	// not the greeting.
	if _, err := inMenu.WaitForPlayback(ctx, "sound:hotline/info-hours"); err != nil {
		t.Fatalf("the caller in the menu was not taken over at their node: %v (heard last %v)", err, lastHeard(inMenu, 8))
	}
	if again := inMenu.HeardURIs()[menuHeard:]; slices.Contains(again, "sound:hotline/greeting") || slices.Contains(again, "sound:hotline/main-menu") {
		t.Errorf("the caller in the menu started again from the greeting: %v", again)
	}
	// A new caller after the restart does not overtake the one waiting.
	newcomer := r.dial(ctx, "+380501110004")
	if _, err := newcomer.WaitForPlayback(ctx, "sound:hotline/main-menu"); err != nil {
		t.Fatal(err)
	}
	_ = newcomer.Press("0")
	r.until(ctx, "the newcomer waits in the queue", func() bool {
		rec, err := readRecord(ctx, r.pool, newcomer.ChannelID(), false)
		return err == nil && rec.outcome == "queued"
	})
	// The conversation is untouched: still bridged, nobody hung up.
	if talking.Snapshot().Ended || phone.Snapshot().Ended {
		t.Fatal("the conversation was cut by the takeover")
	}
	if err := talking.WaitBridgedWith(ctx, phone); err != nil {
		t.Fatalf("the conversation is no longer bridged: %v", err)
	}
	if again := waiting.HeardURIs()[waitingHeard:]; slices.Contains(again, "sound:hotline/greeting") || slices.Contains(again, "sound:hotline/queue-welcome") {
		t.Errorf("the caller in the queue heard the greeting or the welcome again: %v", again)
	}

	// The operator hangs up: the conversation ends as any does, and op101,
	// once wrapped up, gets the caller who waited first.
	_ = phone.Hangup()
	if _, err := talking.WaitForPlayback(ctx, "sound:hotline/goodbye"); err != nil {
		t.Errorf("the caller did not hear goodbye after the operator hung up: %v", err)
	}
	next, err := r.ari.WaitOutbound(ctx, "PJSIP/op101")
	if err != nil {
		t.Fatalf("op101 was never offered the next caller: %v", err)
	}
	if got := next.Snapshot().Caller; !strings.Contains(got, "0501110002") {
		t.Errorf("op101 was offered %q first, want the caller who waited since before the restart", got)
	}
	if err := waiting.WaitBridgedWith(ctx, next); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*aritest.Party{waiting, newcomer, inMenu} {
		_ = p.Hangup()
	}
	_, _ = talking.WaitEnded(ctx)

	// One record per call, continued and closed; the waiting caller's join
	// time is the one from before the crash.
	for _, c := range []struct {
		p       *aritest.Party
		outcome string
	}{{talking, "answered_by_operator"}, {waiting, "answered_by_operator"}, {inMenu, "info_given"}, {newcomer, "abandoned_in_queue"}} {
		rec := r.waitRecord(ctx, c.p.ChannelID())
		if rec.outcome != c.outcome {
			t.Errorf("%s: outcome %q, want %q (steps %v)", c.p.ChannelID(), rec.outcome, c.outcome, rec.steps)
		}
	}
	var rows int
	if err := r.pool.QueryRow(ctx, `SELECT count(*) FROM calls WHERE channel_id = ANY($1)`,
		[]string{talking.ChannelID(), waiting.ChannelID(), inMenu.ChannelID()}).Scan(&rows); err != nil || rows != 3 {
		t.Errorf("%d records for the three calls taken over (%v), want one each", rows, err)
	}
	rec := r.waitRecord(ctx, waiting.ChannelID())
	var joins []string
	for _, s := range rec.steps {
		if s.kind == "queue" && s.detail["event"] == "joined" {
			joins = append(joins, s.detail["joined_at"])
		}
	}
	if len(joins) != 2 || joins[1] != joinedAt {
		t.Errorf("joins of the waiting caller %v, want the second (after the takeover) at the first's time %s", joins, joinedAt)
	}
	r.noChannelsLeft(ctx)
	if bridges := r.ari.Bridges(); len(bridges) != 0 {
		t.Errorf("bridges left in Asterisk: %v", bridges)
	}
}

// A call taken over is routed only once the stored schedule (here a manual
// override that opens the line at night) is loaded.
func TestACallTakenOverIsNotRoutedBeforeTheStoredOverrideIsLoaded(t *testing.T) {
	var caller *aritest.Party
	r := newRig(t, rigOptions{at: mondayNight, beforeServe: func(srv *aritest.Server) {
		ws := rawEvents(t, srv, "hotline")
		p, err := srv.Dial(context.Background(), aritest.DialOptions{App: "hotline", Caller: "+380501110005", Exten: "1580", Language: "uk"})
		if err != nil {
			t.Fatal(err)
		}
		_ = ws.Close()
		caller = p
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := waitNotConnected(ctx, r.ari, "hotline"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.pool.Exec(ctx, `INSERT INTO schedule_overrides (state, until, set_by, reason, set_at)
		VALUES ('open', $1, 'supervisor', 'storm: the line stays open', $2)`, mondayNight.Add(6*time.Hour), mondayNight.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	// Hold the override's table so that loading it waits.
	tx, err := r.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(context.Background()) }()
	if _, err := tx.Exec(ctx, `LOCK TABLE schedule_overrides IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	r.startServe(mondayNight)
	r.until(ctx, "the server waits for the override", func() bool {
		var waiting int
		err := r.pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE wait_event_type = 'Lock' AND query LIKE '%schedule_overrides%' AND pid <> pg_backend_pid()`).Scan(&waiting)
		return err == nil && waiting > 0
	})
	if heard := caller.HeardURIs(); len(heard) != 0 {
		t.Fatalf("the caller was routed before the override was loaded: heard %v", heard)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := caller.WaitForPlayback(ctx, "sound:hotline/main-menu"); err != nil {
		t.Fatalf("the caller did not get the open-hours menu the override asks for: %v (heard last %v)", err, lastHeard(caller, 8))
	}
	if slices.Contains(caller.HeardURIs(), "sound:hotline/after-hours-greeting") {
		t.Errorf("the caller heard the after-hours greeting: %v", lastHeard(caller, 8))
	}
	_ = caller.Hangup()
	r.waitRecord(ctx, caller.ChannelID())
}
