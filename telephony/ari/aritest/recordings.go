package aritest

import (
	"context"
	"encoding/binary"
	"math"
	"net/http"
	"sort"
	"time"
)

type finishReason int

const (
	finishStop    finishReason = iota // stop, hangup, bridge destroyed
	finishSilence                     // maxSilenceSeconds of silence
	finishDTMF                        // terminateOn digit
	finishMax                         // maxDurationSeconds reached
)

// recordFormats are file formats Asterisk can record to; others get 422.
var recordFormats = map[string]bool{
	"wav": true, "WAV": true, "wav16": true, "wav49": true, "gsm": true, "ulaw": true, "ul": true,
	"alaw": true, "al": true, "sln": true, "sln16": true, "sln48": true, "g722": true, "g729": true,
	"g726": true, "ilbc": true, "siren7": true, "siren14": true, "ogg": true, "opus": true,
}

// liveRecording is a recording on a channel (queued behind the channel's
// playbacks) or a bridge.
type liveRecording struct {
	s           *Server
	name        string
	format      string
	target      string
	ch          *channel
	br          *bridge
	state       string
	maxDur      time.Duration // simulated; 0 = no limit
	maxSilence  time.Duration // simulated; 0 = no silence detection
	ifExists    string
	beep        bool
	terminateOn string
	started     time.Time
	pausedAt    time.Time
	pausedTotal time.Duration
	muted       bool
	finished    bool
	maxTimer    *timer
	silence     *timer
	duration    *int
	talking     *int
	silent      *int
}

// storedRecording is a finished recording (GET /recordings/stored).
type storedRecording struct {
	name     string
	format   string
	target   string
	duration time.Duration // simulated
	talking  time.Duration // simulated
	beep     bool
	created  time.Time
}

// StoredRecording describes a finished recording.
type StoredRecording struct {
	Name     string
	Format   string
	Target   string        // "channel:<id>" or "bridge:<id>" of the last recording under this name
	Duration time.Duration // simulated time, as reported in RecordingFinished
	Talking  time.Duration // time the recorded parties spoke
	Beep     bool
}

func (r *liveRecording) json() liveRecordingJSON {
	return liveRecordingJSON{Name: r.name, Format: r.format, TargetURI: r.target, State: r.state,
		Duration: r.duration, TalkingDuration: r.talking, SilenceDuration: r.silent}
}

func (r *liveRecording) begin() { r.s.startRecording(r) }

// recording returns the channel's running recording, if any.
func (ch *channel) recording() *liveRecording {
	if len(ch.queue) == 0 {
		return nil
	}
	if r, isRec := ch.queue[0].(*liveRecording); isRec && (r.state == "recording" || r.state == "paused") {
		return r
	}
	return nil
}

func (r *liveRecording) terminates(digit string) bool {
	switch r.terminateOn {
	case "any":
		return true
	case "*", "#":
		return digit == r.terminateOn
	}
	return false
}

type recordRequest struct {
	name, format, ifExists, terminateOn string
	maxDur, maxSilence                  time.Duration
	beep                                bool
}

func parseRecord(rq *request) (recordRequest, response, bool) {
	var p recordRequest
	if r, bad := rq.required("name", "format"); bad {
		return p, r, false
	}
	p.name, p.format = rq.str("name"), rq.str("format")
	maxDur, err := rq.integer("maxDurationSeconds", 0)
	if err != nil || maxDur < 0 {
		return p, fail(http.StatusBadRequest, "maxDurationSeconds must be a non-negative integer"), false
	}
	maxSil, err := rq.integer("maxSilenceSeconds", 0)
	if err != nil || maxSil < 0 {
		return p, fail(http.StatusBadRequest, "maxSilenceSeconds must be a non-negative integer"), false
	}
	p.maxDur, p.maxSilence = time.Duration(maxDur)*time.Second, time.Duration(maxSil)*time.Second
	p.ifExists = rq.str("ifExists")
	switch p.ifExists {
	case "":
		p.ifExists = "fail"
	case "fail", "overwrite", "append":
	default:
		return p, fail(http.StatusBadRequest, "ifExists invalid"), false
	}
	p.terminateOn = rq.str("terminateOn")
	switch p.terminateOn {
	case "":
		p.terminateOn = "none"
	case "none", "any", "*", "#":
	default:
		return p, fail(http.StatusBadRequest, "terminateOn invalid"), false
	}
	if p.beep, err = rq.boolean("beep", false); err != nil {
		return p, fail(http.StatusBadRequest, "%v", err), false
	}
	if !recordFormats[p.format] {
		return p, fail(http.StatusUnprocessableEntity, "Format %s is not supported on this system", p.format), false
	}
	return p, response{}, true
}

// checkName applies ifExists and in-progress conflicts (409).
func (s *Server) checkName(p recordRequest) (response, bool) {
	if s.live[p.name] != nil {
		return fail(http.StatusConflict, "Recording %s is already in progress", p.name), false
	}
	if s.stored[p.name] != nil && p.ifExists == "fail" {
		return fail(http.StatusConflict, "Recording %s already exists", p.name), false
	}
	return response{}, true
}

func (s *Server) newRecording(p recordRequest, target string) *liveRecording {
	r := &liveRecording{s: s, name: p.name, format: p.format, target: target, state: "queued",
		maxDur: p.maxDur, maxSilence: p.maxSilence, ifExists: p.ifExists, beep: p.beep, terminateOn: p.terminateOn}
	s.live[r.name] = r
	return r
}

// handleChannelRecord is POST /channels/{id}/record: 201 with the queued
// LiveRecording, which starts after the channel's earlier playbacks.
func (s *Server) handleChannelRecord(rq *request) response {
	p, resp, valid := parseRecord(rq)
	if !valid {
		return resp
	}
	s.lock()
	defer s.unlock()
	ch, resp, found := s.lookupControl(rq.path["channelId"])
	if !found {
		return resp
	}
	if ch.bridge != nil {
		return fail(http.StatusConflict, "Channel is currently bridged")
	}
	if resp, free := s.checkName(p); !free {
		return resp
	}
	r := s.newRecording(p, "channel:"+ch.id)
	r.ch = ch
	snap := r.json()
	s.enqueue(ch, r)
	return created(snap)
}

func (s *Server) handleBridgeRecord(rq *request) response {
	p, resp, valid := parseRecord(rq)
	if !valid {
		return resp
	}
	s.lock()
	defer s.unlock()
	b := s.bridges[rq.path["bridgeId"]]
	if b == nil {
		return fail(http.StatusNotFound, "Bridge not found")
	}
	if b.recording != nil {
		return fail(http.StatusConflict, "Bridge is already being recorded")
	}
	if resp, free := s.checkName(p); !free {
		return resp
	}
	r := s.newRecording(p, "bridge:"+b.id)
	r.br = b
	b.recording = r
	snap := r.json()
	r.begin()
	return created(snap)
}

func (s *Server) recordingChannels(r *liveRecording) []*channel {
	if r.ch != nil {
		return []*channel{r.ch}
	}
	return append([]*channel(nil), r.br.channels...)
}

func (s *Server) recordingApps(r *liveRecording) appSet {
	if r.ch != nil {
		return s.channelApps(r.ch)
	}
	return s.bridgeApps(r.br)
}

func (s *Server) startRecording(r *liveRecording) {
	if r.finished {
		return
	}
	r.state = "recording"
	// RecordingStarted comes before the beep; the limits count from the
	// end of the beep, when recording really starts (trace 06).
	var beep time.Duration
	if r.beep {
		if d, playable := s.mediaDuration("sound:beep"); playable && d > 0 {
			beep = s.scale(d)
		}
	}
	r.started = time.Now().Add(beep)
	s.emit(s.recordingApps(r), "RecordingStarted", event{"recording": r.json()}, s.recordingChannels(r)...)
	if r.maxDur > 0 {
		r.maxTimer = s.afterReal(beep+s.scale(r.maxDur), func() { s.finishRecording(r, "done", finishMax) })
	}
	s.rescheduleSilence(r)
}

// silentSource reports whether nothing the recording captures sends RTP
// (DialOptions.NoMedia): the file stays empty.
func (r *liveRecording) silentSource() bool {
	return r.ch != nil && r.ch.noMedia
}

// rescheduleSilence arms the silence detector: the recording ends once the
// recorded party has been silent for maxSilenceSeconds.
func (s *Server) rescheduleSilence(r *liveRecording) {
	if r.maxSilence <= 0 || r.ch == nil || r.finished || r.state != "recording" || r.silentSource() {
		return
	}
	base := maxTime(time.Now(), r.started)
	for _, iv := range r.ch.talk {
		if iv.to.After(base) {
			base = iv.to
		}
	}
	r.silence.stop()
	r.silence = s.afterReal(time.Until(base)+s.scale(r.maxSilence), func() { s.finishRecording(r, "done", finishSilence) })
}

// finishRecording ends a live recording: "done" keeps it as a stored
// recording (RecordingFinished), "canceled" discards it (RecordingFinished
// with state canceled).
func (s *Server) finishRecording(r *liveRecording, state string, why finishReason) {
	if r.finished {
		return
	}
	r.finished = true
	r.maxTimer.stop()
	r.silence.stop()
	end := time.Now()
	if r.state == "paused" {
		end = r.pausedAt
	}
	elapsed := max(0, s.unscale(end.Sub(r.started)-r.pausedTotal))
	if why == finishSilence {
		elapsed = max(0, elapsed-r.maxSilence)
	}
	if r.silentSource() {
		elapsed = 0
	}
	var talk time.Duration
	for _, ch := range s.recordingChannels(r) {
		for _, iv := range ch.talk {
			from, to := maxTime(iv.from, r.started), minTime(iv.to, end)
			if to.After(from) {
				talk += s.unscale(to.Sub(from))
			}
		}
	}
	talk = min(talk, elapsed)
	r.state = state
	if state == "done" {
		d, t := seconds(elapsed), seconds(talk)
		r.duration = &d
		if r.maxSilence > 0 {
			sil := max(0, d-t)
			r.talking, r.silent = &t, &sil
		}
	}
	typ := "RecordingFinished"
	if state == "failed" {
		typ = "RecordingFailed"
	}
	s.emit(s.recordingApps(r), typ, event{"recording": r.json()}, s.recordingChannels(r)...)
	delete(s.live, r.name)
	if state == "done" {
		st := &storedRecording{name: r.name, format: r.format, target: r.target, duration: elapsed, talking: talk, beep: r.beep, created: time.Now()}
		if old := s.stored[r.name]; old != nil && r.ifExists == "append" {
			st.duration += old.duration
			st.talking += old.talking
		}
		s.stored[r.name] = st
	}
	if r.ch != nil {
		s.dequeue(r.ch, r)
	} else if r.br.recording == r {
		r.br.recording = nil
	}
	s.touch()
}

func seconds(d time.Duration) int { return int(math.Round(d.Seconds())) }

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func (s *Server) liveCommand(fn func(r *liveRecording) response) func(*request) response {
	return func(rq *request) response {
		s.lock()
		defer s.unlock()
		r := s.live[rq.path["recordingName"]]
		if r == nil {
			return fail(http.StatusNotFound, "Recording not found")
		}
		return fn(r)
	}
}

func (s *Server) handleLiveGet(rq *request) response {
	return s.liveCommand(func(r *liveRecording) response { return ok(r.json()) })(rq)
}

// handleLiveStop (POST .../stop) keeps the recording; handleLiveCancel
// (DELETE) discards it. A recording still queued behind playbacks is just
// removed.
func (s *Server) handleLiveStop(rq *request) response {
	return s.liveCommand(func(r *liveRecording) response {
		s.endLive(r, "done")
		return noContent()
	})(rq)
}

func (s *Server) handleLiveCancel(rq *request) response {
	return s.liveCommand(func(r *liveRecording) response {
		s.endLive(r, "canceled")
		return noContent()
	})(rq)
}

func (s *Server) endLive(r *liveRecording, state string) {
	if r.state == "queued" {
		r.finished = true
		delete(s.live, r.name)
		if r.ch != nil {
			s.dequeue(r.ch, r)
		}
		return
	}
	s.finishRecording(r, state, finishStop)
}

// handleLivePause implements pause/unpause (paused time is not recorded)
// and mute/unmute; 409 while the recording is still queued.
func (s *Server) handleLivePause(pause bool) func(*request) response {
	return func(rq *request) response {
		return s.liveCommand(func(r *liveRecording) response {
			if r.state == "queued" {
				return fail(http.StatusConflict, "Recording not in session")
			}
			switch {
			case pause && r.state == "recording":
				r.state, r.pausedAt = "paused", time.Now()
				r.silence.stop()
			case !pause && r.state == "paused":
				r.pausedTotal += time.Since(r.pausedAt)
				r.state = "recording"
				s.rescheduleSilence(r)
			}
			return noContent()
		})(rq)
	}
}

func (s *Server) handleLiveMute(mute bool) func(*request) response {
	return func(rq *request) response {
		return s.liveCommand(func(r *liveRecording) response {
			if r.state == "queued" {
				return fail(http.StatusConflict, "Recording not in session")
			}
			r.muted = mute
			return noContent()
		})(rq)
	}
}

func (s *Server) handleStoredList(*request) response {
	s.lock()
	defer s.unlock()
	names := make([]string, 0, len(s.stored))
	for n := range s.stored {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]storedRecordingJSON, 0, len(names))
	for _, n := range names {
		out = append(out, storedRecordingJSON{Name: n, Format: s.stored[n].format})
	}
	return ok(out)
}

func (s *Server) storedCommand(fn func(st *storedRecording) response) func(*request) response {
	return func(rq *request) response {
		s.lock()
		defer s.unlock()
		st := s.stored[rq.path["recordingName"]]
		if st == nil {
			return fail(http.StatusNotFound, "Recording not found")
		}
		return fn(st)
	}
}

func (s *Server) handleStoredGet(rq *request) response {
	return s.storedCommand(func(st *storedRecording) response {
		return ok(storedRecordingJSON{Name: st.name, Format: st.format})
	})(rq)
}

func (s *Server) handleStoredDelete(rq *request) response {
	return s.storedCommand(func(st *storedRecording) response {
		delete(s.stored, st.name)
		return noContent()
	})(rq)
}

func (s *Server) handleStoredCopy(rq *request) response {
	dest := rq.str("destinationRecordingName")
	if dest == "" {
		return fail(http.StatusBadRequest, "Missing required parameter destinationRecordingName")
	}
	return s.storedCommand(func(st *storedRecording) response {
		if s.stored[dest] != nil {
			return fail(http.StatusConflict, "A recording with the same name already exists on the system")
		}
		cp := *st
		cp.name = dest
		s.stored[dest] = &cp
		return ok(storedRecordingJSON{Name: dest, Format: cp.format})
	})(rq)
}

// handleStoredFile returns a WAV of silence (8 kHz, 16-bit mono) as long as
// the recording, capped at 5 s; other formats get zero bytes of that length.
func (s *Server) handleStoredFile(rq *request) response {
	return s.storedCommand(func(st *storedRecording) response {
		return ok(rawBody{contentType: "audio/wav", data: wavSilence(min(st.duration, 5*time.Second))})
	})(rq)
}

func wavSilence(d time.Duration) []byte {
	const rate = 8000
	n := int(d.Seconds()*rate) * 2
	b := make([]byte, 44+n)
	le := binary.LittleEndian
	copy(b[0:], "RIFF")
	le.PutUint32(b[4:], uint32(36+n))
	copy(b[8:], "WAVEfmt ")
	le.PutUint32(b[16:], 16)
	le.PutUint16(b[20:], 1) // PCM
	le.PutUint16(b[22:], 1) // mono
	le.PutUint32(b[24:], rate)
	le.PutUint32(b[28:], rate*2)
	le.PutUint16(b[32:], 2)
	le.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	le.PutUint32(b[40:], uint32(n))
	return b
}

// StoredRecording returns a finished recording by name.
func (s *Server) StoredRecording(name string) (StoredRecording, bool) {
	s.lock()
	defer s.unlock()
	st := s.stored[name]
	if st == nil {
		return StoredRecording{}, false
	}
	return StoredRecording{Name: st.name, Format: st.format, Target: st.target, Duration: st.duration, Talking: st.talking, Beep: st.beep}, true
}

// AddStoredRecording makes a stored recording exist (for recording: media
// and the /recordings/stored API).
func (s *Server) AddStoredRecording(name, format string, d time.Duration) {
	s.lock()
	defer s.unlock()
	s.stored[name] = &storedRecording{name: name, format: format, duration: d, created: time.Now()}
}

// WaitStoredRecording waits until a stored recording named name exists.
func (s *Server) WaitStoredRecording(ctx context.Context, name string) (StoredRecording, error) {
	if err := s.waitServer(ctx, func() bool { return s.stored[name] != nil }); err != nil {
		return StoredRecording{}, err
	}
	st, _ := s.StoredRecording(name)
	return st, nil
}
