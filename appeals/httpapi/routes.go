package httpapi

import (
	"net/http"

	"github.com/slobozhanske/hotline/appeals"
	"github.com/slobozhanske/hotline/internal/api"
)

// route is one endpoint of the table: the roles come from
// appeals.Permissions[op].
type route struct {
	method, path string
	op           appeals.Operation
	summary      string
	query        []api.Param
	request      any // a zero value of the body type, or nil
	response     any // a zero value of the success body type
	status       int // success status
	handle       cardHandler
}

// Routes is every endpoint, for internal/api, which builds both the mux
// and the OpenAPI document from it.
func (h *Handler) Routes() []api.Route {
	table := h.table()
	out := make([]api.Route, 0, len(table))
	for _, rt := range table {
		errs := map[int]string{http.StatusNotFound: "No such appeal (or not the executor's)"}
		if rt.request != nil {
			errs[http.StatusConflict] = "Stale version, or not possible in the appeal's status"
		}
		switch rt.path {
		case "/api/v1/calls/{call_id}/read-back":
			errs[http.StatusConflict] = "The call is not linked to the appeal (call_not_linked) or not with an operator now (call_not_connected)"
			errs[http.StatusBadGateway] = "Telephony could not read the number"
			errs[http.StatusServiceUnavailable] = "No telephony connected"
		case "/api/v1/appeals", "/api/v1/appeals/{id}/calls":
			if rt.method == "POST" {
				errs[http.StatusUnprocessableEntity] = "No call record has the call_id (unknown_call)"
			}
		}
		out = append(out, api.Route{Method: rt.method, Path: rt.path, Roles: rolesFor(rt.op), Summary: rt.summary,
			Query: rt.query, Request: rt.request, Response: rt.response, Status: rt.status, Errors: errs, Handle: as(rt.handle)})
	}
	return out
}

func (h *Handler) table() []route {
	const p = "/api/v1"
	return []route{
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

var searchParams = []api.Param{
	{Name: "number", Type: "string", Doc: "the number, or its digits"},
	{Name: "phone", Type: "string", Doc: "the contact phone's last digits, as typed"},
	{Name: "address", Type: "string", Doc: "a fragment of the address or location, any case"},
	{Name: "status", Type: "string", Doc: "statuses, comma-separated"},
	{Name: "category", Type: "string", Doc: "category code"},
	{Name: "executor", Type: "string", Doc: "executor code"},
	{Name: "overdue", Type: "boolean", Doc: "only cards past a deadline now"},
	{Name: "from", Type: "string", Format: "date-time", Doc: "registered at or after (RFC 3339, or a date in the community's time zone)"},
	{Name: "to", Type: "string", Format: "date-time", Doc: "registered before (RFC 3339, or a date: up to the end of that day)"},
	{Name: "limit", Type: "integer", Doc: "page size, 1–500 (default 50)"},
	{Name: "offset", Type: "integer", Doc: "cards to skip"},
}

var reportParams = []api.Param{
	{Name: "week", Type: "string", Doc: "ISO week, e.g. 2026-W47, in the community's time zone"},
	{Name: "from", Type: "string", Format: "date-time", Doc: "deadline at or after (instead of week)"},
	{Name: "to", Type: "string", Format: "date-time", Doc: "deadline before (instead of week)"},
}
