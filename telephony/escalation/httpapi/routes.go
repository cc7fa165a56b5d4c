package httpapi

import (
	"net/http"

	"github.com/slobozhanske/hotline/internal/api"
)

// Routes is every endpoint, for internal/api, which builds both the mux and
// the OpenAPI document from it.
func (h *Handler) Routes() []api.Route {
	const roster, esc = "/api/v1/duty-roster", "/api/v1/escalations"
	notLoaded := map[int]string{http.StatusServiceUnavailable: "The roster is not loaded from the database yet (Retry-After)"}
	return []api.Route{
		{Method: "GET", Path: roster, Roles: readers, Summary: "Every shift, and the one on duty now",
			Response: RosterJSON{}, Status: http.StatusOK, Handle: h.getRoster},
		{Method: "PUT", Path: roster, Roles: editors, Summary: "Replace the roster",
			Request: RosterInput{}, Response: RosterJSON{}, Status: http.StatusOK, Errors: notLoaded, Handle: h.putRoster},
		{Method: "GET", Path: roster + "/on-duty", Roles: readers, Summary: "The chain on duty at an instant",
			Query:    []api.Param{{Name: "at", Type: "string", Format: "date-time", Doc: "RFC 3339 (default now)"}},
			Response: OnDutyJSON{}, Status: http.StatusOK, Handle: h.onDuty},
		{Method: "POST", Path: roster + "/shifts", Roles: editors, Summary: "Add a shift",
			Request: ShiftInput{}, Response: ShiftJSON{}, Status: http.StatusCreated, Errors: notLoaded, Handle: h.createShift},
		{Method: "GET", Path: roster + "/shifts/{id}", Roles: readers, Summary: "One shift",
			Response: ShiftJSON{}, Status: http.StatusOK, Handle: h.getShift},
		{Method: "PUT", Path: roster + "/shifts/{id}", Roles: editors, Summary: "Change a shift",
			Request: ShiftInput{}, Response: ShiftJSON{}, Status: http.StatusOK, Errors: notLoaded, Handle: h.putShift},
		{Method: "DELETE", Path: roster + "/shifts/{id}", Roles: editors, Summary: "Remove a shift",
			Status: http.StatusNoContent, Errors: notLoaded, Handle: h.deleteShift},
		{Method: "GET", Path: esc, Roles: readers, Summary: "Escalations, newest first, with their attempts",
			Query: []api.Param{
				{Name: "state", Type: "string", Doc: "active, acknowledged, exhausted or cancelled"},
				{Name: "limit", Type: "integer", Doc: "1–500"},
			}, Response: []EscalationJSON{}, Status: http.StatusOK, Handle: h.listEscalations},
		{Method: "GET", Path: esc + "/{id}", Roles: readers, Summary: "One escalation with its attempts",
			Response: EscalationJSON{}, Status: http.StatusOK, Handle: h.getEscalation},
		{Method: "POST", Path: esc + "/{id}/cancel", Roles: editors, Summary: "Stop an active escalation (the body is optional)",
			Request: CancelInput{}, Response: EscalationJSON{}, Status: http.StatusOK,
			Errors: map[int]string{http.StatusConflict: "The escalation is not active"}, Handle: h.cancelEscalation},
	}
}
