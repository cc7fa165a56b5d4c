// Package queuecall puts residents' ARI calls through the operator queue: it
// implements ivr.Queues over telephony (hold music, announcements, ringing
// operators' phones, the bridge, recording, the post-call rating) and the
// operators' feature codes (*41–*44), driving the queue.Dispatcher. It is
// also the operators' call desk for appeal cards (CurrentCall,
// ReadBackNumber).
//
// The goroutine that owns a resident's call runs Join. While the caller
// waits it starts one short-lived goroutine per offer to ring that
// operator's phone: the offer's goroutine owns its leg until the operator
// answers and hands the leg to the call's goroutine; Join never returns
// before every such goroutine has ended and every leg is hung up, so the
// call's goroutine still owns everything its call created. Requests from
// elsewhere (a transfer, an appeal number to read into the conversation)
// reach that goroutine through the dispatcher, and it acts on its bridge.
package queuecall

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/slobozhanske/hotline/ivr"
	"github.com/slobozhanske/hotline/telephony/ari"
	"github.com/slobozhanske/hotline/telephony/queue"
)

// QueueOptions are what a caller hears and may do in one queue.
type QueueOptions struct {
	MOHClass        string        // musiconhold.conf class
	AnnounceEvery   time.Duration // position and estimated wait, between stretches of hold music (0: never)
	LeaveMessageKey byte          // a key to stop waiting and leave a message instead (0: none)
	Record          bool          // record the conversation (the bridge)
	PostCallRating  bool          // ask for a 1–5 rating when the operator hangs up first
	CallerIDName    string        // shown on the operator's phone with the resident's number (default: the queue's title)
}

// Prompts are the media the queue plays.
type Prompts struct {
	Welcome           ivr.Media
	Position          ivr.Media // followed by the number
	WaitMinutes       ivr.Media // followed by the number
	WaitUnderMinute   ivr.Media
	LeaveMessageOffer ivr.Media // played when a leave-message key is set
	Goodbye           ivr.Media
	RatingRequest     ivr.Media
	RatingThanks      ivr.Media
	LoggedIn          ivr.Media
	LoggedOut         ivr.Media
	Paused            ivr.Media
	Unpaused          ivr.Media
	Unknown           ivr.Media
	// AppealNumber comes before the digits of an appeal number read into a
	// conversation: "your appeal is registered, its number is", as the menu says it.
	AppealNumber ivr.Media
	// Number says n (1–59): sound:digits/n by default.
	Number func(n int) ivr.Media
}

// DefaultPrompts are the ids of ivr/prompts/catalogue.yaml.
func DefaultPrompts() Prompts {
	return Prompts{
		Welcome: "sound:hotline/queue-welcome", Position: "sound:hotline/queue-position",
		WaitMinutes: "sound:hotline/queue-wait-minutes", WaitUnderMinute: "sound:hotline/queue-wait-under-minute",
		LeaveMessageOffer: "sound:hotline/queue-leave-message-offer", Goodbye: "sound:hotline/goodbye",
		RatingRequest: "sound:hotline/rating-request", RatingThanks: "sound:hotline/rating-thanks",
		LoggedIn: "sound:hotline/agent-logged-in", LoggedOut: "sound:hotline/agent-logged-out",
		Paused: "sound:hotline/agent-paused", Unpaused: "sound:hotline/agent-unpaused", Unknown: "sound:hotline/agent-unknown",
		AppealNumber: ivr.Prompt("appeal-registered"),
		Number:       func(n int) ivr.Media { return ivr.Media(fmt.Sprintf("sound:digits/%d", n)) },
	}
}

// Config is the adapter's configuration.
type Config struct {
	DefaultQueue    string                  // for Join with an empty queue name
	Queues          map[string]QueueOptions // by queue name; a queue missing here gets zero options
	Prompts         Prompts                 // zero fields take DefaultPrompts
	RecordingFormat string                  // of conversation recordings (default wav)
	RatingTimeout   time.Duration           // to press the rating key (default 6s)
	FeaturePause    queue.PauseReason       // the reason *43 pauses with (default break)
	// LegHangupGrace is added to the ring timeout for Asterisk's own originate
	// timeout, so the dispatcher's ring timeout decides (default 2s).
	LegHangupGrace time.Duration
}

// Telephony is what the adapter needs of the ARI application (*ari.App).
type Telephony interface {
	Originate(ctx context.Context, req ari.OriginateRequest) (*ari.Leg, error)
	NewBridge(ctx context.Context, purpose string) (*ari.Bridge, error)
	// AdoptLeg and AdoptBridge take over a conversation's leg and bridge
	// that a previous controller left (see telephony's takeover.go).
	AdoptLeg(ctx context.Context, channelID, endpoint string) (*ari.Leg, error)
	AdoptBridge(id string) (*ari.Bridge, error)
}

// Ratings stores a caller's post-call rating (callrecord.Recorder).
type Ratings interface {
	Rating(callID string, rating int)
}

// Service is the queue as the voice menu sees it.
type Service struct {
	app     Telephony
	d       *queue.Dispatcher
	cfg     Config
	ratings Ratings
	log     *slog.Logger

	mu    sync.Mutex
	stays map[string]Stay // calls taken over, by call id: where each was (ResumeStay)
}

var _ ivr.Queues = callQueues{}

// New builds the adapter. ratings may be nil (ratings are then not stored).
func New(app Telephony, d *queue.Dispatcher, cfg Config, ratings Ratings, log *slog.Logger) *Service {
	def := DefaultPrompts()
	p := &cfg.Prompts
	for _, f := range []struct {
		dst *ivr.Media
		v   ivr.Media
	}{
		{&p.Welcome, def.Welcome}, {&p.Position, def.Position}, {&p.WaitMinutes, def.WaitMinutes},
		{&p.WaitUnderMinute, def.WaitUnderMinute}, {&p.LeaveMessageOffer, def.LeaveMessageOffer}, {&p.Goodbye, def.Goodbye},
		{&p.RatingRequest, def.RatingRequest}, {&p.RatingThanks, def.RatingThanks}, {&p.LoggedIn, def.LoggedIn},
		{&p.LoggedOut, def.LoggedOut}, {&p.Paused, def.Paused}, {&p.Unpaused, def.Unpaused}, {&p.Unknown, def.Unknown},
		{&p.AppealNumber, def.AppealNumber},
	} {
		if *f.dst == "" {
			*f.dst = f.v
		}
	}
	if p.Number == nil {
		p.Number = def.Number
	}
	if cfg.RecordingFormat == "" {
		cfg.RecordingFormat = "wav"
	}
	if cfg.RatingTimeout <= 0 {
		cfg.RatingTimeout = 6 * time.Second
	}
	if cfg.FeaturePause == "" {
		cfg.FeaturePause = queue.ReasonBreak
	}
	if cfg.LegHangupGrace <= 0 {
		cfg.LegHangupGrace = 2 * time.Second
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Service{app: app, d: d, cfg: cfg, ratings: ratings, log: log, stays: map[string]Stay{}}
}

// EndpointState passes Asterisk's endpoint state changes to the dispatcher
// (wire it with App.OnEndpointState).
func (s *Service) EndpointState(endpoint, state string) { s.d.EndpointState(endpoint, state) }

// For is the queue as the voice menu of one call sees it (ivr.Queues),
// bound to that ARI call where the call is created, so the menu's calls
// need not be taken apart to find it.
func (s *Service) For(call *ari.Call) ivr.Queues { return callQueues{s: s, call: call} }

// callQueues is the queue adapter of one call.
type callQueues struct {
	s    *Service
	call *ari.Call
}

// Join implements ivr.Queues for the bound call (the menu's Call is that
// call): the caller waits in the queue, talks to an operator, and Join
// returns when the call has left the queue. A transfer to another queue is
// followed here; a transfer to the menu returns QueueResult{Kind: "menu"}.
func (q callQueues) Join(ctx context.Context, _ ivr.Call, queueName string, priority ivr.Priority) (ivr.QueueResult, error) {
	s, call := q.s, q.call
	if queueName == "" {
		queueName = s.cfg.DefaultQueue
	}
	for hops := 0; ; hops++ {
		res, next, err := s.serve(ctx, call, queueName, priority)
		if next == "" || err != nil || hops >= 10 {
			return res, err
		}
		queueName = next
	}
}

// HandleFeature runs an operator's feature code (the Stasis args
// feature,login|logout|pause|unpause): the operator is found by the calling
// phone, the state changes, a prompt confirms it, and the call ends when
// HandleFeature returns.
func (s *Service) HandleFeature(ctx context.Context, call *ari.Call, feature string) {
	if err := call.Answer(ctx); err != nil {
		return
	}
	call.SetOutcome(ivr.Outcome{Kind: OutcomeOperatorFeature})
	p := s.cfg.Prompts
	prompt := p.Unknown
	op, known := s.d.OperatorByEndpoint(call.Endpoint())
	var err error
	if known {
		switch feature {
		case "login":
			err, prompt = s.d.Login(op.ID), p.LoggedIn
		case "logout":
			err, prompt = s.d.Logout(op.ID), p.LoggedOut
		case "pause":
			err, prompt = s.d.Pause(op.ID, s.cfg.FeaturePause), p.Paused
		case "unpause":
			err, prompt = s.d.Unpause(op.ID), p.Unpaused
		default:
			err = fmt.Errorf("unknown feature %q", feature)
		}
	}
	switch {
	case errors.Is(err, queue.ErrNotLoggedIn):
		prompt = p.LoggedOut
	case err != nil:
		prompt = p.Unknown
	}
	detail := map[string]string{"feature": feature, "endpoint": call.Endpoint()}
	if known {
		detail["operator"] = op.ID
	}
	if err != nil {
		detail["error"] = err.Error()
	}
	call.Note(ivr.Step{Kind: StepOperatorFeature, Node: "feature", Detail: detail})
	s.log.Info("operator feature code", "feature", feature, "endpoint", call.Endpoint(), "operator", op.ID, "known", known, "err", err)
	_ = call.Play(ctx, false, prompt)
}

func (s *Service) options(queueName string) QueueOptions {
	o := s.cfg.Queues[queueName]
	if o.CallerIDName == "" {
		if q, ok := s.d.Queue(queueName); ok {
			o.CallerIDName = q.Title
		}
	}
	return o
}

// callerID is what the operator's phone shows: the queue's name and the resident's number.
func callerID(name, number string) string {
	if number == "" {
		number = "anonymous"
	}
	clean := strings.NewReplacer(`"`, "", "<", "", ">", "", "\\", "")
	return fmt.Sprintf(`"%s" <%s>`, clean.Replace(name), clean.Replace(number))
}

func note(call *ari.Call, queueName string, event queueEvent, kv ...string) {
	d := map[string]string{"event": string(event)}
	for i := 0; i+1 < len(kv); i += 2 {
		d[kv[i]] = kv[i+1]
	}
	call.Note(ivr.Step{Kind: StepQueue, Node: queueName, Detail: d})
}
