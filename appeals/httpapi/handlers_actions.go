package httpapi

import (
	"errors"
	"net/http"
	"time"

	"github.com/slobozhanske/hotline/appeals"
	"github.com/slobozhanske/hotline/internal/api"
)

func (h *Handler) transition(w http.ResponseWriter, r *http.Request, a appeals.Actor) {
	var req TransitionRequest
	if !api.Decode(w, r, &req) {
		return
	}
	c, err := h.cfg.Service.Transition(r.Context(), a, r.PathValue("id"), appeals.TransitionRequest{
		To: appeals.Status(req.To), Reason: req.Reason, Basis: appeals.ClosureBasis(req.Basis), BasisRef: req.BasisRef,
		Version: req.Version})
	h.answerCard(w, r, c, err, http.StatusOK)
}

func (h *Handler) assign(w http.ResponseWriter, r *http.Request, a appeals.Actor) {
	var req AssignRequest
	if !api.Decode(w, r, &req) {
		return
	}
	c, err := h.cfg.Service.AssignExecutor(r.Context(), a, r.PathValue("id"), req.Version, req.Executor, req.Reason)
	h.answerCard(w, r, c, err, http.StatusOK)
}

func (h *Handler) extend(w http.ResponseWriter, r *http.Request, a appeals.Actor) {
	var req ExtendRequest
	if !api.Decode(w, r, &req) {
		return
	}
	by, err := time.Parse(time.RFC3339, req.ResolveBy)
	if err != nil {
		api.Error(w, http.StatusBadRequest, "resolve_by", "must be an RFC 3339 time, e.g. 2026-12-01T17:00:00+02:00")
		return
	}
	c, err := h.cfg.Service.ExtendDeadline(r.Context(), a, r.PathValue("id"), appeals.ExtendRequest{
		ResolveBy: by, Reason: req.Reason, Version: req.Version})
	h.answerCard(w, r, c, err, http.StatusOK)
}

func (h *Handler) repeat(w http.ResponseWriter, r *http.Request, a appeals.Actor) {
	var req RepeatRequest
	if !api.Decode(w, r, &req) {
		return
	}
	c, err := h.cfg.Service.CreateRepeat(r.Context(), a, r.PathValue("id"), req.Reason)
	if err == nil {
		w.Header().Set("Location", "/api/v1/appeals/"+c.ID)
	}
	h.answerCard(w, r, c, err, http.StatusCreated)
}

func (h *Handler) answerCard(w http.ResponseWriter, r *http.Request, c appeals.Card, err error, status int) {
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	api.WriteJSON(w, status, h.card(c))
}

func (h *Handler) addComment(w http.ResponseWriter, r *http.Request, a appeals.Actor) {
	var req CommentRequest
	if !api.Decode(w, r, &req) {
		return
	}
	m, err := h.cfg.Service.AddComment(r.Context(), a, r.PathValue("id"), req.Text)
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	api.WriteJSON(w, http.StatusCreated, h.comment(m))
}

func (h *Handler) attach(w http.ResponseWriter, r *http.Request, a appeals.Actor) {
	var req AttachmentRequest
	if !api.Decode(w, r, &req) {
		return
	}
	att, err := h.cfg.Service.AddAttachment(r.Context(), a, r.PathValue("id"), appeals.Attachment{
		Kind: appeals.AttachmentKind(req.Kind), Ref: req.Ref, Title: req.Title})
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	api.WriteJSON(w, http.StatusCreated, h.attachment(att))
}

func (h *Handler) history(w http.ResponseWriter, r *http.Request, a appeals.Actor) {
	entries, err := h.cfg.Service.History(r.Context(), a, r.PathValue("id"))
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	out := History{Items: []HistoryEntry{}}
	for _, e := range entries {
		out.Items = append(out.Items, HistoryEntry{ID: e.ID, At: h.tz(e.At), Who: e.Who, Role: string(e.Role), Action: e.Action,
			From: string(e.From), To: string(e.To), Reason: e.Reason, Detail: e.Detail})
	}
	api.WriteJSON(w, http.StatusOK, out)
}

func (h *Handler) linkCall(w http.ResponseWriter, r *http.Request, a appeals.Actor) {
	var req LinkCallRequest
	if !api.Decode(w, r, &req) {
		return
	}
	if current, onCall := h.currentCall(r, a); !onCall || current != req.CallID {
		if err := h.checkCall(r.Context(), req.CallID); err != nil {
			h.writeErr(w, r, err)
			return
		}
	}
	added, err := h.cfg.Service.LinkCall(r.Context(), a, r.PathValue("id"), appeals.CallLink{CallID: req.CallID, Recording: req.Recording})
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, LinkCallResult{Added: added})
}

// currentCall is the call the user is on now, if telephony is connected.
func (h *Handler) currentCall(r *http.Request, a appeals.Actor) (string, bool) {
	if h.cfg.Desk == nil {
		return "", false
	}
	return h.cfg.Desk.CurrentCall(r.Context(), a.User)
}

// readBack reads a card's number to the caller on request, on a call that
// concerns the card or that the user is on now.
func (h *Handler) readBack(w http.ResponseWriter, r *http.Request, a appeals.Actor) {
	var req ReadBackRequest
	if !api.Decode(w, r, &req) {
		return
	}
	if h.cfg.Desk == nil {
		api.Error(w, http.StatusServiceUnavailable, "", "no telephony is connected to read numbers back")
		return
	}
	ctx := r.Context()
	c, err := h.cfg.Service.Get(ctx, a, req.AppealID)
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	callID := r.PathValue("call_id")
	current, onCall := h.cfg.Desk.CurrentCall(ctx, a.User)
	linked := onCall && current == callID
	for _, l := range c.Calls {
		linked = linked || l.CallID == callID
	}
	if !linked {
		api.ErrorCode(w, http.StatusConflict, "call_not_linked", "call_id", "the call is neither linked to the appeal nor yours now")
		return
	}
	res, err := h.readBackNumber(ctx, a, c, callID)
	switch {
	case errors.Is(err, ErrCallNotConnected):
		api.ErrorCode(w, http.StatusConflict, "call_not_connected", "call_id", "the call is not with an operator now: "+res.Error)
		return
	case err != nil:
		api.ErrorCode(w, http.StatusBadGateway, "read_back_failed", "", res.Error)
		return
	}
	api.WriteJSON(w, http.StatusOK, ReadBackDone{CallID: callID, AppealID: c.ID, Number: c.Number, Digits: res.Digits})
}

func (h *Handler) overdueReport(w http.ResponseWriter, r *http.Request, a appeals.Actor) {
	q := r.URL.Query()
	if err := onlyParams(q, reportParams); err != nil {
		h.writeErr(w, r, err)
		return
	}
	loc := h.cfg.Service.Location()
	var from, to time.Time
	var err error
	switch {
	case q.Get("week") != "":
		if q.Get("from") != "" || q.Get("to") != "" {
			api.Error(w, http.StatusBadRequest, "week", "give a week or from/to, not both")
			return
		}
		from, to, err = appeals.ParseISOWeek(q.Get("week"), loc)
	case q.Get("from") != "" && q.Get("to") != "":
		if from, err = timeParam(q, "from", loc, false); err == nil {
			to, err = timeParam(q, "to", loc, true)
		}
	default:
		api.Error(w, http.StatusBadRequest, "week", "give week=2026-W47, or from and to")
		return
	}
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	rep, err := h.cfg.Service.OverdueReport(r.Context(), a, from, to)
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	out := OverdueReport{From: h.tz(rep.From), To: h.tz(rep.To), Current: []Breach{}, SOS: []Breach{},
		ByExecutor: rep.ByExecutor, ByCategory: rep.ByCategory}
	for _, b := range rep.Current {
		out.Current = append(out.Current, h.breach(b))
	}
	for _, b := range rep.SOS {
		out.SOS = append(out.SOS, h.breach(b))
	}
	api.WriteJSON(w, http.StatusOK, out)
}
