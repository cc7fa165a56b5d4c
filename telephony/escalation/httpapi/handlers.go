package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/slobozhanske/hotline/internal/api"
	"github.com/slobozhanske/hotline/internal/apiauth"
	"github.com/slobozhanske/hotline/telephony/escalation"
)

// PersonJSON is one link of an on-duty chain.
type PersonJSON struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
}

// ShiftInput is a shift as added or changed: from and to are RFC 3339
// instants, or empty (both empty: the standing chain).
type ShiftInput struct {
	From   string       `json:"from"`
	To     string       `json:"to"`
	People []PersonJSON `json:"people"`
}

func (in ShiftInput) shift(prefix string) (escalation.Shift, error) {
	var s escalation.Shift
	for _, f := range []struct {
		name string
		v    string
		dst  *time.Time
	}{{"from", in.From, &s.From}, {"to", in.To, &s.To}} {
		if f.v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, f.v)
		if err != nil {
			return s, &escalation.FieldError{Field: prefix + f.name, Message: fmt.Sprintf("%q: want an RFC 3339 instant such as 2026-12-31T17:00:00+02:00, or empty", f.v)}
		}
		*f.dst = t
	}
	for _, p := range in.People {
		s.People = append(s.People, escalation.Person{Name: p.Name, Phone: p.Phone})
	}
	return s, nil
}

// ShiftJSON is a stored shift.
type ShiftJSON struct {
	ID       int64        `json:"id"`
	From     *time.Time   `json:"from"`
	To       *time.Time   `json:"to"`
	Standing bool         `json:"standing"`
	People   []PersonJSON `json:"people"`
}

func shiftJSON(s escalation.Shift) ShiftJSON {
	out := ShiftJSON{ID: s.ID, From: api.TimePtr(s.From), To: api.TimePtr(s.To), Standing: s.Standing(), People: []PersonJSON{}}
	for _, p := range s.People {
		out.People = append(out.People, PersonJSON(p))
	}
	return out
}

func shiftsJSON(list []escalation.Shift) []ShiftJSON {
	out := make([]ShiftJSON, 0, len(list))
	for _, s := range list {
		out = append(out, shiftJSON(s))
	}
	return out
}

// RosterInput is the whole roster as replaced.
type RosterInput struct {
	Shifts []ShiftInput `json:"shifts"`
}

// RosterJSON is the whole roster.
type RosterJSON struct {
	At     time.Time   `json:"at"`
	OnDuty *ShiftJSON  `json:"on_duty"` // null: nobody is on duty now
	Shifts []ShiftJSON `json:"shifts"`
}

func (h *Handler) roster(at time.Time) RosterJSON {
	out := RosterJSON{At: at, Shifts: shiftsJSON(h.cfg.Duty.Shifts())}
	if s, ok := h.cfg.Duty.OnDuty(at); ok {
		j := shiftJSON(s)
		out.OnDuty = &j
	}
	return out
}

func (h *Handler) getRoster(w http.ResponseWriter, r *http.Request, _ apiauth.Actor) {
	api.WriteJSON(w, http.StatusOK, h.roster(h.cfg.Now()))
}

func (h *Handler) putRoster(w http.ResponseWriter, r *http.Request, a apiauth.Actor) {
	var in RosterInput
	if !api.Decode(w, r, &in) {
		return
	}
	shifts := make([]escalation.Shift, 0, len(in.Shifts))
	for i, s := range in.Shifts {
		sh, err := s.shift(fmt.Sprintf("shifts[%d].", i))
		if err != nil {
			h.writeErr(w, err)
			return
		}
		shifts = append(shifts, sh)
	}
	if _, err := h.cfg.Duty.Replace(r.Context(), shifts, a.User); err != nil {
		h.writeErr(w, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, h.roster(h.cfg.Now()))
}

// OnDutyJSON is the chain on duty at an instant.
type OnDutyJSON struct {
	At     time.Time  `json:"at"`
	OnDuty *ShiftJSON `json:"on_duty"` // null: nobody is on duty then
}

func (h *Handler) onDuty(w http.ResponseWriter, r *http.Request, _ apiauth.Actor) {
	at, ok := api.Instant(w, r, "at", h.cfg.Now())
	if !ok {
		return
	}
	out := OnDutyJSON{At: at}
	if s, ok := h.cfg.Duty.OnDuty(at); ok {
		j := shiftJSON(s)
		out.OnDuty = &j
	}
	api.WriteJSON(w, http.StatusOK, out)
}

func shiftID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		api.Error(w, http.StatusBadRequest, "id", fmt.Sprintf("id: %q: want a shift number", r.PathValue("id")))
		return 0, false
	}
	return id, true
}

func (h *Handler) getShift(w http.ResponseWriter, r *http.Request, _ apiauth.Actor) {
	id, ok := shiftID(w, r)
	if !ok {
		return
	}
	s, found := h.cfg.Duty.Shift(id)
	if !found {
		h.writeErr(w, escalation.ErrShiftNotFound)
		return
	}
	api.WriteJSON(w, http.StatusOK, shiftJSON(s))
}

func (h *Handler) createShift(w http.ResponseWriter, r *http.Request, a apiauth.Actor) {
	var in ShiftInput
	if !api.Decode(w, r, &in) {
		return
	}
	s, err := in.shift("")
	if err == nil {
		s, err = h.cfg.Duty.Create(r.Context(), s, a.User)
	}
	if err != nil {
		h.writeErr(w, err)
		return
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/duty-roster/shifts/%d", s.ID))
	api.WriteJSON(w, http.StatusCreated, shiftJSON(s))
}

func (h *Handler) putShift(w http.ResponseWriter, r *http.Request, a apiauth.Actor) {
	id, ok := shiftID(w, r)
	if !ok {
		return
	}
	var in ShiftInput
	if !api.Decode(w, r, &in) {
		return
	}
	s, err := in.shift("")
	if err == nil {
		s.ID = id
		s, err = h.cfg.Duty.Update(r.Context(), s, a.User)
	}
	if err != nil {
		h.writeErr(w, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, shiftJSON(s))
}

func (h *Handler) deleteShift(w http.ResponseWriter, r *http.Request, a apiauth.Actor) {
	id, ok := shiftID(w, r)
	if !ok {
		return
	}
	if err := h.cfg.Duty.Delete(r.Context(), id, a.User); err != nil {
		h.writeErr(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// --- escalations ----------------------------------------------------------

// AttemptJSON is one call to a person on duty.
type AttemptJSON struct {
	ID         int64      `json:"id"`
	Round      int        `json:"round"`
	Person     int        `json:"person"` // index in the round's chain
	Try        int        `json:"try"`
	Name       string     `json:"name"`
	Phone      string     `json:"phone"`
	Endpoint   string     `json:"endpoint"`
	StartedAt  time.Time  `json:"started_at"`
	AnsweredAt *time.Time `json:"answered_at"`
	EndedAt    *time.Time `json:"ended_at"` // null while in progress
	Result     string     `json:"result"`   // empty while in progress
	Detail     string     `json:"detail,omitempty"`
}

// EscalationJSON is an escalation with its attempts.
type EscalationJSON struct {
	ID                string        `json:"id"`
	AppealID          string        `json:"appeal_id"`
	AppealNumber      string        `json:"appeal_number"`
	Category          string        `json:"category"`
	CallID            string        `json:"call_id"`
	CallerNumber      string        `json:"caller_number"`
	Recording         string        `json:"recording"`
	State             string        `json:"state"`
	Round             int           `json:"round"`
	Chain             []PersonJSON  `json:"chain"`
	Person            int           `json:"person"`
	Try               int           `json:"try"`
	NextAttemptAt     *time.Time    `json:"next_attempt_at"` // null unless active
	RoundsExhausted   int           `json:"rounds_exhausted"`
	AcknowledgedBy    string        `json:"acknowledged_by,omitempty"`
	AcknowledgedPhone string        `json:"acknowledged_phone,omitempty"`
	AcknowledgedAt    *time.Time    `json:"acknowledged_at"`
	HistoryWrittenAt  *time.Time    `json:"history_written_at"`
	EndedAt           *time.Time    `json:"ended_at"`
	EndedBy           string        `json:"ended_by,omitempty"`
	EndReason         string        `json:"end_reason,omitempty"`
	CreatedAt         time.Time     `json:"created_at"`
	UpdatedAt         time.Time     `json:"updated_at"`
	Attempts          []AttemptJSON `json:"attempts"`
}

func escalationJSON(e escalation.Escalation) EscalationJSON {
	out := EscalationJSON{
		ID: e.ID, AppealID: e.AppealID, AppealNumber: e.AppealNumber, Category: e.Category, CallID: e.CallID,
		CallerNumber: e.CallerNumber, Recording: e.Recording, State: string(e.State), Round: e.Round, Chain: []PersonJSON{},
		Person: e.Person, Try: e.Try, RoundsExhausted: e.RoundsExhausted,
		AcknowledgedBy: e.AcknowledgedBy, AcknowledgedPhone: e.AcknowledgedPhone, AcknowledgedAt: api.TimePtr(e.AcknowledgedAt),
		HistoryWrittenAt: api.TimePtr(e.HistoryWrittenAt), EndedAt: api.TimePtr(e.EndedAt), EndedBy: e.EndedBy, EndReason: e.EndReason,
		CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt, Attempts: []AttemptJSON{},
	}
	if e.State == escalation.StateActive {
		out.NextAttemptAt = api.TimePtr(e.NextAttemptAt)
	}
	for _, p := range e.Chain {
		out.Chain = append(out.Chain, PersonJSON(p))
	}
	for _, a := range e.Attempts {
		out.Attempts = append(out.Attempts, AttemptJSON{ID: a.ID, Round: a.Round, Person: a.Person, Try: a.Try, Name: a.Name,
			Phone: a.Phone, Endpoint: a.Endpoint, StartedAt: a.StartedAt, AnsweredAt: api.TimePtr(a.AnsweredAt),
			EndedAt: api.TimePtr(a.EndedAt), Result: string(a.Result), Detail: a.Detail})
	}
	return out
}

func (h *Handler) listEscalations(w http.ResponseWriter, r *http.Request, _ apiauth.Actor) {
	q := r.URL.Query()
	f := escalation.Filter{State: escalation.State(q.Get("state"))}
	if f.State != "" && !escalation.ValidState(f.State) {
		api.Error(w, http.StatusBadRequest, "state", fmt.Sprintf("state: %q: want active, acknowledged, exhausted or cancelled", f.State))
		return
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			api.Error(w, http.StatusBadRequest, "limit", fmt.Sprintf("limit: %q: want 1 to 500", v))
			return
		}
		f.Limit = n
	}
	list, err := h.cfg.Escalations.List(r.Context(), f)
	if err != nil {
		h.writeErr(w, err)
		return
	}
	out := make([]EscalationJSON, 0, len(list))
	for _, e := range list {
		out = append(out, escalationJSON(e))
	}
	api.WriteJSON(w, http.StatusOK, out)
}

func (h *Handler) getEscalation(w http.ResponseWriter, r *http.Request, _ apiauth.Actor) {
	e, err := h.cfg.Escalations.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		h.writeErr(w, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, escalationJSON(e))
}

// CancelInput says why an escalation is stopped.
type CancelInput struct {
	Reason string `json:"reason"` // at most 500 characters
}

func (h *Handler) cancelEscalation(w http.ResponseWriter, r *http.Request, a apiauth.Actor) {
	var in CancelInput
	if !api.DecodeOptional(w, r, &in) {
		return
	}
	if len([]rune(in.Reason)) > 500 {
		api.Error(w, http.StatusBadRequest, "reason", "reason: at most 500 characters")
		return
	}
	if _, err := h.cfg.Escalations.Cancel(r.Context(), r.PathValue("id"), a.User, in.Reason); err != nil {
		h.writeErr(w, err)
		return
	}
	e, err := h.cfg.Escalations.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		h.writeErr(w, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, escalationJSON(e))
}
