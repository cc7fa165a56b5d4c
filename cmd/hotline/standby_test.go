package main

// Two servers against one PostgreSQL and one Asterisk (standby.enabled):
// the first to take the lease is active, the other waits. The active one
// runs in a child process, so that killing it (kill -9) or pausing it
// (SIGSTOP) is real; the standby runs here. Each logs in to ARI as a user
// of its own, so the ARI test server's request log says who sent what.

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/telephony/ari/aritest"
)

const (
	standbyUser, standbyPassword = "hotline-standby", "standby-secret"
	pairLeaseTTL                 = 2 * time.Second
)

// startPair starts the active server (child process, instance "a", the
// rig's ARI user) and the standby (here, instance "b", standbyUser).
func startPair(t *testing.T) (r *rig, active *child, standbyBase string) {
	t.Helper()
	r = newRig(t, rigOptions{ari: aritest.Options{Users: map[string]string{standbyUser: standbyPassword},
		// The greeting lasts 2.4 s here: callers are still in it when the
		// active server dies, and a prompt the dead server started plays to
		// its end before the standby's (Asterisk queues them).
		MediaDurations: map[string]time.Duration{"sound:hotline/greeting": 4 * time.Minute}}})
	r.cfg = rigConfig(t, r.dbURL, r.ari.URL(), queueTune)
	active = r.startChildSpec(childSpec{At: mondayMorning, Tune: "queue", Pair: &pairSpec{Instance: "a", LeaseTTL: pairLeaseTTL}})
	r.waitConnected(active.listings)
	activeBase := r.base

	cfg := rigConfig(t, r.dbURL, r.ari.URL(), queueTune)
	(&pairSpec{Instance: "b", ARIUser: standbyUser, ARIPassword: standbyPassword, LeaseTTL: pairLeaseTTL}).apply(cfg)
	r.startServeConfig(cfg, mondayMorning)
	standbyBase, r.base = r.base, activeBase
	return r, active, standbyBase
}

// firstRequestBy is when user first sent a request after since (zero: never).
func firstRequestBy(srv *aritest.Server, user string, since time.Time) time.Time {
	for _, rq := range srv.Requests() {
		if rq.User == user && !rq.Time.Before(since) {
			return rq.Time
		}
	}
	return time.Time{}
}

func requestsBy(srv *aritest.Server, user string, since time.Time) []aritest.RequestRecord {
	var out []aritest.RequestRecord
	for _, rq := range srv.Requests() {
		if rq.User == user && !rq.Time.Before(since) {
			out = append(out, rq)
		}
	}
	return out
}

// The standby answers health and API reads, says standby in /readyz, and
// refuses changes with 503 and Retry-After; it sends Asterisk nothing.
func TestTheStandbyServesReadsRefusesWritesAndLeavesAsteriskAlone(t *testing.T) {
	r, _, standby := startPair(t)
	get := func(path string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, standby+path, nil)
		req.Header.Set("Authorization", "Bearer "+flowSupervisorToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Errorf("standby /healthz: %d", code)
	}
	if code, body := get("/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "leader") {
		t.Errorf("standby /readyz: %d %s; want 503 naming the leader check", code, body)
	}
	if code, _ := get("/api/v1/schedule/state"); code != http.StatusOK {
		t.Errorf("standby API read: %d", code)
	}
	req, _ := http.NewRequest(http.MethodPut, standby+"/api/v1/schedule/override", strings.NewReader(`{"state":"open","until":"2026-11-23T20:00:00+02:00","reason":"test"}`))
	req.Header.Set("Authorization", "Bearer "+flowSupervisorToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("standby API write: %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if got := requestsBy(r.ari, standbyUser, time.Time{}); len(got) != 0 {
		t.Errorf("the standby sent Asterisk %d requests, first %s %s", len(got), got[0].Method, got[0].Path)
	}
}

// Killed with calls in progress, the active server's calls are taken over by
// the standby within 5 s: callers in the menu, one waiting in the queue, one
// talking to an operator; every call continues and keeps one record.
func TestTheStandbyTakesTheCallsOverWithinFiveSecondsWhenTheActiveServerIsKilled(t *testing.T) {
	r, active, _ := startPair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	r.operatorLogsIn(ctx, "op101")
	talking := r.dial(ctx, "+380501120001")
	if _, err := talking.WaitForPlayback(ctx, "sound:hotline/greeting"); err != nil {
		t.Fatal(err)
	}
	_ = talking.Press("0")
	phone, err := r.ari.WaitOutbound(ctx, "PJSIP/op101")
	if err != nil {
		t.Fatal(err)
	}
	if err := talking.WaitBridgedWith(ctx, phone); err != nil {
		t.Fatal(err)
	}
	waiting := r.dial(ctx, "+380501120002")
	if _, err := waiting.WaitForPlayback(ctx, "sound:hotline/greeting"); err != nil {
		t.Fatal(err)
	}
	_ = waiting.Press("0")
	var inMenu []*aritest.Party
	for i := range 48 {
		p := r.dial(ctx, "+38050113"+twoDigits(i))
		inMenu = append(inMenu, p)
	}
	for _, p := range append([]*aritest.Party{waiting}, inMenu...) {
		p := p
		r.until(ctx, "every call's record shows where it is", func() bool {
			rec, err := readRecord(ctx, r.pool, p.ChannelID(), false)
			return err == nil && slices.ContainsFunc(rec.steps, func(s callStep) bool {
				return s.kind == "node" || s.kind == "queue" && s.detail["event"] == "joined"
			})
		})
	}
	heardBefore := map[*aritest.Party]int{}
	for _, p := range inMenu {
		if _, err := p.WaitForPlayback(ctx, "sound:hotline/greeting"); err != nil {
			t.Fatal(err)
		}
	}
	killed := time.Now()
	for _, p := range inMenu {
		heardBefore[p] = len(p.HeardURIs())
	}
	active.crash()
	r.until(ctx, "the standby connects to ARI", func() bool {
		return !firstRequestBy(r.ari, standbyUser, killed).IsZero() && r.ari.AppConnected(r.cfg.ARI.Application)
	})
	took := firstRequestBy(r.ari, standbyUser, killed).Sub(killed)
	t.Logf("the standby took over %v after the kill (lease TTL %v)", took.Round(time.Millisecond), pairLeaseTTL)
	if took > 5*time.Second {
		t.Errorf("the standby took over %v after the kill, want within 5 s", took)
	}

	// Every caller in the menu hears the menu's question from the standby.
	for _, p := range inMenu {
		r.until(ctx, "a caller in the menu is taken over", func() bool {
			return slices.Contains(p.HeardURIs()[heardBefore[p]:], "sound:hotline/main-menu")
		})
	}
	// The conversation is untouched; when the operator hangs up, the caller
	// who waited gets op101.
	if talking.Snapshot().Ended || phone.Snapshot().Ended {
		t.Fatal("the conversation was cut by the takeover")
	}
	_ = phone.Hangup()
	next, err := r.ari.WaitOutbound(ctx, "PJSIP/op101")
	if err != nil {
		t.Fatalf("op101 was never offered the caller who waited: %v", err)
	}
	if err := waiting.WaitBridgedWith(ctx, next); err != nil {
		t.Fatal(err)
	}
	_ = next.Hangup()
	for _, p := range inMenu {
		_ = p.Hangup()
	}
	_, _ = talking.WaitEnded(ctx)
	_, _ = waiting.WaitEnded(ctx)

	all := append([]*aritest.Party{talking, waiting}, inMenu...)
	ids := make([]string, len(all))
	for i, p := range all {
		ids[i] = p.ChannelID()
		rec := r.waitRecord(ctx, p.ChannelID())
		if rec.outcome == "" || rec.outcome == "end_not_recorded" {
			t.Errorf("%s: outcome %q", p.ChannelID(), rec.outcome)
		}
	}
	var rows int
	if err := r.pool.QueryRow(ctx, `SELECT count(*) FROM calls WHERE channel_id = ANY($1)`, ids).Scan(&rows); err != nil || rows != len(all) {
		t.Errorf("%d records for %d calls (%v), want one each", rows, len(all), err)
	}
	r.noChannelsLeft(ctx)
}

// A paused active server (SIGSTOP: the process lives, its connections stay
// open) loses the lease to the standby; when it runs again it sends Asterisk
// nothing more (fencing) and exits, and the standby keeps the calls.
func TestAPausedActiveServerThatResumesIssuesNoCommand(t *testing.T) {
	r, active, _ := startPair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	caller := r.dial(ctx, "+380501140001")
	if _, err := caller.WaitForPlayback(ctx, "sound:hotline/greeting"); err != nil {
		t.Fatal(err)
	}
	r.until(ctx, "the caller's record is written", func() bool {
		_, err := readRecord(ctx, r.pool, caller.ChannelID(), false)
		return err == nil
	})

	paused := time.Now()
	if err := active.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	r.until(ctx, "the standby takes over", func() bool { return !firstRequestBy(r.ari, standbyUser, paused).IsZero() })
	if _, err := caller.WaitForPlayback(ctx, "sound:hotline/main-menu"); err != nil {
		t.Fatalf("the standby did not take the caller over: %v (end %+v, requests %v)", err, caller.Snapshot().End, changes(r.ari, paused))
	}
	resumed := time.Now()
	if err := active.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-active.done:
	case <-ctx.Done():
		t.Fatal("the resumed server did not stop after losing the lease")
	}
	if got := requestsBy(r.ari, r.cfg.ARI.Username, resumed); len(got) != 0 {
		t.Errorf("the resumed old server sent Asterisk %d requests, first %s %s", len(got), got[0].Method, got[0].Path)
	}
	// The standby still has the application and the caller.
	_ = caller.Press("4")
	if _, err := caller.WaitForPlayback(ctx, "sound:hotline/info-hours"); err != nil {
		t.Fatalf("the caller is no longer served: %v", err)
	}
	_ = caller.Hangup()
	if rec := r.waitRecord(ctx, caller.ChannelID()); rec.outcome != "info_given" {
		t.Errorf("outcome %q, want info_given", rec.outcome)
	}
}

func changes(srv *aritest.Server, since time.Time) []string {
	var out []string
	for _, rq := range srv.Requests() {
		if rq.Method != http.MethodGet && !rq.Time.Before(since) {
			out = append(out, rq.User+" "+rq.Method+" "+rq.Path+"?"+rq.Query)
		}
	}
	return out
}

func twoDigits(i int) string { return string(rune('0'+i/10)) + string(rune('0'+i%10)) }
