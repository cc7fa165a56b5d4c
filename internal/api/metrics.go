package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics count every request of every API by its route's pattern, never
// the raw path: a path holds ids and numbers, and a client could make a
// series per request.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// routeUnmatched labels requests no route matched (404, 405).
const routeUnmatched = "unmatched"

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hotline_http_requests_total",
			Help: "API requests answered, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hotline_http_request_duration_seconds",
			Help:    "Time to answer an API request, by route pattern (event streams: how long they lasted).",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// methodLabel keeps the label's values few: a client may send any method.
func methodLabel(m string) string {
	switch m {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS":
		return m
	}
	return "other"
}

// routeLabel is the pattern the mux matched ("GET /api/v1/appeals/{id}"),
// without its method.
func routeLabel(pattern string) string {
	_, path, found := strings.Cut(pattern, " ")
	if !found {
		path = pattern
	}
	if path == "" || path == "/" {
		return routeUnmatched
	}
	return path
}

func (m *metrics) observe(r *http.Request, code int, took time.Duration) {
	route := routeLabel(r.Pattern)
	m.requests.WithLabelValues(route, methodLabel(r.Method), strconv.Itoa(code)).Inc()
	m.duration.WithLabelValues(route).Observe(took.Seconds())
}

// recorder remembers the status a handler answered with. It unwraps for
// http.ResponseController (flushes, deadlines).
type recorder struct {
	http.ResponseWriter
	code int
}

func (rw *recorder) WriteHeader(code int) {
	if rw.code == 0 {
		rw.code = code
	}
	rw.ResponseWriter.WriteHeader(code)
}

func (rw *recorder) Write(b []byte) (int, error) {
	if rw.code == 0 {
		rw.code = http.StatusOK
	}
	return rw.ResponseWriter.Write(b)
}

func (rw *recorder) FlushError() error {
	if rw.code == 0 {
		rw.code = http.StatusOK
	}
	return http.NewResponseController(rw.ResponseWriter).Flush()
}

func (rw *recorder) Unwrap() http.ResponseWriter { return rw.ResponseWriter }

func (rw *recorder) status() int {
	if rw.code == 0 {
		return http.StatusOK
	}
	return rw.code
}

// stream is the writer of a Server-Sent Events route. The server's write
// timeout would cut a stream off after a minute, so each write gets a
// deadline of its own instead: a stream lasts as long as the client reads
// it, and one that stops reading is cut off within writeTimeout.
type stream struct {
	http.ResponseWriter
	rc           *http.ResponseController
	writeTimeout time.Duration
}

func (s *stream) extend() {
	// Not every writer has a connection (httptest.ResponseRecorder).
	_ = s.rc.SetWriteDeadline(time.Now().Add(s.writeTimeout))
}

func (s *stream) Write(b []byte) (int, error) {
	s.extend()
	return s.ResponseWriter.Write(b)
}

func (s *stream) FlushError() error {
	s.extend()
	return s.rc.Flush()
}

func (s *stream) Unwrap() http.ResponseWriter { return s.ResponseWriter }
