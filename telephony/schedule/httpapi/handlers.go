package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/slobozhanske/hotline/internal/api"
	"github.com/slobozhanske/hotline/internal/apiauth"
	"github.com/slobozhanske/hotline/telephony/schedule"
)

// IntervalJSON is a span of wall-clock time, HH:MM to HH:MM.
type IntervalJSON struct {
	Name string `json:"name,omitempty"` // breaks only
	From string `json:"from"`
	To   string `json:"to"`
}

// ExceptionInput is a date's exception as set.
type ExceptionInput struct {
	Date   string         `json:"date"` // optional; must match the path
	Name   string         `json:"name"`
	Closed bool           `json:"closed"`
	Hours  []IntervalJSON `json:"hours"`
	Breaks []IntervalJSON `json:"breaks"`
}

// ExceptionJSON is an exception in force.
type ExceptionJSON struct {
	Date      string         `json:"date"`
	Name      string         `json:"name"`
	Closed    bool           `json:"closed"`
	Hours     []IntervalJSON `json:"hours"`
	Breaks    []IntervalJSON `json:"breaks"`
	Source    string         `json:"source"` // config or api
	UpdatedBy string         `json:"updated_by,omitempty"`
	UpdatedAt *time.Time     `json:"updated_at,omitempty"`
}

func exceptionJSON(e schedule.ExceptionInfo) ExceptionJSON {
	out := ExceptionJSON{Date: e.Date, Name: e.Name, Closed: e.Closed, Hours: []IntervalJSON{}, Breaks: []IntervalJSON{},
		Source: e.Source, UpdatedBy: e.UpdatedBy, UpdatedAt: api.TimePtr(e.UpdatedAt)}
	for _, iv := range e.Hours {
		out.Hours = append(out.Hours, IntervalJSON{From: iv.From, To: iv.To})
	}
	for _, b := range e.Breaks {
		out.Breaks = append(out.Breaks, IntervalJSON{Name: b.Name, From: b.From, To: b.To})
	}
	return out
}

func (h *Handler) listExceptions(w http.ResponseWriter, r *http.Request, _ apiauth.Actor) {
	out := []ExceptionJSON{}
	for _, e := range h.cfg.Schedule.Exceptions() {
		out = append(out, exceptionJSON(e))
	}
	api.WriteJSON(w, http.StatusOK, out)
}

func (h *Handler) getException(w http.ResponseWriter, r *http.Request, _ apiauth.Actor) {
	e, found := h.cfg.Schedule.Exception(r.PathValue("date"))
	if !found {
		api.Error(w, http.StatusNotFound, "date", "no exception for "+r.PathValue("date"))
		return
	}
	api.WriteJSON(w, http.StatusOK, exceptionJSON(e))
}

func (h *Handler) putException(w http.ResponseWriter, r *http.Request, a apiauth.Actor) {
	var in ExceptionInput
	if !api.Decode(w, r, &in) {
		return
	}
	date := r.PathValue("date")
	if in.Date != "" && in.Date != date {
		api.Error(w, http.StatusBadRequest, "date", fmt.Sprintf("date: %q differs from the path's %q", in.Date, date))
		return
	}
	e := schedule.Exception{Date: date, Name: in.Name, Closed: in.Closed}
	for _, iv := range in.Hours {
		e.Hours = append(e.Hours, schedule.Interval{From: iv.From, To: iv.To})
	}
	for _, b := range in.Breaks {
		e.Breaks = append(e.Breaks, schedule.Break{Name: b.Name, From: b.From, To: b.To})
	}
	info, err := h.cfg.Schedule.PutException(r.Context(), e, a.User)
	if err != nil {
		h.writeErr(w, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, exceptionJSON(info))
}

func (h *Handler) deleteException(w http.ResponseWriter, r *http.Request, a apiauth.Actor) {
	if err := h.cfg.Schedule.DeleteException(r.Context(), r.PathValue("date"), a.User); err != nil {
		h.writeErr(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// OverrideJSON is a setting of the day/night switch.
type OverrideJSON struct {
	ID        int64      `json:"id"`
	State     string     `json:"state"`
	Until     time.Time  `json:"until"`
	By        string     `json:"by"`
	Reason    string     `json:"reason,omitempty"`
	SetAt     time.Time  `json:"set_at"`
	ClearedBy string     `json:"cleared_by,omitempty"`
	ClearedAt *time.Time `json:"cleared_at,omitempty"`
}

// OverrideInput flips the switch: {"state": "open"|"closed", "until": RFC 3339, "reason"}.
type OverrideInput struct {
	State  string `json:"state" enum:"open,closed"`
	Until  string `json:"until" format:"date-time"`
	Reason string `json:"reason"`
}

// OverrideBody wraps the switch in force (null when none).
type OverrideBody struct {
	Override *OverrideJSON `json:"override"`
}

func overrideJSON(o schedule.OverrideRow) OverrideJSON {
	return OverrideJSON{ID: o.ID, State: string(o.State), Until: o.Until, By: o.By, Reason: o.Reason, SetAt: o.SetAt,
		ClearedBy: o.ClearedBy, ClearedAt: api.TimePtr(o.ClearedAt)}
}

func (h *Handler) currentOverride() *OverrideJSON {
	o, ok := h.cfg.Schedule.Override()
	if !ok {
		return nil
	}
	j := overrideJSON(o)
	return &j
}

func (h *Handler) getOverride(w http.ResponseWriter, r *http.Request, _ apiauth.Actor) {
	api.WriteJSON(w, http.StatusOK, OverrideBody{Override: h.currentOverride()})
}

func (h *Handler) putOverride(w http.ResponseWriter, r *http.Request, a apiauth.Actor) {
	var in OverrideInput
	if !api.Decode(w, r, &in) {
		return
	}
	var until time.Time
	if in.Until != "" {
		var err error
		if until, err = time.Parse(time.RFC3339, in.Until); err != nil {
			api.Error(w, http.StatusBadRequest, "until", fmt.Sprintf("until: %q: want an RFC 3339 instant such as 2026-11-24T08:00:00+02:00", in.Until))
			return
		}
	}
	o, err := h.cfg.Schedule.SetOverride(r.Context(), schedule.Override{State: schedule.State(in.State), Until: until, By: a.User, Reason: in.Reason})
	if err != nil {
		h.writeErr(w, err)
		return
	}
	j := overrideJSON(o)
	api.WriteJSON(w, http.StatusOK, OverrideBody{Override: &j})
}

func (h *Handler) deleteOverride(w http.ResponseWriter, r *http.Request, a apiauth.Actor) {
	err := h.cfg.Schedule.ClearOverride(r.Context(), a.User)
	if errors.Is(err, schedule.ErrNotFound) {
		api.Error(w, http.StatusNotFound, "", "no override is in force")
		return
	}
	if err != nil {
		h.writeErr(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) overrideHistory(w http.ResponseWriter, r *http.Request, _ apiauth.Actor) {
	list, err := h.cfg.Schedule.History(r.Context(), 50)
	if err != nil {
		h.writeErr(w, err)
		return
	}
	out := make([]OverrideJSON, 0, len(list))
	for _, o := range list {
		out = append(out, overrideJSON(o))
	}
	api.WriteJSON(w, http.StatusOK, out)
}

// StateJSON is the schedule's decision at an instant.
type StateJSON struct {
	At        time.Time     `json:"at"`
	State     string        `json:"state"` // open, break, closed
	Rule      string        `json:"rule"`
	Next      *time.Time    `json:"next"` // null: no change within about 400 days
	NextState string        `json:"next_state,omitempty"`
	NextOpen  *time.Time    `json:"next_open"`
	Override  *OverrideJSON `json:"override"` // the switch in force now, if any
}

func (h *Handler) scheduleState(w http.ResponseWriter, r *http.Request, _ apiauth.Actor) {
	at, ok := api.Instant(w, r, "at", h.cfg.Now())
	if !ok {
		return
	}
	sch := h.cfg.Schedule.Schedule()
	at = at.In(sch.Location())
	d := sch.State(at)
	out := StateJSON{At: at, State: string(d.State), Rule: d.Rule, Next: api.TimePtr(d.Next), NextState: string(d.NextState),
		Override: h.currentOverride()}
	if open, ok := sch.NextOpen(at); ok {
		out.NextOpen = &open
	}
	api.WriteJSON(w, http.StatusOK, out)
}
