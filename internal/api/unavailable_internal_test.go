package api

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// An outage under load is a log line every few seconds with the count of
// requests refused, not one line per request.
func TestTheDatabaseAwayIsLoggedRateLimitedWithACount(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	saved := unavailableLog
	unavailableLog = &logLimit{every: 5 * time.Second, now: func() time.Time { return now }}
	t.Cleanup(func() { unavailableLog = saved })

	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	down := fmt.Errorf("search appeals: %w", &pgconn.ConnectError{})
	refuse := func(n int) {
		for range n {
			w := httptest.NewRecorder()
			Fail(w, log, "appeals API", down)
			if w.Code != 503 {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
		}
	}
	refuse(1000)
	now = now.Add(time.Second)
	refuse(500)
	if lines := strings.Count(buf.String(), "\n"); lines != 1 || !strings.Contains(buf.String(), "requests=1 ") {
		t.Fatalf("1500 refusals within a second logged as %d lines:\n%s", lines, buf.String())
	}
	now = now.Add(5 * time.Second)
	refuse(1)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], "requests=1500 ") || !strings.Contains(lines[1], "level=WARN") {
		t.Fatalf("the next line, 5 s on, should count the 1500 since the first:\n%s", buf.String())
	}
}
