package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/slobozhanske/hotline/appeals"
	"github.com/slobozhanske/hotline/internal/api"
)

func (h *Handler) create(w http.ResponseWriter, r *http.Request, a appeals.Actor) {
	var req CreateRequest
	if !api.Decode(w, r, &req) {
		return
	}
	ctx := r.Context()
	callID, onCall := req.CallID, false
	byPhone := req.Channel == "" || req.Channel == string(appeals.ChannelPhone)
	if h.cfg.Desk != nil && byPhone {
		current, ok := h.cfg.Desk.CurrentCall(ctx, a.User)
		if callID == "" && ok {
			callID = current // the operator is registering the caller they talk to
		}
		onCall = ok && callID == current
	}
	if !onCall {
		if err := h.checkCall(ctx, req.CallID); err != nil {
			h.writeErr(w, r, err)
			return
		}
	}
	c, err := h.cfg.Service.Create(ctx, a, appeals.NewCard{Channel: appeals.Channel(req.Channel),
		Person: appeals.Person{Surname: req.Surname, FirstName: req.FirstName, Patronymic: req.Patronymic,
			Address: req.Address, ContactPhone: req.ContactPhone, Email: req.Email},
		Anonymous: req.Anonymous, Location: req.Location, Essence: req.Essence, Category: req.Category,
		Priority: appeals.Priority(req.Priority), Executor: req.Executor, CallID: callID, Recording: req.Recording})
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	out := Created{Card: h.card(c)}
	if onCall && (req.ReadBack == nil || *req.ReadBack) {
		out.ReadBack, _ = h.readBackNumber(ctx, a, c, callID)
	}
	w.Header().Set("Location", "/api/v1/appeals/"+c.ID)
	api.WriteJSON(w, http.StatusCreated, out)
}

// readBackNumber reads the new number to the caller (art. 4.8: the number
// confirms the appeal was taken). A failure does not undo the card: the
// operator sees it in the answer and says the number themselves.
func (h *Handler) readBackNumber(ctx context.Context, a appeals.Actor, c appeals.Card, callID string) (*ReadBackResult, error) {
	res := &ReadBackResult{CallID: callID, Digits: c.SpokenDigits()}
	rctx, cancel := context.WithTimeout(ctx, h.cfg.ReadBackTimeout)
	defer cancel()
	if err := h.cfg.Desk.ReadBackNumber(rctx, callID, res.Digits); err != nil {
		h.log.Warn("read back appeal number", "number", c.Number, "call", callID, "err", err)
		res.Error = err.Error()
		return res, err
	}
	res.Done = true
	if err := h.cfg.Service.AddHistory(ctx, c.ID, appeals.Entry{Who: a.User, Action: "number_read_back",
		Detail: map[string]string{"call_id": callID, "digits": res.Digits}}); err != nil {
		h.log.Warn("record read back", "number", c.Number, "err", err)
	}
	return res, nil
}

// errUnknownCall: no call record has the call_id a card is to be linked to.
var errUnknownCall = errors.New("no call record has this call_id")

// checkCall refuses to link a card to a call_id no call record has. The
// operator's call now is not checked (callers do not pass it): its record
// may still be on its way to the database.
func (h *Handler) checkCall(ctx context.Context, callID string) error {
	if callID == "" || h.cfg.Calls == nil {
		return nil
	}
	known, err := h.cfg.Calls.KnownCall(ctx, callID)
	if err != nil {
		return fmt.Errorf("look up call %q: %w", callID, err)
	}
	if !known {
		return fmt.Errorf("%w: %q", errUnknownCall, callID)
	}
	return nil
}

// get reads a card by its id or, failing that shape, by its number
// (2026-000123, or its digits 2026000123).
func (h *Handler) get(w http.ResponseWriter, r *http.Request, a appeals.Actor) {
	ref := r.PathValue("id")
	get := h.cfg.Service.GetByNumber
	if appeals.ValidID(ref) {
		get = h.cfg.Service.Get
	}
	c, err := get(r.Context(), a, ref)
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, h.card(c))
}

func (h *Handler) search(w http.ResponseWriter, r *http.Request, a appeals.Actor) {
	q := r.URL.Query()
	if err := onlyParams(q, searchParams); err != nil {
		h.writeErr(w, r, err)
		return
	}
	f := appeals.Filter{Number: q.Get("number"), Phone: q.Get("phone"), Address: q.Get("address"),
		Category: q.Get("category"), Executor: q.Get("executor")}
	for _, s := range strings.Split(q.Get("status"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			f.Statuses = append(f.Statuses, appeals.Status(s))
		}
	}
	var err error
	loc := h.cfg.Service.Location()
	if f.Overdue, err = boolParam(q, "overdue"); err == nil {
		if f.From, err = timeParam(q, "from", loc, false); err == nil {
			if f.To, err = timeParam(q, "to", loc, true); err == nil {
				if f.Limit, err = intParam(q, "limit"); err == nil {
					f.Offset, err = intParam(q, "offset")
				}
			}
		}
	}
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	cards, total, err := h.cfg.Service.Search(r.Context(), a, f)
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	if f.Limit == 0 {
		f.Limit = appeals.DefaultSearchLimit
	}
	out := SearchResult{Items: []Card{}, Total: total, Limit: f.Limit, Offset: f.Offset}
	for _, c := range cards {
		out.Items = append(out.Items, h.card(c))
	}
	api.WriteJSON(w, http.StatusOK, out)
}

func (h *Handler) patch(w http.ResponseWriter, r *http.Request, a appeals.Actor) {
	var req PatchRequest
	if !api.Decode(w, r, &req) {
		return
	}
	p := appeals.Patch{Surname: req.Surname, FirstName: req.FirstName, Patronymic: req.Patronymic, Address: req.Address,
		ContactPhone: req.ContactPhone, Email: req.Email, Anonymous: req.Anonymous, Location: req.Location,
		Essence: req.Essence, Category: req.Category}
	if req.Priority != nil {
		p.Priority = (*appeals.Priority)(req.Priority)
	}
	if req.Channel != nil {
		p.Channel = (*appeals.Channel)(req.Channel)
	}
	c, err := h.cfg.Service.Update(r.Context(), a, r.PathValue("id"), req.Version, p)
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, h.card(c))
}

func (h *Handler) classifier(w http.ResponseWriter, _ *http.Request, _ appeals.Actor) {
	cl := h.cfg.Service.Classifier()
	out := Classifier{Categories: []Category{}, Executors: []Executor{}}
	for _, c := range cl.Categories() {
		out.Categories = append(out.Categories, Category{Code: c.Code, Title: c.Title, Prompt: c.Prompt,
			DefaultPriority: string(c.DefaultPriority), Executor: c.Executor,
			AcceptWithinSeconds: int64(c.AcceptWithin / time.Second), ResolveWithinSeconds: int64(c.ResolveWithin / time.Second),
			TimeBasis: string(c.TimeBasis), Housing: c.Housing})
	}
	for _, e := range cl.Executors() {
		out.Executors = append(out.Executors, Executor{Code: e.Code, Title: e.Title})
	}
	api.WriteJSON(w, http.StatusOK, out)
}

// --- query parameters -------------------------------------------------------

func badParam(name, format string, args ...any) error {
	return &appeals.ValidationError{Field: name, Message: fmt.Sprintf(format, args...)}
}

// onlyParams refuses parameters the endpoint does not know, so a typo
// ("stauts=") is an error rather than a silently unfiltered list.
func onlyParams(q url.Values, known []api.Param) error {
	for name, vs := range q {
		ok := false
		for _, k := range known {
			ok = ok || k.Name == name
		}
		if !ok {
			return badParam(name, "unknown query parameter %s", name)
		}
		if len(vs) > 1 {
			return badParam(name, "give %s once", name)
		}
	}
	return nil
}

func boolParam(q url.Values, name string) (bool, error) {
	switch q.Get(name) {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, badParam(name, "must be true or false")
}

func intParam(q url.Values, name string) (int, error) {
	v := q.Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, badParam(name, "must be a whole number")
	}
	return n, nil
}

// timeParam reads an RFC 3339 time or a date (YYYY-MM-DD) in the
// community's zone; as an upper bound a date means the end of that day.
func timeParam(q url.Values, name string, loc *time.Location, upper bool) (time.Time, error) {
	v := q.Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	d, err := time.ParseInLocation("2006-01-02", v, loc)
	if err != nil {
		return time.Time{}, badParam(name, "must be an RFC 3339 time (2026-11-23T09:00:00+02:00) or a date (2026-11-23)")
	}
	if upper {
		d = d.AddDate(0, 0, 1)
	}
	return d, nil
}
