package httpapi

import (
	"net/http"

	"github.com/slobozhanske/hotline/internal/api"
)

// Routes is every endpoint, for internal/api, which builds both the mux and
// the OpenAPI document from it.
func (h *Handler) Routes() []api.Route {
	const p = "/api/v1/queue"
	const sse = "text/event-stream"
	return []api.Route{
		{Method: "GET", Path: p + "/snapshot", Roles: supervisors, Summary: "Queues, callers waiting, operators by state, stats",
			Response: SnapshotJSON{}, Status: http.StatusOK, Handle: h.snapshot},
		{Method: "GET", Path: p + "/queues/{name}", Roles: supervisors, Summary: "One queue",
			Response: QueueJSON{}, Status: http.StatusOK, Handle: h.queueSnapshot},
		{Method: "GET", Path: p + "/operators", Roles: supervisors, Summary: "Every operator with their state",
			Response: []OperatorJSON{}, Status: http.StatusOK, Handle: h.listOperators},
		{Method: "POST", Path: p + "/operators", Roles: supervisors, Summary: "Add an operator",
			Request: OperatorInput{}, Response: OperatorJSON{}, Status: http.StatusCreated,
			Errors: map[int]string{http.StatusConflict: "The id or the phone is taken"}, Handle: h.createOperator},
		{Method: "GET", Path: p + "/operators/{id}", Roles: operatorsToo, Summary: "One operator with their state (an operator: themselves)",
			Response: OperatorJSON{}, Status: http.StatusOK, Handle: h.getOperator},
		{Method: "PUT", Path: p + "/operators/{id}", Roles: supervisors, Summary: "Add (201) or change an operator",
			Request: OperatorInput{}, Response: OperatorJSON{}, Status: http.StatusOK,
			Errors: map[int]string{http.StatusConflict: "The phone is taken"}, Handle: h.putOperator},
		{Method: "DELETE", Path: p + "/operators/{id}", Roles: supervisors, Summary: "Remove an operator (not while ringing or on a call)",
			Status: http.StatusNoContent, Errors: map[int]string{http.StatusConflict: "The operator is ringing or on a call"}, Handle: h.deleteOperator},
		{Method: "POST", Path: p + "/operators/{id}/login", Roles: operatorsToo, Summary: "Log an operator in (an operator: themselves)",
			Response: OperatorJSON{}, Status: http.StatusOK, Handle: h.login},
		{Method: "POST", Path: p + "/operators/{id}/logout", Roles: operatorsToo, Summary: "Log an operator out",
			Response: OperatorJSON{}, Status: http.StatusOK, Handle: h.logout},
		{Method: "POST", Path: p + "/operators/{id}/pause", Roles: operatorsToo, Summary: "Pause an operator (the body is optional: a break)",
			Request: PauseInput{}, Response: OperatorJSON{}, Status: http.StatusOK,
			Errors: map[int]string{http.StatusConflict: "The operator is logged out"}, Handle: h.pause},
		{Method: "POST", Path: p + "/operators/{id}/unpause", Roles: operatorsToo, Summary: "End an operator's pause",
			Response: OperatorJSON{}, Status: http.StatusOK, Handle: h.unpause},
		{Method: "GET", Path: p + "/operators/{id}/call", Roles: operatorsToo, Summary: "The call ringing or talked to, its menu path, the caller's earlier calls",
			Response: OperatorCallJSON{}, Status: http.StatusOK, Handle: h.operatorCall},
		{Method: "GET", Path: p + "/operators/{id}/events", Roles: operatorsToo, Summary: "Server-Sent Events of an operator: snapshot, state, offer, offer_ended, connected, released, missed",
			ContentType: sse, Status: http.StatusOK, Handle: h.operatorEvents},
		{Method: "GET", Path: p + "/events", Roles: supervisors, Summary: "Server-Sent Events of every operator",
			ContentType: sse, Status: http.StatusOK, Handle: h.allEvents},
		{Method: "POST", Path: p + "/calls/{call_id}/transfer", Roles: operatorsToo, Summary: "Transfer a call to the menu or to another queue (an operator: their own call)",
			Request: TransferInput{}, Response: TransferJSON{}, Status: http.StatusAccepted, Handle: h.transfer},
		{Method: "GET", Path: p + "/reports/time-in-state", Roles: supervisors, Summary: "Operators' time per state and occupancy",
			Query: []api.Param{
				{Name: "from", Type: "string", Format: "date-time", Doc: "RFC 3339 (default 24 hours ago)"},
				{Name: "to", Type: "string", Format: "date-time", Doc: "RFC 3339 (default now)"},
			}, Response: TimeInStateReportJSON{}, Status: http.StatusOK, Handle: h.timeInState},
	}
}
