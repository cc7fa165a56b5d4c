package httpapi

import (
	"net/http"

	"github.com/slobozhanske/hotline/appeals"
)

// table is every endpoint. The mux and the OpenAPI document are both built
// from it, and a test checks the two agree with what is actually served.
func (h *Handler) table() []route {
	const p = "/api/v1"
	return []route{
		{method: "GET", path: p + "/openapi.json", op: appeals.OpView, summary: "This API's OpenAPI 3 document",
			response: map[string]any{}, status: http.StatusOK, handle: h.serveOpenAPI},
		{method: "GET", path: p + "/classifier", op: appeals.OpClassifier, summary: "Categories and executors",
			response: Classifier{}, status: http.StatusOK, handle: h.classifier},
		{method: "POST", path: p + "/appeals", op: appeals.OpCreate, summary: "Register an appeal",
			request: CreateRequest{}, response: Created{}, status: http.StatusCreated, handle: h.create},
		{method: "GET", path: p + "/appeals", op: appeals.OpView, summary: "Search appeals",
			query: searchParams, response: SearchResult{}, status: http.StatusOK, handle: h.search},
		{method: "GET", path: p + "/appeals/{id}", op: appeals.OpView, summary: "Get an appeal by its id or its number",
			response: Card{}, status: http.StatusOK, handle: h.get},
		{method: "PATCH", path: p + "/appeals/{id}", op: appeals.OpEdit, summary: "Change an appeal's fields",
			request: PatchRequest{}, response: Card{}, status: http.StatusOK, handle: h.patch},
		{method: "POST", path: p + "/appeals/{id}/transitions", op: appeals.OpView, summary: "Change an appeal's status",
			request: TransitionRequest{}, response: Card{}, status: http.StatusOK, handle: h.transition},
		{method: "POST", path: p + "/appeals/{id}/executor", op: appeals.OpAssign, summary: "Choose or change the executor",
			request: AssignRequest{}, response: Card{}, status: http.StatusOK, handle: h.assign},
		{method: "POST", path: p + "/appeals/{id}/extensions", op: appeals.OpExtend, summary: "Extend the resolution deadline",
			request: ExtendRequest{}, response: Card{}, status: http.StatusOK, handle: h.extend},
		{method: "POST", path: p + "/appeals/{id}/repeat", op: appeals.OpRepeat, summary: "Open a repeat appeal",
			request: RepeatRequest{}, response: Card{}, status: http.StatusCreated, handle: h.repeat},
		{method: "POST", path: p + "/appeals/{id}/comments", op: appeals.OpComment, summary: "Add a comment",
			request: CommentRequest{}, response: Comment{}, status: http.StatusCreated, handle: h.addComment},
		{method: "POST", path: p + "/appeals/{id}/attachments", op: appeals.OpComment, summary: "Add an attachment reference",
			request: AttachmentRequest{}, response: Attachment{}, status: http.StatusCreated, handle: h.attach},
		{method: "GET", path: p + "/appeals/{id}/history", op: appeals.OpView, summary: "An appeal's history",
			response: History{}, status: http.StatusOK, handle: h.history},
		{method: "POST", path: p + "/appeals/{id}/calls", op: appeals.OpLinkCall, summary: "Link a call record",
			request: LinkCallRequest{}, response: LinkCallResult{}, status: http.StatusOK, handle: h.linkCall},
		{method: "POST", path: p + "/calls/{call_id}/read-back", op: appeals.OpReadBack, summary: "Read an appeal's number to the caller",
			request: ReadBackRequest{}, response: ReadBackDone{}, status: http.StatusOK, handle: h.readBack},
		{method: "GET", path: p + "/reports/overdue", op: appeals.OpReport, summary: "Missed deadlines of a week (or from/to)",
			query: reportParams, response: OverdueReport{}, status: http.StatusOK, handle: h.overdueReport},
	}
}

var searchParams = []queryParam{
	{"number", "string", "", "the number, or its digits"},
	{"phone", "string", "", "the contact phone's last digits, as typed"},
	{"address", "string", "", "a fragment of the address or location, any case"},
	{"status", "string", "", "statuses, comma-separated"},
	{"category", "string", "", "category code"},
	{"executor", "string", "", "executor code"},
	{"overdue", "boolean", "", "only cards past a deadline now"},
	{"from", "string", "date-time", "registered at or after (RFC 3339, or a date in the community's time zone)"},
	{"to", "string", "date-time", "registered before (RFC 3339, or a date: up to the end of that day)"},
	{"limit", "integer", "", "page size, 1–500 (default 50)"},
	{"offset", "integer", "", "cards to skip"},
}

var reportParams = []queryParam{
	{"week", "string", "", "ISO week, e.g. 2026-W47, in the community's time zone"},
	{"from", "string", "date-time", "deadline at or after (instead of week)"},
	{"to", "string", "date-time", "deadline before (instead of week)"},
}
