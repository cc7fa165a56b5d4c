package aritest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// route is one ARI operation: a method and a path in the spec's notation
// ("/channels/{channelId}/play/{playbackId}", relative to /ari).
type route struct {
	method  string
	pattern string
	segs    []string
	handle  func(*request) response
	raw     func(http.ResponseWriter, *http.Request) int // WebSocket upgrade; returns the status
}

type router struct {
	s      *Server
	routes []*route
}

// response is what a handler returns; the router writes it as JSON (or raw
// bytes for rawBody), 204 when body is nil.
type response struct {
	status int
	body   any
}

type rawBody struct {
	contentType string
	data        []byte
}

type errorJSON struct {
	Message string `json:"message"`
}

func ok(body any) response      { return response{status: http.StatusOK, body: body} }
func created(body any) response { return response{status: http.StatusCreated, body: body} }
func noContent() response       { return response{status: http.StatusNoContent} }

func fail(status int, format string, args ...any) response {
	return response{status: status, body: errorJSON{Message: fmt.Sprintf(format, args...)}}
}

// request carries one call's path values and merged parameters.
type request struct {
	r      *http.Request
	path   map[string]string
	params map[string][]string        // query string, form and JSON body scalars
	body   map[string]json.RawMessage // JSON body object, for containers ("variables")
}

func (s *Server) newRouter() *router {
	rt := &router{s: s}
	s.registerRoutes(rt)
	sort.SliceStable(rt.routes, func(i, j int) bool {
		return specificity(rt.routes[i].segs) < specificity(rt.routes[j].segs)
	})
	return rt
}

// specificity orders literal segments before wildcards, segment by segment,
// so /channels/create wins over /channels/{channelId} (Asterisk's tree does
// the same).
func specificity(segs []string) string {
	var b strings.Builder
	for _, sg := range segs {
		if strings.HasPrefix(sg, "{") {
			b.WriteByte('1')
		} else {
			b.WriteByte('0')
		}
	}
	return b.String()
}

func (rt *router) add(method, pattern string, h func(*request) response) {
	rt.routes = append(rt.routes, &route{method: method, pattern: pattern, segs: splitPath(pattern), handle: h})
}

func (rt *router) addRaw(method, pattern string, h func(http.ResponseWriter, *http.Request) int) {
	rt.routes = append(rt.routes, &route{method: method, pattern: pattern, segs: splitPath(pattern), raw: h})
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	path := strings.TrimPrefix(r.URL.EscapedPath(), "/ari")
	status, channelID := rt.serve(w, r, path)
	user, _ := rt.authorized(r)
	rt.s.lock()
	rt.s.requests = append(rt.s.requests, RequestRecord{
		Time: start, Method: r.Method, Path: unescapeOrRaw(path), Query: r.URL.RawQuery, Status: status, ChannelID: channelID,
		User: user,
	})
	rt.s.unlock()
}

func unescapeOrRaw(p string) string {
	if u, err := url.PathUnescape(p); err == nil {
		return u
	}
	return p
}

// serve answers a request and names the channel it concerned, if any.
func (rt *router) serve(w http.ResponseWriter, r *http.Request, path string) (int, string) {
	if !strings.HasPrefix(r.URL.EscapedPath(), "/ari/") && r.URL.EscapedPath() != "/ari" {
		return writeResponse(w, fail(http.StatusNotFound, "Resource not found")), ""
	}
	if _, ok := rt.authorized(r); !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="Asterisk REST Interface"`)
		return writeResponse(w, fail(http.StatusUnauthorized, "Authentication required")), ""
	}
	segs := splitPath(path)
	var matched bool
	for _, rte := range rt.routes {
		v, okm := matchSegs(rte.segs, segs)
		if !okm {
			continue
		}
		if rte.method != r.Method {
			matched = true
			continue
		}
		if rte.raw != nil {
			return rte.raw(w, r), ""
		}
		rq := &request{r: r, path: v}
		channelID := rt.s.requestChannel(v) // before the handler: a stopped playback is gone after it
		if resp, bad := rq.parse(); bad {
			return writeResponse(w, resp), channelID
		}
		return writeResponse(w, rte.handle(rq)), channelID
	}
	if matched {
		return writeResponse(w, fail(http.StatusMethodNotAllowed, "Invalid method")), ""
	}
	return writeResponse(w, fail(http.StatusNotFound, "Resource not found")), ""
}

// requestChannel is the channel a request's path concerns: its channelId,
// or the channel a playbackId or live recordingName plays to or records.
func (s *Server) requestChannel(path map[string]string) string {
	if id := path["channelId"]; id != "" {
		return id
	}
	s.lock()
	defer s.unlock()
	if pb := s.playbacks[path["playbackId"]]; pb != nil && pb.ch != nil {
		return pb.ch.id
	}
	if r := s.live[path["recordingName"]]; r != nil {
		if id, ok := strings.CutPrefix(r.target, "channel:"); ok {
			return id
		}
	}
	return ""
}

func matchSegs(pattern, segs []string) (map[string]string, bool) {
	if len(pattern) != len(segs) {
		return nil, false
	}
	var vals map[string]string
	for i, p := range pattern {
		if strings.HasPrefix(p, "{") {
			v, err := url.PathUnescape(segs[i])
			if err != nil || v == "" {
				return nil, false
			}
			if vals == nil {
				vals = map[string]string{}
			}
			vals[strings.Trim(p, "{}")] = v
			continue
		}
		if p != segs[i] {
			return nil, false
		}
	}
	return vals, true
}

// authorized accepts HTTP Basic credentials or api_key=user:pass of a
// configured user, and names the user.
func (rt *router) authorized(r *http.Request) (string, bool) {
	given := r.URL.Query().Get("api_key")
	if given == "" {
		h := r.Header.Get("Authorization")
		if !strings.HasPrefix(h, "Basic ") {
			return "", false
		}
		dec, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(h, "Basic "))
		if err != nil {
			return "", false
		}
		given = string(dec)
	}
	user, pass, _ := strings.Cut(given, ":")
	if user == rt.s.opts.Username && pass == rt.s.opts.Password {
		return user, true
	}
	if want, ok := rt.s.opts.Users[user]; ok && pass == want {
		return user, true
	}
	return "", false
}

func writeResponse(w http.ResponseWriter, resp response) int {
	if resp.body == nil {
		w.WriteHeader(resp.status)
		return resp.status
	}
	if raw, isRaw := resp.body.(rawBody); isRaw {
		w.Header().Set("Content-Type", raw.contentType)
		w.Header().Set("Content-Length", strconv.Itoa(len(raw.data)))
		w.WriteHeader(resp.status)
		_, _ = w.Write(raw.data)
		return resp.status
	}
	b, err := json.Marshal(resp.body)
	if err != nil {
		b, _ = json.Marshal(errorJSON{Message: "internal error: " + err.Error()})
		resp.status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(resp.status)
	_, _ = w.Write(b)
	return resp.status
}

const maxBody = 1 << 20

// parse merges query string, form and JSON body parameters. Body values win
// over query values, as in Asterisk's generated *_parse_body functions.
func (rq *request) parse() (response, bool) {
	rq.params = map[string][]string{}
	for k, v := range rq.r.URL.Query() {
		// Asterisk's generated parsers keep only the last occurrence of a
		// repeated query parameter (media=a&media=b plays b, trace 03);
		// lists come comma-separated or as a JSON array.
		rq.params[k] = []string{v[len(v)-1]}
	}
	if rq.r.Body == nil {
		return response{}, false
	}
	data, err := io.ReadAll(io.LimitReader(rq.r.Body, maxBody+1))
	if err != nil {
		return fail(http.StatusBadRequest, "Error reading request body: %v", err), true
	}
	if len(data) > maxBody {
		return fail(http.StatusRequestEntityTooLarge, "Request body too large"), true
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return response{}, false
	}
	ct := rq.r.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		form, err := url.ParseQuery(string(data))
		if err != nil {
			return fail(http.StatusBadRequest, "Error parsing request body: %v", err), true
		}
		for k, v := range form {
			rq.params[k] = v
		}
		return response{}, false
	}
	var obj map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&obj); err != nil {
		return fail(http.StatusBadRequest, "Error parsing request body: %v", err), true
	}
	rq.body = obj
	for k, raw := range obj {
		vals, isScalar, err := jsonScalars(raw)
		if err != nil {
			return fail(http.StatusBadRequest, "Error parsing request body: parameter %s: %v", k, err), true
		}
		if isScalar {
			rq.params[k] = vals
		}
	}
	return response{}, false
}

// jsonScalars turns a JSON string, number, boolean or array of those into
// parameter values; objects and null are not parameters (false).
func jsonScalars(raw json.RawMessage) ([]string, bool, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, false, err
	}
	switch t := v.(type) {
	case nil, map[string]any:
		return nil, false, nil
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			s, okS := scalarString(e)
			if !okS {
				return nil, false, fmt.Errorf("array elements must be scalars")
			}
			out = append(out, s)
		}
		return out, true, nil
	default:
		s, _ := scalarString(t)
		return []string{s}, true, nil
	}
}

func scalarString(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case json.Number:
		return t.String(), true
	case bool:
		return strconv.FormatBool(t), true
	}
	return "", false
}

// str returns a parameter's (last) value, "" if absent.
func (rq *request) str(name string) string {
	v := rq.params[name]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// list returns an allowMultiple parameter: comma-separated or a JSON array.
func (rq *request) list(name string) []string {
	var out []string
	for _, v := range rq.params[name] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func (rq *request) integer(name string, def int) (int, error) {
	s := rq.str(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		if f, ferr := strconv.ParseFloat(s, 64); ferr == nil && f == float64(int(f)) {
			return int(f), nil
		}
		return 0, fmt.Errorf("parameter %s: %q is not an integer", name, s)
	}
	return n, nil
}

func (rq *request) boolean(name string, def bool) (bool, error) {
	s := strings.ToLower(rq.str(name))
	switch s {
	case "":
		return def, nil
	case "true", "yes", "1", "on":
		return true, nil
	case "false", "no", "0", "off":
		return false, nil
	}
	return false, fmt.Errorf("parameter %s: %q is not a boolean", name, s)
}

// variables reads the body's "variables" container: values are strings or
// {"value": "...", "report_events": bool}. The second map lists variables to
// report in channelvars.
func (rq *request) variables() (map[string]string, map[string]bool, error) {
	raw, has := rq.body["variables"]
	if !has {
		return nil, nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		if string(raw) == "null" {
			return nil, nil, nil
		}
		return nil, nil, fmt.Errorf("variables must be an object: %w", err)
	}
	vars := map[string]string{}
	report := map[string]bool{}
	for k, v := range m {
		var s string
		if err := json.Unmarshal(v, &s); err == nil {
			vars[k] = s
			continue
		}
		var obj struct {
			Value        *string `json:"value"`
			ReportEvents bool    `json:"report_events"`
		}
		if err := json.Unmarshal(v, &obj); err != nil || obj.Value == nil {
			return nil, nil, fmt.Errorf("variable %s: value must be a string or {\"value\": string}", k)
		}
		vars[k] = *obj.Value
		if obj.ReportEvents {
			report[k] = true
		}
	}
	return vars, report, nil
}

// required returns a 400 naming the first missing parameter, as Asterisk's
// generated argument checks do.
func (rq *request) required(names ...string) (response, bool) {
	for _, n := range names {
		if len(rq.list(n)) == 0 {
			return fail(http.StatusBadRequest, "Missing required parameter %s", n), true
		}
	}
	return response{}, false
}
