package api

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// RetryAfter is what a 503 tells a client to wait before trying again:
// the pool reconnects by itself, usually well within it.
const RetryAfter = 5 * time.Second

// Unavailable reports whether err says the database could not be reached
// (refused or dropped connections, a server shutting down or starting, a
// query that ran out of time) or has no schema for it yet (the server
// answers while its migrations still run in the background), as opposed to
// one that refused the request. The request may succeed later unchanged,
// so the answer is a 503; the log line names the error either way.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		if pgErr.Code == "42P01" || pgErr.Code == "3F000" { // undefined table, invalid schema: not migrated yet
			return true
		}
		switch pgErr.Code[:min(2, len(pgErr.Code))] {
		case "08", // connection exception
			"53", // insufficient resources (too many connections, out of memory or disk)
			"57": // operator intervention (admin shutdown, crash shutdown, cannot connect now)
			return true
		}
		return false
	}
	var netErr net.Error
	return errors.As(err, &netErr) ||
		pgconn.Timeout(err) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.ErrUnexpectedEOF) ||
		// pgconn's error for a connection the server closed under it.
		pgconn.SafeToRetry(err) && !errors.Is(err, context.Canceled)
}

// refusedValue reports whether the database refused a value as data
// (SQLSTATE class 22: text not in the encoding, a number out of range, a
// string too long): the client's input, not the server, is at fault.
// The guard and Decode refuse bad text before it gets there; this keeps a
// value they let through from becoming a 500.
func refusedValue(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && len(pgErr.Code) == 5 && pgErr.Code[:2] == "22"
}

// Unavailable answers 503 with Retry-After, and logs that the database is
// away at most once every few seconds (with how many requests were refused
// meanwhile), so an outage under load is a line every few seconds rather
// than one per request.
func answerUnavailable(w http.ResponseWriter, log *slog.Logger, what string, err error) {
	w.Header().Set("Retry-After", strconv.Itoa(int(RetryAfter/time.Second)))
	Error(w, http.StatusServiceUnavailable, "", "the database is unavailable; try again shortly")
	if n, ok := unavailableLog.note(); ok {
		log.Warn("database unavailable: answering 503", "api", what, "requests", n, "err", err)
	}
}

// unavailableLog limits the 503s' log lines, for every API at once: an
// outage is the database's, not one API's.
var unavailableLog = &logLimit{every: 5 * time.Second, now: time.Now}

// logLimit lets one line through every `every`, counting the events in
// between.
type logLimit struct {
	every time.Duration
	now   func() time.Time

	mu      sync.Mutex
	last    time.Time
	pending int // events since the last line, this one included
}

// note counts an event; ok when a line is due, n the events it stands for.
func (l *logLimit) note() (n int, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending++
	now := l.now()
	if !l.last.IsZero() && now.Sub(l.last) < l.every {
		return 0, false
	}
	n, l.pending, l.last = l.pending, 0, now
	return n, true
}
