package httpapi

import (
	"net/http"

	"github.com/slobozhanske/hotline/internal/api"
)

// Routes is every endpoint, for internal/api, which builds both the mux and
// the OpenAPI document from it.
func (h *Handler) Routes() []api.Route {
	const p = "/api/v1/schedule"
	notLoaded := map[int]string{http.StatusServiceUnavailable: "The exceptions and override are not loaded from the database yet (Retry-After)"}
	return []api.Route{
		{Method: "GET", Path: p + "/exceptions", Roles: readers, Summary: "The exceptions in force and where they come from",
			Response: []ExceptionJSON{}, Status: http.StatusOK, Handle: h.listExceptions},
		{Method: "GET", Path: p + "/exceptions/{date}", Roles: readers, Summary: "One date's exception",
			Response: ExceptionJSON{}, Status: http.StatusOK, Handle: h.getException},
		{Method: "PUT", Path: p + "/exceptions/{date}", Roles: editors, Summary: "Set a date's exception",
			Request: ExceptionInput{}, Response: ExceptionJSON{}, Status: http.StatusOK, Errors: notLoaded, Handle: h.putException},
		{Method: "DELETE", Path: p + "/exceptions/{date}", Roles: editors, Summary: "Remove a date's exception (the configuration's too)",
			Status: http.StatusNoContent, Errors: notLoaded, Handle: h.deleteException},
		{Method: "GET", Path: p + "/override", Roles: readers, Summary: "The day/night switch in force, or null",
			Response: OverrideBody{}, Status: http.StatusOK, Handle: h.getOverride},
		{Method: "PUT", Path: p + "/override", Roles: editors, Summary: "Flip the day/night switch until an instant",
			Request: OverrideInput{}, Response: OverrideBody{}, Status: http.StatusOK, Errors: notLoaded, Handle: h.putOverride},
		{Method: "DELETE", Path: p + "/override", Roles: editors, Summary: "Back to the rules",
			Status: http.StatusNoContent, Errors: notLoaded, Handle: h.deleteOverride},
		{Method: "GET", Path: p + "/override/history", Roles: readers, Summary: "The latest settings of the switch",
			Response: []OverrideJSON{}, Status: http.StatusOK, Handle: h.overrideHistory},
		{Method: "GET", Path: p + "/state", Roles: readers, Summary: "State, deciding rule, next change and next opening at an instant",
			Query:    []api.Param{{Name: "at", Type: "string", Format: "date-time", Doc: "RFC 3339 (default now)"}},
			Response: StateJSON{}, Status: http.StatusOK, Handle: h.scheduleState},
	}
}
