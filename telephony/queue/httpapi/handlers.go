package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/slobozhanske/hotline/internal/api"
	"github.com/slobozhanske/hotline/internal/apiauth"
	"github.com/slobozhanske/hotline/telephony/queue"
)

// --- wire types -----------------------------------------------------------

// OperatorInput is an operator as added or changed.
type OperatorInput struct {
	ID       string         `json:"id"`
	Name     string         `json:"name"`
	Endpoint string         `json:"endpoint"`
	Queues   []string       `json:"queues"`
	Skills   map[string]int `json:"skills,omitempty"`
}

func (in OperatorInput) operator() queue.Operator {
	return queue.Operator{ID: in.ID, Name: in.Name, Endpoint: in.Endpoint, Queues: in.Queues, Skills: in.Skills}
}

// CallJSON is a call as an operator sees it.
type CallJSON struct {
	OfferID      string    `json:"offer_id,omitempty"`
	CallID       string    `json:"call_id"`
	CallerNumber string    `json:"caller_number"`
	Queue        string    `json:"queue"`
	Priority     int       `json:"priority"`
	JoinedAt     time.Time `json:"joined_at"`
	Since        time.Time `json:"since"`
}

func callJSON(c *queue.CallInfo) *CallJSON {
	if c == nil {
		return nil
	}
	return &CallJSON{OfferID: c.OfferID, CallID: c.CallID, CallerNumber: c.CallerNumber, Queue: c.Queue,
		Priority: c.Priority, JoinedAt: c.JoinedAt, Since: c.Since}
}

// OperatorJSON is an operator with their state.
type OperatorJSON struct {
	OperatorInput
	State     string    `json:"state"`
	Reason    string    `json:"reason,omitempty"`
	Presence  string    `json:"presence"`
	Online    bool      `json:"online"`
	Since     time.Time `json:"since"`
	IdleSince time.Time `json:"idle_since"`
	Handled   int       `json:"calls_handled"`
	NoAnswers int       `json:"no_answers_in_a_row"`
	Call      *CallJSON `json:"call"`
}

func operatorJSON(s queue.OperatorSnapshot) OperatorJSON {
	queues := s.Queues
	if queues == nil {
		queues = []string{}
	}
	return OperatorJSON{
		OperatorInput: OperatorInput{ID: s.ID, Name: s.Name, Endpoint: s.Endpoint, Queues: queues, Skills: s.Skills},
		State:         string(s.State), Reason: string(s.Reason), Presence: string(s.Presence), Online: s.Online,
		Since: s.Since, IdleSince: s.IdleSince, Handled: s.Handled, NoAnswers: s.NoAnswers, Call: callJSON(s.Call),
	}
}

// CallerJSON is a caller in a queue.
type CallerJSON struct {
	CallID        string    `json:"call_id"`
	CallerNumber  string    `json:"caller_number"`
	Priority      int       `json:"priority"`
	JoinedAt      time.Time `json:"joined_at"`
	WaitedSeconds float64   `json:"waited_seconds"`
	Position      int       `json:"position,omitempty"`
	EstimatedWait float64   `json:"estimated_wait_seconds,omitempty"`
	Ringing       []string  `json:"ringing,omitempty"`
	Operator      string    `json:"operator,omitempty"`
}

// QueueJSON is a queue at a moment.
type QueueJSON struct {
	Name             string         `json:"name"`
	Title            string         `json:"title"`
	Strategy         string         `json:"strategy"`
	Waiting          []CallerJSON   `json:"waiting"`
	Talking          []CallerJSON   `json:"talking"`
	LongestWait      float64        `json:"longest_wait_seconds"`
	Operators        map[string]int `json:"operators"`
	Stats            StatsJSON      `json:"stats"`
	ServiceLevel     float64        `json:"service_level"`
	ServiceLevelSecs float64        `json:"service_level_threshold_seconds"`
	AvgSpeedOfAnswer float64        `json:"average_speed_of_answer_seconds"`
	AvgHandleTime    float64        `json:"average_handle_seconds"`
}

// StatsJSON are a queue's counts since the server started.
type StatsJSON struct {
	Joined       int `json:"joined"`
	Offers       int `json:"offers"`
	Answered     int `json:"answered"`
	AnsweredInSL int `json:"answered_within_service_level"`
	Abandoned    int `json:"abandoned"`
	Overflowed   int `json:"overflowed"`
	Closed       int `json:"closed"`
	Messages     int `json:"messages"`
	Transferred  int `json:"transferred"`
	Handled      int `json:"handled"`
}

func callers(list []queue.CallerSnapshot) []CallerJSON {
	out := make([]CallerJSON, 0, len(list))
	for _, c := range list {
		out = append(out, CallerJSON{CallID: c.CallID, CallerNumber: c.CallerNumber, Priority: c.Priority, JoinedAt: c.JoinedAt,
			WaitedSeconds: c.Waited.Seconds(), Position: c.Position, EstimatedWait: c.EstimatedWait.Seconds(),
			Ringing: c.Ringing, Operator: c.Operator})
	}
	return out
}

func queueJSON(q queue.QueueSnapshot) QueueJSON {
	ops := map[string]int{}
	for _, st := range queue.States {
		ops[string(st)] = q.Operators[st]
	}
	s := q.Stats
	return QueueJSON{
		Name: q.Config.Name, Title: q.Config.Title, Strategy: string(q.Config.Strategy),
		Waiting: callers(q.Waiting), Talking: callers(q.Talking), LongestWait: q.LongestWait.Seconds(), Operators: ops,
		Stats: StatsJSON{Joined: s.Joined, Offers: s.Offers, Answered: s.Answered, AnsweredInSL: s.AnsweredInSL,
			Abandoned: s.Abandoned, Overflowed: s.Overflowed, Closed: s.Closed, Messages: s.Messages,
			Transferred: s.Transferred, Handled: s.Handled},
		ServiceLevel: q.ServiceLevel, ServiceLevelSecs: q.Config.ServiceLevel.Seconds(),
		AvgSpeedOfAnswer: q.AvgSpeedOfAnswer.Seconds(), AvgHandleTime: q.AvgHandleTime.Seconds(),
	}
}

// SnapshotJSON is every queue and operator at a moment.
type SnapshotJSON struct {
	At        time.Time      `json:"at"`
	Queues    []QueueJSON    `json:"queues"`
	Operators []OperatorJSON `json:"operators"`
}

// --- snapshots ------------------------------------------------------------

func (h *Handler) snapshot(w http.ResponseWriter, _ *http.Request, _ apiauth.Actor) {
	s := h.d.Snapshot()
	out := SnapshotJSON{At: s.At, Queues: []QueueJSON{}, Operators: []OperatorJSON{}}
	for _, q := range s.Queues {
		out.Queues = append(out.Queues, queueJSON(q))
	}
	for _, o := range s.Operators {
		out.Operators = append(out.Operators, operatorJSON(o))
	}
	api.WriteJSON(w, http.StatusOK, out)
}

func (h *Handler) queueSnapshot(w http.ResponseWriter, r *http.Request, _ apiauth.Actor) {
	q, ok := h.d.QueueSnapshot(r.PathValue("name"))
	if !ok {
		api.Error(w, http.StatusNotFound, "name", "no such queue: "+r.PathValue("name"))
		return
	}
	api.WriteJSON(w, http.StatusOK, queueJSON(q))
}

// --- operators ------------------------------------------------------------

func (h *Handler) listOperators(w http.ResponseWriter, _ *http.Request, _ apiauth.Actor) {
	out := []OperatorJSON{}
	for _, o := range h.d.Operators() {
		out = append(out, operatorJSON(o))
	}
	api.WriteJSON(w, http.StatusOK, out)
}

func (h *Handler) getOperator(w http.ResponseWriter, r *http.Request, a apiauth.Actor) {
	id, ok := self(w, r, a)
	if !ok {
		return
	}
	o, ok := h.d.Operator(id)
	if !ok {
		api.Error(w, http.StatusNotFound, "id", "no such operator: "+id)
		return
	}
	api.WriteJSON(w, http.StatusOK, operatorJSON(o))
}

func (h *Handler) createOperator(w http.ResponseWriter, r *http.Request, a apiauth.Actor) {
	var in OperatorInput
	if !api.Decode(w, r, &in) {
		return
	}
	if in.ID == "" {
		api.Error(w, http.StatusBadRequest, "id", "id is required")
		return
	}
	s, err := h.cfg.Roster.Add(r.Context(), in.operator(), a.User)
	if err != nil {
		h.writeErr(w, err)
		return
	}
	api.WriteJSON(w, http.StatusCreated, operatorJSON(s))
}

func (h *Handler) putOperator(w http.ResponseWriter, r *http.Request, a apiauth.Actor) {
	var in OperatorInput
	if !api.Decode(w, r, &in) {
		return
	}
	id := r.PathValue("id")
	if in.ID == "" {
		in.ID = id
	}
	if in.ID != id {
		api.Error(w, http.StatusBadRequest, "id", fmt.Sprintf("id %q does not match the path's %q", in.ID, id))
		return
	}
	s, created, err := h.cfg.Roster.Put(r.Context(), in.operator(), a.User)
	if err != nil {
		h.writeErr(w, err)
		return
	}
	code := http.StatusOK
	if created {
		code = http.StatusCreated
	}
	api.WriteJSON(w, code, operatorJSON(s))
}

func (h *Handler) deleteOperator(w http.ResponseWriter, r *http.Request, a apiauth.Actor) {
	if err := h.cfg.Roster.Remove(r.Context(), r.PathValue("id"), a.User); err != nil {
		h.writeErr(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// PauseInput is why an operator pauses (default break).
type PauseInput struct {
	Reason string `json:"reason" enum:"break,lunch,training,other"`
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request, a apiauth.Actor) {
	h.act(w, r, a, "login", h.d.Login)
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request, a apiauth.Actor) {
	h.act(w, r, a, "logout", h.d.Logout)
}

func (h *Handler) unpause(w http.ResponseWriter, r *http.Request, a apiauth.Actor) {
	h.act(w, r, a, "unpause", h.d.Unpause)
}

func (h *Handler) pause(w http.ResponseWriter, r *http.Request, a apiauth.Actor) {
	in := PauseInput{Reason: string(queue.ReasonBreak)}
	if _, ok := self(w, r, a); !ok || !api.DecodeOptional(w, r, &in) {
		return
	}
	reason, err := queue.ParsePauseReason(in.Reason)
	if err != nil || reason == queue.ReasonNoAnswer {
		api.Error(w, http.StatusBadRequest, "reason", "reason must be break, lunch, training or other")
		return
	}
	h.act(w, r, a, "pause", func(id string) error { return h.d.Pause(id, reason) })
}

// act changes an operator's presence and answers with their state.
func (h *Handler) act(w http.ResponseWriter, r *http.Request, a apiauth.Actor, action string, change func(id string) error) {
	id, ok := self(w, r, a)
	if !ok {
		return
	}
	if err := change(id); err != nil {
		h.writeErr(w, err)
		return
	}
	h.log.Info("operator "+action, "operator", id, "by", a.User)
	s, _ := h.d.Operator(id)
	api.WriteJSON(w, http.StatusOK, operatorJSON(s))
}

// --- the operator's call ----------------------------------------------------

// MenuStepJSON is a step of the caller's way through the menu.
type MenuStepJSON struct {
	Kind string `json:"kind"`
	Node string `json:"node"`
	Key  string `json:"key,omitempty"`
}

// PastCallJSON is one of the caller's earlier calls.
type PastCallJSON struct {
	CallID       string     `json:"call_id"`
	ArrivedAt    time.Time  `json:"arrived_at"`
	EndedAt      *time.Time `json:"ended_at,omitempty"`
	Outcome      string     `json:"outcome"`
	AppealNumber string     `json:"appeal_number,omitempty"`
	Rating       *int       `json:"rating,omitempty"`
}

// OperatorCallJSON is the call an operator is on, with what the caller did
// in the menu and their earlier calls.
type OperatorCallJSON struct {
	Call         *CallJSON      `json:"call"` // null: no call
	MenuPath     []MenuStepJSON `json:"menu_path"`
	EarlierCalls []PastCallJSON `json:"earlier_calls"`
}

func (h *Handler) operatorCall(w http.ResponseWriter, r *http.Request, a apiauth.Actor) {
	id, ok := self(w, r, a)
	if !ok {
		return
	}
	info, err := h.d.OperatorCall(id)
	if err != nil {
		h.writeErr(w, err)
		return
	}
	out := OperatorCallJSON{Call: callJSON(info), MenuPath: []MenuStepJSON{}, EarlierCalls: []PastCallJSON{}}
	if info != nil {
		steps, err := h.cfg.Calls.MenuPath(r.Context(), info.CallID)
		if err != nil {
			h.writeErr(w, err)
			return
		}
		for _, s := range steps {
			out.MenuPath = append(out.MenuPath, MenuStepJSON{Kind: string(s.Kind), Node: s.Node, Key: s.Key})
		}
		past, err := h.cfg.Calls.CallerHistory(r.Context(), info.CallerNumber, info.CallID, 20)
		if err != nil {
			h.writeErr(w, err)
			return
		}
		for _, c := range past {
			out.EarlierCalls = append(out.EarlierCalls, PastCallJSON{CallID: c.ID, ArrivedAt: c.ArrivedAt, EndedAt: c.EndedAt,
				Outcome: string(c.Outcome), AppealNumber: c.AppealNumber, Rating: c.Rating})
		}
	}
	api.WriteJSON(w, http.StatusOK, out)
}

// --- transfers --------------------------------------------------------------

// TransferInput is where a call goes: {"to": "menu"} or {"to": "queue", "queue": "appeals"}.
type TransferInput struct {
	To    string `json:"to" enum:"menu,queue"`
	Queue string `json:"queue"`
}

// TransferJSON is a transfer passed to the call.
type TransferJSON struct {
	CallID string `json:"call_id"`
	To     string `json:"to"`
	Queue  string `json:"queue"`
}

func (h *Handler) transfer(w http.ResponseWriter, r *http.Request, a apiauth.Actor) {
	callID := r.PathValue("call_id")
	var in TransferInput
	if !api.Decode(w, r, &in) {
		return
	}
	target, err := queue.ParseTarget(in.To, in.Queue)
	if err != nil {
		h.writeErr(w, err)
		return
	}
	if !a.Is(supervisors...) {
		// An operator transfers only the call they are on.
		info, err := h.d.OperatorCall(a.User)
		if err != nil || info == nil || info.CallID != callID {
			api.Error(w, http.StatusForbidden, "call_id", "call "+callID+" is not "+a.User+"'s call")
			return
		}
	}
	if err := h.d.Transfer(callID, target, a.User); err != nil {
		h.writeErr(w, err)
		return
	}
	api.WriteJSON(w, http.StatusAccepted, TransferJSON{CallID: callID, To: string(target.Kind), Queue: target.Queue})
}

// --- reports ----------------------------------------------------------------

// TimeInStateJSON is an operator's time per state over a period.
type TimeInStateJSON struct {
	OperatorID      string             `json:"operator_id"`
	Seconds         map[string]float64 `json:"seconds"`
	PausedSeconds   map[string]float64 `json:"paused_seconds"`
	OfflineSeconds  float64            `json:"offline_seconds"`
	LoggedInSeconds float64            `json:"logged_in_seconds"`
	Occupancy       float64            `json:"occupancy"`
}

// TimeInStateReportJSON is every operator's time per state over a period.
type TimeInStateReportJSON struct {
	From      time.Time         `json:"from"`
	To        time.Time         `json:"to"`
	Operators []TimeInStateJSON `json:"operators"`
}

func (h *Handler) timeInState(w http.ResponseWriter, r *http.Request, _ apiauth.Actor) {
	now := h.cfg.Now()
	from, ok := api.Instant(w, r, "from", now.Add(-24*time.Hour))
	if !ok {
		return
	}
	to, ok := api.Instant(w, r, "to", now)
	if !ok {
		return
	}
	if !from.Before(to) {
		api.Error(w, http.StatusBadRequest, "from", "from must be before to")
		return
	}
	rows, err := h.cfg.Reports.TimeInStates(r.Context(), from, to, now)
	if err != nil {
		h.writeErr(w, err)
		return
	}
	out := TimeInStateReportJSON{From: from, To: to, Operators: []TimeInStateJSON{}}
	for _, t := range rows {
		j := TimeInStateJSON{OperatorID: t.OperatorID, Seconds: map[string]float64{}, PausedSeconds: map[string]float64{},
			OfflineSeconds: t.Offline.Seconds(), LoggedInSeconds: t.LoggedIn().Seconds(), Occupancy: t.Occupancy()}
		for st, d := range t.States {
			j.Seconds[string(st)] = d.Seconds()
		}
		for re, d := range t.Paused {
			j.PausedSeconds[string(re)] = d.Seconds()
		}
		out.Operators = append(out.Operators, j)
	}
	api.WriteJSON(w, http.StatusOK, out)
}

// --- event streams ----------------------------------------------------------

// EventJSON is one Server-Sent Event's data.
type EventJSON struct {
	Seq        uint64    `json:"seq"`
	At         time.Time `json:"at"`
	Kind       string    `json:"kind"`
	OperatorID string    `json:"operator_id"`
	State      string    `json:"state"`
	Reason     string    `json:"reason,omitempty"`
	Online     bool      `json:"online"`
	Call       *CallJSON `json:"call,omitempty"`
	Detail     string    `json:"detail,omitempty"`
}

func (h *Handler) operatorEvents(w http.ResponseWriter, r *http.Request, a apiauth.Actor) {
	id, ok := self(w, r, a)
	if !ok {
		return
	}
	if _, ok := h.d.Operator(id); !ok {
		api.Error(w, http.StatusNotFound, "id", "no such operator: "+id)
		return
	}
	h.stream(w, r, id)
}

func (h *Handler) allEvents(w http.ResponseWriter, r *http.Request, _ apiauth.Actor) {
	h.stream(w, r, "")
}

// stream sends the operator's (or every operator's) current state, then
// each event as it happens, until the client goes or the server stops. A
// client that falls behind gets a "missed" event: fetch the state again.
func (h *Handler) stream(w http.ResponseWriter, r *http.Request, operatorID string) {
	rc := http.NewResponseController(w)
	sub := h.d.Subscribe(operatorID)
	defer sub.Close()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(kind string, id uint64, v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if id > 0 {
			if _, err := fmt.Fprintf(w, "id: %d\n", id); err != nil {
				return err
			}
		}
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", kind, b); err != nil {
			return err
		}
		return rc.Flush()
	}
	for _, o := range h.d.Operators() {
		if operatorID == "" || o.ID == operatorID {
			if err := send("snapshot", 0, operatorJSON(o)); err != nil {
				return
			}
		}
	}
	beat := time.NewTicker(h.cfg.Heartbeat)
	defer beat.Stop()
	missed := 0
	for {
		select {
		case ev, ok := <-sub.C:
			if !ok {
				return
			}
			err := send(string(ev.Kind), ev.Seq, EventJSON{Seq: ev.Seq, At: ev.At, Kind: string(ev.Kind), OperatorID: ev.OperatorID,
				State: string(ev.State), Reason: string(ev.Reason), Online: ev.Online, Call: callJSON(ev.Call), Detail: ev.Detail})
			if err == nil {
				if m := sub.Missed(); m > missed {
					err = send("missed", 0, map[string]int{"missed": m - missed})
					missed = m
				}
			}
			if err != nil {
				return
			}
		case <-beat.C:
			if _, err := fmt.Fprint(w, ": keepalive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case <-r.Context().Done():
			return
		case <-h.ctx.Done():
			return
		}
	}
}
