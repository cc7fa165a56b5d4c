package httpserver_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/internal/api"
	"github.com/slobozhanske/hotline/internal/apiauth"
	"github.com/slobozhanske/hotline/internal/httpserver"
)

// byName authenticates "Bearer <role>" as a user of that role.
type byName struct{}

func (byName) Authenticate(r *http.Request) (apiauth.Actor, bool) {
	role := apiauth.Role(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	return apiauth.Actor{User: "u-" + string(role), Role: role}, role.Valid()
}

// serve runs s on a loopback port until the test ends.
func serve(t *testing.T, s *httpserver.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln, time.Second) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// A client that sends its headers and then trickles its body (or stops)
// is cut off by the read timeout, token or not; headers over the limit
// are refused.
func TestAStalledBodyIsCutOffAndHugeHeadersRefused(t *testing.T) {
	s := httpserver.New(slog.New(slog.DiscardHandler))
	s.SetTimeouts(httpserver.Timeouts{ReadHeader: time.Second, Read: 300 * time.Millisecond, Write: time.Second, Idle: time.Second, MaxHeaderBytes: 4 << 10})
	read := make(chan error, 1)
	s.Handle("/upload", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		read <- err
	}))
	addr := serve(t, s)

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"essence\": \"")
	// The client never sends the rest. Without a read timeout the server
	// would wait for it as long as the client keeps the connection.
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, rerr := io.ReadAll(conn)
	var ne net.Error
	if errors.As(rerr, &ne) && ne.Timeout() {
		t.Fatal("the server still held the stalled connection after 20 s")
	}
	select {
	case err := <-read:
		if err == nil {
			t.Error("the handler read a whole body the client never sent")
		}
	default:
		t.Error("the handler is still reading the stalled body")
	}

	big := strings.Repeat("a", 8<<10)
	req, _ := http.NewRequest("GET", "http://"+addr+"/healthz", nil)
	req.Header.Set("X-Padding", big)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("8 KiB of headers over a 4 KiB limit: %d", resp.StatusCode)
	}
}

// An event stream outlives the server's read and write timeouts: each of
// its writes has a deadline of its own (internal/api).
func TestAnEventStreamOutlivesTheServersTimeouts(t *testing.T) {
	s := httpserver.New(slog.New(slog.DiscardHandler))
	const timeout = 150 * time.Millisecond
	s.SetTimeouts(httpserver.Timeouts{ReadHeader: time.Second, Read: timeout, Write: timeout, Idle: time.Second, MaxHeaderBytes: 4 << 10})
	const events = 12 // 12 × 50 ms: four times either timeout
	routes := []api.Route{{Method: "GET", Path: "/api/v1/events", Roles: api.Everyone, Summary: "events", ContentType: "text/event-stream", Status: 200,
		Handle: func(w http.ResponseWriter, r *http.Request, _ apiauth.Actor) {
			rc := http.NewResponseController(w)
			w.Header().Set("Content-Type", "text/event-stream")
			tick := time.NewTicker(50 * time.Millisecond)
			defer tick.Stop()
			for i := range events {
				if _, err := fmt.Fprintf(w, "data: %d\n\n", i); err != nil || rc.Flush() != nil {
					return
				}
				select {
				case <-r.Context().Done():
					return
				case <-tick.C:
				}
			}
		}}}
	a, err := api.New(api.Config{Auth: byName{}, StreamWriteTimeout: time.Second}, routes)
	if err != nil {
		t.Fatal(err)
	}
	s.Handle("/api/v1/", a)
	addr := serve(t, s)
	req, _ := http.NewRequest("GET", "http://"+addr+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer operator")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got := 0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "data: ") {
			got++
		}
	}
	if got != events {
		t.Errorf("the stream carried %d events of %d before it was cut off (%v)", got, events, sc.Err())
	}
}

// /readyz tells everyone whether each check is ok and only an admin why
// one is not (the error may name hosts, URLs and the database's user); the
// failure is logged once, not at every probe.
func TestReadinessTellsOnlyAnAdminWhyACheckFails(t *testing.T) {
	var logs syncBuffer
	s := httpserver.New(slog.New(slog.NewTextHandler(&logs, nil)))
	const secret = "dial tcp db.internal:5432: user=hotline_prod password authentication failed"
	s.AddCheck("database", func(context.Context) error { return errors.New(secret) })
	s.AddCheck("ari", func(context.Context) error { return nil })
	s.ShowReadinessDetailTo(byName{})
	addr := serve(t, s)
	for _, tc := range []struct {
		token  string
		detail bool
	}{{"", false}, {"operator", false}, {"supervisor", false}, {"nonsense", false}, {"admin", true}} {
		req, _ := http.NewRequest("GET", "http://"+addr+"/readyz", nil)
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var rd httpserver.Readiness
		if err := json.Unmarshal(raw, &rd); err != nil || resp.StatusCode != 503 || rd.Checks["database"].OK || !rd.Checks["ari"].OK {
			t.Fatalf("as %q: %d %s %v", tc.token, resp.StatusCode, raw, err)
		}
		if leaked := bytes.Contains(raw, []byte("db.internal")); leaked != tc.detail {
			t.Errorf("as %q: detail shown %v, want %v: %s", tc.token, leaked, tc.detail, raw)
		}
	}
	if n := strings.Count(logs.String(), "readiness check failing"); n != 1 || !strings.Contains(logs.String(), "db.internal") {
		t.Errorf("five probes of a failing check logged %d times:\n%s", n, logs.String())
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
