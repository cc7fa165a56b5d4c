package aritest

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Outcomes of a media item in Heard.
const (
	HeardPlaying = "playing" // still playing
	HeardDone    = "done"    // played to the end
	HeardStopped = "stopped" // stopped by the application (or the channel left Stasis)
	HeardFailed  = "failed"  // missing sound or recording, or hung up while playing
)

// Heard is one media URI played to a party, on its channel or on a bridge it
// was in.
type Heard struct {
	MediaURI   string
	PlaybackID string
	Target     string // "channel:<id>" or "bridge:<id>"
	Outcome    string // HeardPlaying, HeardDone, HeardStopped or HeardFailed
}

// mediaSchemes are the URI schemes Asterisk 22 plays.
var mediaSchemes = map[string]bool{"sound": true, "recording": true, "number": true, "digits": true, "characters": true, "tone": true}

type heardRef struct {
	ch  *channel
	idx int
}

// playback is a playback operation on a channel or a bridge.
type playback struct {
	s        *Server
	id       string
	target   string
	ch       *channel
	br       *bridge
	media    []string
	idx      int
	lang     string
	offset   time.Duration // simulated, first item only
	skip     time.Duration // simulated, for forward/reverse
	state    string
	finished bool
	stopped  bool // stopped while queued: finishes when its turn comes

	tm        *timer
	deadline  time.Time     // real time the current item ends
	remaining time.Duration // real time left while paused; <0 plays forever
	itemDur   time.Duration // real length of the current item; <0 forever
	refs      []heardRef    // Heard entries of the current item
}

func (pb *playback) json() playbackJSON {
	j := playbackJSON{ID: pb.id, MediaURI: pb.media[pb.idx], TargetURI: pb.target, Language: pb.lang, State: pb.state}
	if pb.idx+1 < len(pb.media) {
		j.NextMediaURI = pb.media[pb.idx+1]
	}
	return j
}

func (pb *playback) apps() appSet {
	if pb.ch != nil {
		return pb.s.channelApps(pb.ch)
	}
	return pb.s.bridgeApps(pb.br)
}

// listeners are the channels that hear the playback now.
func (pb *playback) listeners() []*channel {
	if pb.ch != nil {
		return []*channel{pb.ch}
	}
	return append([]*channel(nil), pb.br.channels...)
}

func (pb *playback) begin() { pb.s.startItem(pb) }

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// mediaDuration is how long uri plays in simulated time (<0: until
// stopped); false means Asterisk would fail to play it.
func (s *Server) mediaDuration(uri string) (time.Duration, bool) {
	if f := s.opts.MediaDuration; f != nil {
		if d, found := f(uri); found {
			return d, true
		}
	}
	if d, found := s.opts.MediaDurations[uri]; found {
		return d, true
	}
	scheme, rest, _ := strings.Cut(uri, ":")
	switch scheme {
	case "sound":
		if d, found := s.opts.Sounds[rest]; found {
			return d, true
		}
		if len(s.opts.Sounds) > 0 {
			return 0, false
		}
	case "recording":
		r := s.stored[rest]
		if r == nil {
			return 0, false
		}
		return r.duration, true
	case "tone":
		return -1, true
	}
	return s.opts.DefaultMediaDuration, true
}

// playRequest validates play parameters shared by channels and bridges.
type playRequest struct {
	media        []string
	lang         string
	id           string
	offset, skip time.Duration
}

func parsePlay(rq *request) (playRequest, response, bool) {
	var p playRequest
	p.media = rq.list("media")
	if len(p.media) == 0 {
		return p, fail(http.StatusBadRequest, "Missing required parameter media"), false
	}
	for _, m := range p.media {
		scheme, rest, found := strings.Cut(m, ":")
		// Asterisk 22 accepts any URI here and fails the playback later
		// ("scheme is unsupported"); rejecting it up front with 400 makes
		// controller bugs visible in tests.
		if !found || rest == "" || !mediaSchemes[scheme] {
			return p, fail(http.StatusBadRequest, "Invalid media URI: %s", m), false
		}
	}
	off, err := rq.integer("offsetms", 0)
	if err != nil || off < 0 {
		return p, fail(http.StatusBadRequest, "offsetms cannot be negative"), false
	}
	skip, err := rq.integer("skipms", 3000)
	if err != nil || skip < 0 {
		return p, fail(http.StatusBadRequest, "skipms cannot be negative"), false
	}
	p.offset, p.skip = time.Duration(off)*time.Millisecond, time.Duration(skip)*time.Millisecond
	p.lang = rq.str("lang")
	p.id = rq.path["playbackId"]
	if p.id == "" {
		p.id = rq.str("playbackId")
	}
	if p.id == "" {
		p.id = newUUID()
	}
	return p, response{}, true
}

func (s *Server) newPlayback(p playRequest, target string) *playback {
	pb := &playback{s: s, id: p.id, target: target, media: p.media, lang: p.lang, offset: p.offset, skip: p.skip, state: "queued"}
	s.playbacks[pb.id] = pb
	return pb
}

// handleChannelPlay is POST /channels/{id}/play[/{playbackId}]: 201 with the
// queued Playback; it starts when the channel's earlier media are done.
func (s *Server) handleChannelPlay(rq *request) response {
	p, resp, valid := parsePlay(rq)
	if !valid {
		return resp
	}
	s.lock()
	defer s.unlock()
	ch, resp, found := s.lookupControl(rq.path["channelId"])
	if !found {
		return resp
	}
	if s.playbacks[p.id] != nil {
		return fail(http.StatusConflict, "Playback with id %s already exists", p.id)
	}
	if p.lang == "" {
		p.lang = ch.language
	}
	pb := s.newPlayback(p, "channel:"+ch.id)
	pb.ch = ch
	snap := pb.json()
	s.enqueue(ch, pb)
	return created(snap)
}

func (s *Server) startItem(pb *playback) {
	if pb.finished {
		return
	}
	if pb.stopped {
		s.finishPlayback(pb, "done", HeardStopped)
		return
	}
	uri := pb.media[pb.idx]
	pb.state = "playing"
	pb.refs = pb.refs[:0]
	for _, ch := range pb.listeners() {
		ch.heard = append(ch.heard, Heard{MediaURI: uri, PlaybackID: pb.id, Target: pb.target, Outcome: HeardPlaying})
		pb.refs = append(pb.refs, heardRef{ch: ch, idx: len(ch.heard) - 1})
	}
	s.emit(pb.apps(), "PlaybackStarted", event{"playback": pb.json()}, pb.listeners()...)
	d, playable := s.mediaDuration(uri)
	if !playable {
		// playback_final_update: a failed item of a list continues with the
		// next one; only the last one fails the playback.
		if pb.idx+1 < len(pb.media) {
			s.markHeard(pb, HeardFailed)
			pb.state = "continuing"
			s.emit(pb.apps(), "PlaybackContinuing", event{"playback": pb.json()}, pb.listeners()...)
			pb.idx++
			s.startItem(pb)
			return
		}
		s.finishPlayback(pb, "failed", HeardFailed)
		return
	}
	if d < 0 {
		pb.itemDur = -1
		return
	}
	dur := s.scale(d)
	pb.itemDur = dur
	if pb.idx == 0 && pb.offset > 0 {
		dur = max(0, dur-s.scale(pb.offset))
	}
	pb.runFor(dur)
}

func (pb *playback) runFor(d time.Duration) {
	pb.tm.stop()
	if d < 0 {
		pb.tm = nil
		return
	}
	pb.deadline = time.Now().Add(d)
	pb.tm = pb.s.afterReal(d, func() { pb.s.itemDone(pb) })
}

// itemDone moves to the next media URI (PlaybackContinuing) or finishes.
func (s *Server) itemDone(pb *playback) {
	if pb.finished {
		return
	}
	s.markHeard(pb, HeardDone)
	if pb.idx+1 < len(pb.media) {
		pb.state = "continuing"
		s.emit(pb.apps(), "PlaybackContinuing", event{"playback": pb.json()}, pb.listeners()...)
		pb.idx++
		s.startItem(pb)
		return
	}
	s.finishPlayback(pb, "done", HeardDone)
}

func (s *Server) markHeard(pb *playback, outcome string) {
	for _, r := range pb.refs {
		if r.idx < len(r.ch.heard) && r.ch.heard[r.idx].Outcome == HeardPlaying {
			r.ch.heard[r.idx].Outcome = outcome
			s.touch(r.ch)
		}
	}
}

// finishPlayback ends a playback with PlaybackFinished (state "done" or
// "failed"; Asterisk reports stopped and cancelled playbacks as "done").
func (s *Server) finishPlayback(pb *playback, state, outcome string) {
	if pb.finished {
		return
	}
	pb.finished = true
	pb.tm.stop()
	s.markHeard(pb, outcome)
	pb.state = state
	s.emit(pb.apps(), "PlaybackFinished", event{"playback": pb.json()}, pb.listeners()...)
	delete(s.playbacks, pb.id)
	if pb.ch != nil {
		s.dequeue(pb.ch, pb)
	} else {
		s.bridgeDequeue(pb.br, pb)
	}
}

func (s *Server) handlePlaybackGet(rq *request) response {
	s.lock()
	defer s.unlock()
	pb := s.playbacks[rq.path["playbackId"]]
	if pb == nil {
		return fail(http.StatusNotFound, "Playback not found")
	}
	return ok(pb.json())
}

func (s *Server) handlePlaybackStop(rq *request) response {
	s.lock()
	defer s.unlock()
	pb := s.playbacks[rq.path["playbackId"]]
	if pb == nil {
		return fail(http.StatusNotFound, "Playback not found")
	}
	if pb.state == "queued" {
		// Asterisk marks it stopped; its PlaybackFinished (done, with no
		// PlaybackStarted) comes when its turn in the queue comes (trace 04).
		pb.stopped = true
		return noContent()
	}
	s.finishPlayback(pb, "done", HeardStopped)
	return noContent()
}

// handlePlaybackControl implements restart, pause, unpause, reverse and
// forward. As in Asterisk, pausing sends no event and unpausing sends
// PlaybackStarted again; a queued playback cannot be controlled (409).
func (s *Server) handlePlaybackControl(rq *request) response {
	op := rq.str("operation")
	switch op {
	case "":
		return fail(http.StatusBadRequest, "Missing required parameter operation")
	case "restart", "pause", "unpause", "reverse", "forward":
	default:
		return fail(http.StatusBadRequest, "Invalid operation %s", op)
	}
	s.lock()
	defer s.unlock()
	pb := s.playbacks[rq.path["playbackId"]]
	if pb == nil {
		return fail(http.StatusNotFound, "Playback not found")
	}
	if pb.state == "queued" {
		return fail(http.StatusConflict, "Playback not playing")
	}
	paused := pb.state == "paused"
	left := pb.remaining
	if !paused && pb.itemDur >= 0 {
		left = time.Until(pb.deadline)
	}
	if pb.itemDur < 0 {
		left = -1
	}
	switch op {
	case "pause":
		if !paused {
			pb.tm.stop()
			pb.remaining = left
			pb.state = "paused"
		}
		return noContent()
	case "unpause":
		if paused {
			pb.state = "playing"
			pb.runFor(pb.remaining)
			s.emit(pb.apps(), "PlaybackStarted", event{"playback": pb.json()}, pb.listeners()...)
		}
		return noContent()
	case "restart":
		left = pb.itemDur
	case "forward":
		if left >= 0 {
			left = max(0, left-s.scale(pb.skip))
		}
	case "reverse":
		if left >= 0 {
			left = min(pb.itemDur, left+s.scale(pb.skip))
		}
	}
	if paused {
		pb.remaining = left
		return noContent()
	}
	if left == 0 {
		s.itemDone(pb)
		return noContent()
	}
	pb.runFor(left)
	return noContent()
}
