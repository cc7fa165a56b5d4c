package httpapi

import (
	"time"

	"github.com/slobozhanske/hotline/appeals"
)

// The JSON shapes of the API. Tags: json as usual; oa:"required" marks a
// field the OpenAPI document lists as required; enum lists allowed values.

// Card is an appeal card.
type Card struct {
	ID               string       `json:"id" oa:"required"`
	Number           string       `json:"number" oa:"required"`
	SpokenDigits     string       `json:"spoken_digits" oa:"required"`
	CreatedAt        time.Time    `json:"created_at" oa:"required"`
	CreatedBy        string       `json:"created_by" oa:"required"`
	UpdatedAt        time.Time    `json:"updated_at" oa:"required"`
	Channel          string       `json:"channel" oa:"required" enum:"phone,web,email,in_person,social"`
	Anonymous        bool         `json:"anonymous" oa:"required"`
	Surname          string       `json:"surname"`
	FirstName        string       `json:"first_name"`
	Patronymic       string       `json:"patronymic"`
	Address          string       `json:"address"`
	ContactPhone     string       `json:"contact_phone"`
	Email            string       `json:"email"`
	Location         string       `json:"location"`
	Essence          string       `json:"essence" oa:"required"`
	Category         string       `json:"category" oa:"required"`
	CategoryTitle    string       `json:"category_title"`
	Priority         string       `json:"priority" oa:"required" enum:"sos,ordinary,medium,long"`
	Executor         string       `json:"executor"`
	ExecutorTitle    string       `json:"executor_title"`
	Status           string       `json:"status" oa:"required" enum:"registered,sent_to_executor,accepted,in_progress,resolved,returned_for_rework,closed"`
	ControlLevel     string       `json:"control_level" oa:"required" enum:"I,II,III"`
	AcceptBy         time.Time    `json:"accept_by" oa:"required"`
	ResolveBy        time.Time    `json:"resolve_by" oa:"required"`
	InitialResolveBy time.Time    `json:"initial_resolve_by" oa:"required"`
	Overdue          bool         `json:"overdue" oa:"required"`
	SentAt           *time.Time   `json:"sent_at,omitempty"`
	AcceptedAt       *time.Time   `json:"accepted_at,omitempty"`
	ResolvedAt       *time.Time   `json:"resolved_at,omitempty"`
	ClosedAt         *time.Time   `json:"closed_at,omitempty"`
	ClosureBasis     string       `json:"closure_basis,omitempty" enum:"act_of_works,written_answer,phone_confirmation,photo"`
	ClosureRef       string       `json:"closure_ref,omitempty"`
	RepeatOf         string       `json:"repeat_of,omitempty"`
	RepeatReason     string       `json:"repeat_reason,omitempty"`
	Version          int          `json:"version" oa:"required"`
	Calls            []CallLink   `json:"calls,omitempty"`
	Comments         []Comment    `json:"comments,omitempty"`
	Attachments      []Attachment `json:"attachments,omitempty"`
	Extensions       []Extension  `json:"extensions,omitempty"`
}

// CallLink is a call that concerns a card.
type CallLink struct {
	CallID    string    `json:"call_id" oa:"required"`
	Recording string    `json:"recording,omitempty"`
	LinkedAt  time.Time `json:"linked_at" oa:"required"`
	LinkedBy  string    `json:"linked_by"`
}

// Comment is a note on a card.
type Comment struct {
	ID     int64     `json:"id" oa:"required"`
	At     time.Time `json:"at" oa:"required"`
	Author string    `json:"author" oa:"required"`
	Role   string    `json:"role" oa:"required" enum:"operator,executor,supervisor,admin,system"`
	Text   string    `json:"text" oa:"required"`
}

// Attachment is a reference to a document or photo.
type Attachment struct {
	ID     int64     `json:"id" oa:"required"`
	At     time.Time `json:"at" oa:"required"`
	Author string    `json:"author" oa:"required"`
	Role   string    `json:"role" oa:"required" enum:"operator,executor,supervisor,admin,system"`
	Kind   string    `json:"kind" oa:"required" enum:"photo,act_of_works,written_answer,resolution,document"`
	Ref    string    `json:"ref" oa:"required"`
	Title  string    `json:"title,omitempty"`
}

// Extension is a postponed deadline.
type Extension struct {
	At           time.Time `json:"at" oa:"required"`
	By           string    `json:"by" oa:"required"`
	Reason       string    `json:"reason" oa:"required"`
	PreviousBy   time.Time `json:"previous_resolve_by" oa:"required"`
	NewBy        time.Time `json:"resolve_by" oa:"required"`
	ControlLevel string    `json:"control_level" oa:"required" enum:"I,II,III"`
}

// HistoryEntry is one change of a card.
type HistoryEntry struct {
	ID     int64             `json:"id" oa:"required"`
	At     time.Time         `json:"at" oa:"required"`
	Who    string            `json:"who" oa:"required"`
	Role   string            `json:"role" oa:"required" enum:"operator,executor,supervisor,admin,system"`
	Action string            `json:"action" oa:"required"`
	From   string            `json:"from,omitempty"`
	To     string            `json:"to,omitempty"`
	Reason string            `json:"reason,omitempty"`
	Detail map[string]string `json:"detail,omitempty"`
}

// History is a card's history, oldest first.
type History struct {
	Items []HistoryEntry `json:"items" oa:"required"`
}

// SearchResult is a page of cards.
type SearchResult struct {
	Items  []Card `json:"items" oa:"required"`
	Total  int    `json:"total" oa:"required"`
	Limit  int    `json:"limit" oa:"required"`
	Offset int    `json:"offset" oa:"required"`
}

// CreateRequest registers an appeal.
type CreateRequest struct {
	Channel      string `json:"channel,omitempty" enum:"phone,web,email,in_person,social"`
	Anonymous    bool   `json:"anonymous,omitempty"`
	Surname      string `json:"surname,omitempty"`
	FirstName    string `json:"first_name,omitempty"`
	Patronymic   string `json:"patronymic,omitempty"`
	Address      string `json:"address,omitempty"`
	ContactPhone string `json:"contact_phone,omitempty"`
	Email        string `json:"email,omitempty"`
	Location     string `json:"location,omitempty"`
	Essence      string `json:"essence" oa:"required"`
	Category     string `json:"category,omitempty"`
	Priority     string `json:"priority,omitempty" enum:"sos,ordinary,medium,long"`
	Executor     string `json:"executor,omitempty"`
	// CallID links the call the appeal came in; absent: the operator's
	// current call, if any.
	CallID    string `json:"call_id,omitempty"`
	Recording string `json:"recording,omitempty"`
	// ReadBack reads the number to the caller on the linked current call
	// (default true).
	ReadBack *bool `json:"read_back,omitempty"`
}

// Created is a registered card and what happened to reading its number back.
type Created struct {
	Card
	ReadBack *ReadBackResult `json:"read_back,omitempty"`
}

// ReadBackResult says whether the number was read to the caller.
type ReadBackResult struct {
	CallID string `json:"call_id" oa:"required"`
	Digits string `json:"digits" oa:"required"`
	Done   bool   `json:"done" oa:"required"`
	Error  string `json:"error,omitempty"`
}

// PatchRequest changes fields; absent fields stay.
type PatchRequest struct {
	Version      int     `json:"version" oa:"required"`
	Channel      *string `json:"channel,omitempty" enum:"phone,web,email,in_person,social"`
	Anonymous    *bool   `json:"anonymous,omitempty"`
	Surname      *string `json:"surname,omitempty"`
	FirstName    *string `json:"first_name,omitempty"`
	Patronymic   *string `json:"patronymic,omitempty"`
	Address      *string `json:"address,omitempty"`
	ContactPhone *string `json:"contact_phone,omitempty"`
	Email        *string `json:"email,omitempty"`
	Location     *string `json:"location,omitempty"`
	Essence      *string `json:"essence,omitempty"`
	Category     *string `json:"category,omitempty"`
	Priority     *string `json:"priority,omitempty" enum:"sos,ordinary,medium,long"`
}

// TransitionRequest changes a card's status.
type TransitionRequest struct {
	To       string `json:"to" oa:"required" enum:"registered,sent_to_executor,accepted,in_progress,resolved,returned_for_rework,closed"`
	Reason   string `json:"reason,omitempty"`
	Basis    string `json:"basis,omitempty" enum:"act_of_works,written_answer,phone_confirmation,photo"`
	BasisRef string `json:"basis_ref,omitempty"`
	Version  int    `json:"version" oa:"required"`
}

// AssignRequest chooses or changes the executor.
type AssignRequest struct {
	Executor string `json:"executor" oa:"required"`
	Reason   string `json:"reason,omitempty"`
	Version  int    `json:"version" oa:"required"`
}

// ExtendRequest postpones the resolution deadline.
type ExtendRequest struct {
	ResolveBy string `json:"resolve_by" oa:"required" format:"date-time"`
	Reason    string `json:"reason" oa:"required"`
	Version   int    `json:"version" oa:"required"`
}

// RepeatRequest opens a repeat appeal.
type RepeatRequest struct {
	Reason string `json:"reason" oa:"required"`
}

// CommentRequest adds a comment.
type CommentRequest struct {
	Text string `json:"text" oa:"required"`
}

// AttachmentRequest adds an attachment reference.
type AttachmentRequest struct {
	Kind  string `json:"kind,omitempty" enum:"photo,act_of_works,written_answer,resolution,document"`
	Ref   string `json:"ref" oa:"required"`
	Title string `json:"title,omitempty"`
}

// LinkCallRequest links a call record to a card.
type LinkCallRequest struct {
	CallID    string `json:"call_id" oa:"required"`
	Recording string `json:"recording,omitempty"`
}

// LinkCallResult says whether the link is new.
type LinkCallResult struct {
	Added bool `json:"added" oa:"required"`
}

// ReadBackRequest reads a card's number to the caller on a call.
type ReadBackRequest struct {
	AppealID string `json:"appeal_id" oa:"required"`
}

// Breach is a missed deadline.
type Breach struct {
	AppealID     string     `json:"appeal_id" oa:"required"`
	Number       string     `json:"number" oa:"required"`
	Category     string     `json:"category" oa:"required"`
	Executor     string     `json:"executor" oa:"required"`
	Priority     string     `json:"priority" oa:"required" enum:"sos,ordinary,medium,long"`
	Kind         string     `json:"kind" oa:"required" enum:"accept,resolve"`
	Deadline     time.Time  `json:"deadline" oa:"required"`
	DetectedAt   time.Time  `json:"detected_at" oa:"required"`
	ControlLevel string     `json:"control_level" oa:"required" enum:"I,II,III"`
	Status       string     `json:"status" oa:"required" enum:"registered,sent_to_executor,accepted,in_progress,resolved,returned_for_rework,closed"`
	Delivery     string     `json:"delivery" oa:"required" enum:"pending,delivered,no_webhook,weekly"`
	Attempts     int        `json:"attempts"`
	LastError    string     `json:"last_error,omitempty"`
	DeliveredAt  *time.Time `json:"delivered_at,omitempty"`
}

// OverdueReport is the weekly summary of missed deadlines.
type OverdueReport struct {
	From       time.Time      `json:"from" oa:"required"`
	To         time.Time      `json:"to" oa:"required"`
	Current    []Breach       `json:"current" oa:"required"`
	SOS        []Breach       `json:"sos" oa:"required"`
	ByExecutor map[string]int `json:"by_executor" oa:"required"`
	ByCategory map[string]int `json:"by_category" oa:"required"`
}

// Classifier lists categories and executors.
type Classifier struct {
	Categories []Category `json:"categories" oa:"required"`
	Executors  []Executor `json:"executors" oa:"required"`
}

// Category is one classifier entry; durations in seconds.
type Category struct {
	Code                 string `json:"code" oa:"required"`
	Title                string `json:"title" oa:"required"`
	Prompt               string `json:"prompt,omitempty"`
	DefaultPriority      string `json:"default_priority" oa:"required" enum:"sos,ordinary,medium,long"`
	Executor             string `json:"executor,omitempty"`
	AcceptWithinSeconds  int64  `json:"accept_within_seconds,omitempty"`
	ResolveWithinSeconds int64  `json:"resolve_within_seconds,omitempty"`
	TimeBasis            string `json:"time_basis" oa:"required" enum:"working,calendar"`
	Housing              bool   `json:"housing"`
}

// Executor is an organisation that carries appeals out.
type Executor struct {
	Code  string `json:"code" oa:"required"`
	Title string `json:"title" oa:"required"`
}

// ReadBackDone confirms a read back.
type ReadBackDone struct {
	CallID   string `json:"call_id" oa:"required"`
	AppealID string `json:"appeal_id" oa:"required"`
	Number   string `json:"number" oa:"required"`
	Digits   string `json:"digits" oa:"required"`
}

// --- conversions ------------------------------------------------------------

func (h *Handler) card(c appeals.Card) Card {
	cl := h.cfg.Service.Classifier()
	out := Card{ID: c.ID, Number: c.Number, SpokenDigits: c.SpokenDigits(), CreatedAt: h.tz(c.CreatedAt), CreatedBy: c.CreatedBy,
		UpdatedAt: h.tz(c.UpdatedAt), Channel: string(c.Channel), Anonymous: c.Anonymous, Surname: c.Surname,
		FirstName: c.FirstName, Patronymic: c.Patronymic, Address: c.Address, ContactPhone: c.ContactPhone,
		Email: c.Email, Location: c.Location, Essence: c.Essence, Category: c.Category, Priority: string(c.Priority),
		Executor: c.Executor, Status: string(c.Status), ControlLevel: c.ControlLevel.String(), AcceptBy: h.tz(c.AcceptBy),
		ResolveBy: h.tz(c.ResolveBy), InitialResolveBy: h.tz(c.InitialResolveBy), Overdue: c.Overdue(h.cfg.Service.Now()),
		SentAt: h.tzp(c.SentAt), AcceptedAt: h.tzp(c.AcceptedAt), ResolvedAt: h.tzp(c.ResolvedAt), ClosedAt: h.tzp(c.ClosedAt),
		ClosureBasis: string(c.ClosureBasis), ClosureRef: c.ClosureRef, RepeatOf: c.RepeatOf,
		RepeatReason: c.RepeatReason, Version: c.Version}
	if cat, ok := cl.Category(c.Category); ok {
		out.CategoryTitle = cat.Title
	}
	if e, ok := cl.Executor(c.Executor); ok {
		out.ExecutorTitle = e.Title
	}
	for _, l := range c.Calls {
		out.Calls = append(out.Calls, CallLink{CallID: l.CallID, Recording: l.Recording, LinkedAt: h.tz(l.LinkedAt), LinkedBy: l.LinkedBy})
	}
	for _, m := range c.Comments {
		out.Comments = append(out.Comments, h.comment(m))
	}
	for _, a := range c.Attachments {
		out.Attachments = append(out.Attachments, h.attachment(a))
	}
	for _, e := range c.Extensions {
		out.Extensions = append(out.Extensions, Extension{At: h.tz(e.At), By: e.By, Reason: e.Reason, PreviousBy: h.tz(e.PreviousBy),
			NewBy: h.tz(e.NewBy), ControlLevel: e.ControlLevel.String()})
	}
	return out
}

func (h *Handler) comment(m appeals.Comment) Comment {
	return Comment{ID: m.ID, At: h.tz(m.At), Author: m.Author, Role: string(m.Role), Text: m.Text}
}

func (h *Handler) attachment(a appeals.Attachment) Attachment {
	return Attachment{ID: a.ID, At: h.tz(a.At), Author: a.Author, Role: string(a.Role), Kind: string(a.Kind), Ref: a.Ref, Title: a.Title}
}

func (h *Handler) breach(b appeals.Breach) Breach {
	return Breach{AppealID: b.AppealID, Number: b.Number, Category: b.Category, Executor: b.Executor,
		Priority: string(b.Priority), Kind: string(b.Kind), Deadline: h.tz(b.Deadline), DetectedAt: h.tz(b.DetectedAt),
		ControlLevel: b.ControlLevel.String(), Status: string(b.Status), Delivery: string(b.Delivery),
		Attempts: b.Attempts, LastError: b.LastError, DeliveredAt: h.tzp(b.DeliveredAt)}
}

// tz shows times in the community's zone, as the people reading them live.
func (h *Handler) tz(t time.Time) time.Time { return t.In(h.cfg.Service.Location()) }

func (h *Handler) tzp(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := h.tz(*t)
	return &v
}
