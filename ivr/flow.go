package ivr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"
)

// Flow walks calls through a Menu. One Flow serves every call; each Run has
// its own state. Menu, Appeals and Escalations are required; Queues, and
// Hold when there is one (escalation.keep_caller_on_line), are the
// adapters of one call, bound where the call is created (With).
//
// # How a call goes through the menu
//
//   - Entering a node plays its Prompts (RetryPrompts when the call has been
//     in the node before) interruptibly, then waits FirstKeyTimeout for a key.
//   - A key that is an option acts at once. Any other key is invalid: the
//     node's invalid prompt plays; no key in time: its no-input prompt plays.
//     Both count as a failure and the node asks again with its RetryPrompts;
//     after MaxRetries failures OnExhausted acts (default: the operator).
//   - goto enters a node; back returns to the node the call came from (the
//     node again at the root); repeat enters the node again; play plays a
//     prompt and enters the node again; hangup says goodbye and ends.
//   - queue and operator hand the call to a queue (Queues.Join). When the
//     call leaves it, answered and abandoned end the menu; message, overflow
//     and closed lead to leaving a message (overflow and closed first say
//     that all operators are busy); menu (an operator sent the caller back)
//     enters the node again. A queue that fails leads to leaving a message.
//   - sos, status and message run the sub-dialogs of sos.go, status.go and
//     message.go.
//   - The prompt Options.ReturnTimePrompt (break-message: "operators return
//     at") is followed by the time of ScheduleState.NextOpen, in Location;
//     it is left out when NextOpen is zero (the sentence would hang).
//
// # Keys
//
// Keys are buffered by the Call in the order they are pressed and consumed
// one at a time. A key counts as the answer to a question only if it was
// pressed once the question started, that is during the question's own
// prompts (barge-in: a key stops them and is the answer) or after them:
//
//   - entering a node, and asking any question of a sub-dialog (the appeal
//     number, "press 1 to hear the number again", before recording), clears
//     the buffer first;
//   - after a choice, the rest of the buffer is cleared: keys pressed in the
//     same burst as the choice were pressed before the caller heard where it
//     leads ("3" then "123#" typed at once loses "123#");
//   - the invalid-choice and no-input prompts cannot be interrupted and the
//     keys pressed while they play are cleared, so a burst of mashed keys
//     ("9#*77#0" during the greeting) counts as one mistake, not seven;
//   - the digits of an appeal number are read in order until #, the inter-key
//     timeout or Options.StatusMaxDigits; * cancels the lookup.
//
// # The end of a call
//
// A hangup at any moment ends Run promptly: every Call method then returns
// an error wrapping ErrHangup, or the ctx given to Run ends (shutdown, the
// longest call) and they return its error. Run then returns nil: a hangup is
// how calls normally end. Work the caller already asked for is finished
// with a context detached from the call (bounded by Options.ServiceTimeout):
// a message or emergency recorded before the hangup still opens a card, and
// an emergency is still escalated. The outcome is set as the call goes
// (the last one set wins); a call that ends without one gets
// hung_up_in_menu. Entering a node other than the start node, or hearing a
// play prompt, sets info_given; hearing an appeal's status sets
// status_given (which info_given does not replace); both stay if the
// caller then hangs up, and neither replaces a handoff's outcome.
//
// Run returns an error only when it could not serve the call: a required
// service is missing, the start node is unknown, or the Call kept failing
// (Options.MaxCallFaults errors other than a hangup in a row); the outcome
// is then menu_failed unless one was set. Failures of the other services
// (database down, queue error) are logged, told to the caller and do not
// end Run with an error.
type Flow struct {
	Menu        *Menu
	Queues      Queues
	Appeals     Appeals
	Escalations Escalations
	Hold        CallerHold     // nil: the SOS caller is not kept on the line
	Location    *time.Location // the community's time zone, for dates and times said (default time.Local)
	Options     Options
	Log         *slog.Logger // nil: no logs
}

// Options tune a Flow; zero fields take the defaults.
type Options struct {
	// OperatorQueue is the queue of the operator action and of an SOS in
	// working hours. Empty: Queues' default queue.
	OperatorQueue string
	// OverflowToAfterHours names the queues whose callers, when the queue
	// overflows (max wait, full), go to AfterHoursNode rather than being
	// asked to leave a message (queues[].overflow: after_hours).
	OverflowToAfterHours map[string]bool
	// AfterHoursNode is the after-hours menu (routing.closed).
	AfterHoursNode string
	// Message bounds a message left for the next working day (default 3m, 5s of silence).
	Message RecordLimits
	// SOS bounds the description of an emergency (default 30s, 5s of
	// silence, two attempts). With no audio from the caller every attempt
	// runs to MaxDuration: config's escalation.dial_within bounds the sum.
	SOS RecordLimits
	// ServiceTimeout bounds each call to Appeals, Escalations and CallerHold.StartHeld (default 10s).
	ServiceTimeout time.Duration
	// StatusMaxDigits ends an appeal number without # (default 12).
	StatusMaxDigits int
	// StatusAttempts is how many numbers a caller may key before going back to the menu (default 3).
	StatusAttempts int
	// ReadBackRepeats is how many times "press 1 to hear the number again" is honoured (default 3).
	ReadBackRepeats int
	// ReadBackTimeout is how long to wait for that 1 (default 5s).
	ReadBackTimeout time.Duration
	// MaxNodeVisits ends a call that has entered nodes this many times with
	// goodbye: a menu loop (back at the root with no one pressing) must not
	// hold a line for ever (default 50).
	MaxNodeVisits int
	// MaxCallFaults is how many Call errors other than a hangup in a row end
	// Run with an error (default 5); fewer are logged and the menu goes on.
	MaxCallFaults int
	// ReturnTimePrompt is the prompt followed by the time operators return
	// (default break-message).
	ReturnTimePrompt string
}

// RecordLimits bound a recording of the caller.
type RecordLimits struct {
	MaxDuration time.Duration
	MaxSilence  time.Duration
	// Attempts is how many times the caller is asked to speak when the
	// recording comes back empty ("we did not hear you", then once more);
	// default 2.
	Attempts int
}

func (o Options) withDefaults() Options {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	defInt := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.Message.MaxDuration, 3*time.Minute)
	def(&o.Message.MaxSilence, 5*time.Second)
	def(&o.SOS.MaxDuration, 30*time.Second)
	def(&o.SOS.MaxSilence, 5*time.Second)
	defInt(&o.Message.Attempts, 2)
	defInt(&o.SOS.Attempts, 2)
	def(&o.ServiceTimeout, 10*time.Second)
	def(&o.ReadBackTimeout, 5*time.Second)
	defInt(&o.StatusMaxDigits, 12)
	defInt(&o.StatusAttempts, 3)
	defInt(&o.ReadBackRepeats, 3)
	defInt(&o.MaxNodeVisits, 50)
	defInt(&o.MaxCallFaults, 5)
	if o.ReturnTimePrompt == "" {
		o.ReturnTimePrompt = promptBreak
	}
	return o
}

// Check reports a Flow that cannot serve calls (a required service missing).
func (f *Flow) Check() error {
	var errs []error
	if f.Menu == nil || len(f.Menu.Nodes) == 0 {
		errs = append(errs, errors.New("no menu"))
	}
	if f.Appeals == nil {
		errs = append(errs, errors.New("no appeals"))
	}
	if f.Escalations == nil {
		errs = append(errs, errors.New("no escalations"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("ivr flow: %w", err)
	}
	return nil
}

// With is the flow for one call: the same menu and services, with the
// queue and hold adapters bound to that call (h may be nil: no hold).
func (f *Flow) With(q Queues, h CallerHold) *Flow {
	bound := *f
	bound.Queues, bound.Hold = q, h
	return &bound
}

// errCallEnded unwinds a run once the caller has hung up or ctx has ended.
var errCallEnded = errors.New("call ended")

// errCallFailing unwinds a run whose Call keeps failing.
var errCallFailing = errors.New("call keeps failing")

// Run walks call through the menu from the node start until the call has
// been handed off or has ended (see Flow). It returns nil when the call
// ended in any ordinary way, the caller's hangup included.
func (f *Flow) Run(ctx context.Context, call Call, start string, state ScheduleState) (err error) {
	return f.run(ctx, call, Resumption{Node: start}, state, false)
}

// Resumption is where a call was when the controller serving it stopped:
// in the menu node Node, or, with Queue set, in that queue (having chosen
// it in Node, with Priority). A controller that takes the call over
// continues it from there (Flow.Resume).
type Resumption struct {
	Entry    string // the node the call entered the menu at (default Node)
	Node     string
	Queue    string
	Priority Priority
}

// Resume continues a call taken over after a restart from where it was
// (see Resumption): a caller in a node hears that node's question again
// (not the greeting before it), a caller in a queue goes back to it (the
// queue keeps their place), and the menu goes on from there as it would
// have. It returns as Run does.
func (f *Flow) Resume(ctx context.Context, call Call, at Resumption, state ScheduleState) error {
	return f.run(ctx, call, at, state, true)
}

// ResumptionFrom reads a call's steps (oldest first): the node it entered
// the menu at and the node it was in last ("" for both when it never
// reached the menu). Where it was in a queue is the queue's to say.
func ResumptionFrom(steps []Step) Resumption {
	var at Resumption
	for _, s := range steps {
		if s.Kind != StepNode {
			continue
		}
		if at.Entry == "" {
			at.Entry = s.Node
		}
		at.Node = s.Node
	}
	return at
}

func (f *Flow) run(ctx context.Context, call Call, at Resumption, state ScheduleState, resumed bool) (err error) {
	if f == nil || call == nil {
		return errors.New("ivr: run: nil flow or call")
	}
	start := at.Node
	entry := at.Entry
	if entry == "" {
		entry = start
	}
	r := &run{
		f: f, call: call, start: entry, state: state, opt: f.Options.withDefaults(),
		loc: f.Location, log: f.Log, seen: map[string]bool{},
	}
	if r.loc == nil {
		r.loc = time.Local
	}
	if r.log == nil {
		r.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	r.log = r.log.With("call", call.ID())
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("menu panicked", "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("ivr: call %s: panic: %v", call.ID(), p)
			if !r.outcomeSet {
				call.SetOutcome(Outcome{Kind: OutcomeMenuFailed})
			}
		}
	}()
	if err := f.Check(); err != nil {
		r.fail(ctx)
		return err
	}
	if f.Queues == nil {
		r.fail(ctx)
		return fmt.Errorf("ivr: call %s: no queues bound to the call (Flow.With)", call.ID())
	}
	if _, ok := f.Menu.Node(start); !ok {
		r.log.Error("menu: unknown start node", "node", start)
		r.fail(ctx)
		return fmt.Errorf("ivr: call %s: unknown start node %q", call.ID(), start)
	}
	// The node's first prompts (the greeting) played before the restart.
	r.seen[start] = resumed
	if at.Queue != "" {
		n, _ := f.Menu.Node(start)
		// The walk goes on from what the queue gives back, as after choosing it.
		err = r.walkFrom(ctx, start, func(ctx context.Context) (transition, string, error) {
			return r.queue(ctx, n, at.Queue, at.Priority)
		})
	} else {
		err = r.walkFrom(ctx, start, nil)
	}
	switch {
	case err == nil, errors.Is(err, errCallEnded):
		if !r.outcomeSet {
			call.SetOutcome(Outcome{Kind: OutcomeHungUpInMenu})
		}
		return nil
	default:
		r.log.Error("menu: giving up on the call", "err", err)
		if !r.outcomeSet {
			call.SetOutcome(Outcome{Kind: OutcomeMenuFailed})
		}
		return fmt.Errorf("ivr: call %s: %w", call.ID(), err)
	}
}

// run is one call's walk.
type run struct {
	f     *Flow
	call  Call
	start string
	state ScheduleState
	opt   Options
	loc   *time.Location
	log   *slog.Logger

	stack      []string        // nodes to go back to
	seen       map[string]bool // nodes whose first prompts have played
	visits     int
	faults     int // Call errors (not hangups) in a row
	recordings int
	outcomeSet bool
	outcome    OutcomeKind // the kind last set
}

// maxStack bounds the back stack (goto loops would otherwise grow it).
const maxStack = 32

// transition is where the walk goes after a node.
type transition int

const (
	stay  transition = iota // the same node again
	enter                   // the node named by the next return value
	back                    // the previous node
	end                     // the menu is done with the call
)

// walkFrom walks the menu from the node cur; first, when set, stands for
// the first visit of cur (a call taken over in a queue).
func (r *run) walkFrom(ctx context.Context, cur string, first func(context.Context) (transition, string, error)) error {
	for {
		if r.visits >= r.opt.MaxNodeVisits {
			r.note(Step{Kind: StepLoopLimit, Node: cur, Detail: map[string]string{"visits": fmt.Sprint(r.visits)}})
			r.log.Warn("menu: node visit limit reached", "node", cur, "visits", r.visits)
			return r.goodbye(ctx, Outcome{Kind: OutcomeEndedByMenu})
		}
		r.visits++
		n, ok := r.f.Menu.Node(cur)
		if !ok { // only a Menu not built by NewMenu gets here
			r.log.Error("menu: unknown node; the operator takes the call", "node", cur)
			_, _, err := r.queue(ctx, &Node{Name: cur}, r.opt.OperatorQueue, PriorityNormal)
			return err
		}
		if cur != r.start {
			r.setSoftOutcome(OutcomeInfoGiven)
		}
		visit := r.node
		if f := first; f != nil {
			visit = func(ctx context.Context, _ *Node) (transition, string, error) { return f(ctx) }
			first = nil
		}
		tr, target, err := visit(ctx, n)
		if err != nil {
			return err
		}
		switch tr {
		case end:
			return nil
		case stay:
		case enter:
			if target != cur {
				r.stack = append(r.stack, cur)
				if len(r.stack) > maxStack {
					r.stack = r.stack[len(r.stack)-maxStack:]
				}
			}
			cur = target
		case back:
			if len(r.stack) > 0 {
				cur = r.stack[len(r.stack)-1]
				r.stack = r.stack[:len(r.stack)-1]
			}
		}
	}
}

// node asks a node's question until an action leads elsewhere.
func (r *run) node(ctx context.Context, n *Node) (transition, string, error) {
	r.call.ClearDigits()
	prompts := n.Prompts
	step := Step{Kind: StepNode, Node: n.Name}
	if r.seen[n.Name] {
		prompts = n.retryPrompts()
		step.Detail = map[string]string{"again": "true"}
	}
	r.seen[n.Name] = true
	r.note(step)
	failures := 0
	for {
		if err := r.play(ctx, true, r.nodeMedia(prompts)...); err != nil {
			return end, "", err
		}
		prompts = n.retryPrompts()
		key, got, err := r.key(ctx, n.firstKey())
		if err != nil {
			return end, "", err
		}
		feedback := n.noInputPrompt()
		if !got {
			r.note(Step{Kind: StepTimeout, Node: n.Name})
		} else {
			r.call.ClearDigits()
			if a, ok := n.Options[key]; ok {
				r.note(Step{Kind: StepKey, Node: n.Name, Key: string(key)})
				return r.act(ctx, n, a, "key")
			}
			r.note(Step{Kind: StepInvalid, Node: n.Name, Key: string(key)})
			feedback = n.invalidPrompt()
		}
		failures++
		if err := r.play(ctx, false, Prompt(feedback)); err != nil {
			return end, "", err
		}
		r.call.ClearDigits()
		if failures >= n.maxRetries() {
			r.note(Step{Kind: StepExhausted, Node: n.Name, Detail: map[string]string{"failures": fmt.Sprint(failures)}})
			return r.act(ctx, n, n.OnExhausted, "exhausted")
		}
	}
}

// nodeMedia turns a node's prompts into media, with the return time after
// the return-time prompt.
func (r *run) nodeMedia(ids []string) []Media {
	out := make([]Media, 0, len(ids)+3)
	for _, id := range ids {
		if id == r.opt.ReturnTimePrompt {
			if r.state.NextOpen.IsZero() {
				continue
			}
			out = append(out, Prompt(id))
			out = append(out, SpeakTime(r.state.NextOpen.In(r.loc))...)
			continue
		}
		out = append(out, Prompt(id))
	}
	return out
}

// act carries out an action taken in node n.
func (r *run) act(ctx context.Context, n *Node, a Action, by string) (transition, string, error) {
	detail := map[string]string{"action": string(a.Kind), "by": by}
	switch a.Kind {
	case ActGoto:
		detail["node"] = a.Node
	case ActQueue:
		detail["queue"] = a.Queue
	case ActPlay:
		detail["prompt"] = a.Prompt
	case "":
		detail["action"] = string(ActOperator)
	}
	r.note(Step{Kind: StepAction, Node: n.Name, Detail: detail})
	switch a.Kind {
	case ActGoto:
		if _, ok := r.f.Menu.Node(a.Node); ok {
			return enter, a.Node, nil
		}
		r.log.Error("menu: goto an unknown node; the operator takes the call", "node", n.Name, "target", a.Node)
	case ActQueue:
		return r.queue(ctx, n, a.Queue, PriorityNormal)
	case ActOperator, "":
		return r.queue(ctx, n, r.opt.OperatorQueue, PriorityNormal)
	case ActSOS:
		return r.sos(ctx, n)
	case ActStatus:
		return r.status(ctx, n)
	case ActMessage:
		return r.message(ctx, n)
	case ActPlay:
		if err := r.play(ctx, true, Prompt(a.Prompt)); err != nil {
			return end, "", err
		}
		r.setSoftOutcome(OutcomeInfoGiven)
		return stay, "", nil
	case ActRepeat:
		return stay, "", nil
	case ActBack:
		return back, "", nil
	case ActHangup:
		return end, "", r.goodbye(ctx, Outcome{Kind: OutcomeEndedByMenu})
	default:
		r.log.Error("menu: unknown action; the operator takes the call", "node", n.Name, "action", a.Kind)
	}
	return r.queue(ctx, n, r.opt.OperatorQueue, PriorityNormal)
}

// goodbye sets the outcome and says goodbye.
func (r *run) goodbye(ctx context.Context, o Outcome) error {
	r.setOutcome(o)
	return r.play(ctx, false, Prompt(promptGoodbye))
}

// fail tells the caller the menu cannot serve them (best effort).
func (r *run) fail(ctx context.Context) {
	r.setOutcome(Outcome{Kind: OutcomeMenuFailed})
	if err := r.call.Play(ctx, false, Prompt(promptTechnical)); err != nil {
		r.log.Debug("menu: technical-problem prompt", "err", err)
	}
}

// --- the Call, with the menu's error rules -----------------------------

// ended reports whether err (from the Call or a service) means the call is over.
func ended(ctx context.Context, err error) bool {
	return errors.Is(err, ErrHangup) || ctx.Err() != nil
}

// callErr sorts a Call error: the end of the call unwinds the run; other
// errors are logged and tolerated until MaxCallFaults in a row.
func (r *run) callErr(ctx context.Context, what string, err error) error {
	if err == nil {
		r.faults = 0
		return nil
	}
	if ended(ctx, err) {
		return fmt.Errorf("%s: %w: %w", what, errCallEnded, err)
	}
	r.faults++
	r.log.Warn("menu: call error", "op", what, "err", err, "in_a_row", r.faults)
	if r.faults >= r.opt.MaxCallFaults {
		return fmt.Errorf("%s: %w: %w", what, errCallFailing, err)
	}
	return nil
}

// play plays media, leaving out empty ones.
func (r *run) play(ctx context.Context, interruptible bool, media ...Media) error {
	out := media[:0:0]
	for _, m := range media {
		if m != "" {
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("play: %w: %w", errCallEnded, err)
	}
	return r.callErr(ctx, "play", r.call.Play(ctx, interruptible, out...))
}

// key waits for the next key; got is false when none came (or the Call
// failed to say, which the menu treats as no key).
func (r *run) key(ctx context.Context, timeout time.Duration) (key byte, got bool, err error) {
	if err := ctx.Err(); err != nil {
		return 0, false, fmt.Errorf("wait for a key: %w: %w", errCallEnded, err)
	}
	k, err := r.call.NextDigit(ctx, timeout)
	switch {
	case err == nil && isKey(k):
		r.faults = 0
		return k, true, nil
	case err == nil:
		r.log.Warn("menu: the call returned an unknown key", "key", k)
		return 0, false, nil
	case errors.Is(err, ErrNoInput):
		r.faults = 0
		return 0, false, nil
	}
	return 0, false, r.callErr(ctx, "wait for a key", err)
}

func (r *run) note(s Step) { r.call.Note(s) }

func (r *run) setOutcome(o Outcome) {
	r.outcomeSet, r.outcome = true, o.Kind
	r.call.SetOutcome(o)
}

// setSoftOutcome sets info_given or status_given: what the call got from the
// menu if the caller hangs up now. It never replaces a handoff's outcome,
// and info_given never replaces status_given.
func (r *run) setSoftOutcome(kind OutcomeKind) {
	rank := map[OutcomeKind]int{"": 0, OutcomeInfoGiven: 1, OutcomeStatusGiven: 2}
	have, soft := rank[r.outcome]
	if soft && rank[kind] > have {
		r.setOutcome(Outcome{Kind: kind})
	}
}

// detached is a context for work that must survive the caller's hangup.
func (r *run) detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), r.opt.ServiceTimeout)
}

// recordingName is a unique name for the call's next recording.
func (r *run) recordingName(kind string) string {
	r.recordings++
	id := strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			return c
		}
		return '_'
	}, r.call.ID())
	if id == "" {
		id = "call"
	}
	return fmt.Sprintf("%s-%s-%d", id, kind, r.recordings)
}
