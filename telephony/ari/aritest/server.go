package aritest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"
)

// Options configure a Server. The zero value is usable: credentials
// asterisk/asterisk, real time, every media plays for 500 ms.
type Options struct {
	// Username and Password are the ARI credentials (ari.conf); requests
	// without them get 401. Defaults: "asterisk" / "asterisk".
	Username, Password string
	// Users are more ARI users (user → password), as ari.conf may define:
	// two controllers with users of their own tell their requests apart
	// (RequestRecord.User).
	Users map[string]string
	// Addr is the listen address; default "127.0.0.1:0" (a free loopback port).
	Addr string
	// TimeScale multiplies every simulated duration (media, ringing, originate
	// timeouts, recording limits, scripted delays): 0.01 runs 100x faster.
	// Durations reported to the application (recording durations) stay in
	// simulated time. Default 1.
	TimeScale float64
	// DefaultMediaDuration is how long a media URI without a configured
	// duration plays; default 500 ms. tone: URIs play until stopped.
	DefaultMediaDuration time.Duration
	// MediaDurations gives durations by full media URI ("sound:greeting",
	// "digits:5"). MediaDuration, when set, is asked first; returning false
	// falls back to the map and the defaults. It is called with the
	// server's lock held and must not call the Server.
	MediaDurations map[string]time.Duration
	MediaDuration  func(uri string) (time.Duration, bool)
	// Sounds registers sound files (id without "sound:", e.g. "hotline/greeting")
	// with their durations; they are listed by GET /sounds. When non-empty,
	// playing a sound: that is not registered fails the way Asterisk fails a
	// missing file: PlaybackStarted, then PlaybackFinished with state "failed".
	Sounds map[string]time.Duration
	// EntityID is Asterisk's entity id (asterisk_id in events, system.entity_id
	// in /asterisk/info). Default "02:42:ac:11:00:02".
	EntityID string
	// SystemName is config.name in /asterisk/info; default "aritest".
	SystemName string
	// Language is the channels' default language; default "en".
	Language string
	// ChannelVars lists variables to include in every channel model's
	// channelvars (ari.conf channelvars); unset ones are reported as "".
	ChannelVars []string
	// EventBuffer is each WebSocket's outgoing queue length. An application
	// that does not read fast enough to keep it from filling up is
	// disconnected, as Asterisk closes a WebSocket whose writes time out.
	// Default 4096.
	EventBuffer int
	// BridgeReAddLikeAsterisk makes addChannel of a channel already in that
	// bridge behave as Asterisk 22 does (control_swap_channel_in_bridge: 204,
	// the channel departs and re-enters: ChannelLeftBridge then
	// ChannelEnteredBridge). By default it is refused with 409, which
	// surfaces a controller's double add in tests.
	BridgeReAddLikeAsterisk bool
	// Dialplan gives extensions by "context,exten": the applications at
	// priorities 1, 2, ... Server.Dial runs the ones before Stasis (each a
	// ChannelDialplan event), so StasisStart shows Stasis' priority;
	// continue runs the extension it goes to: Answer, NoOp, Set and
	// Verbose go on, Stasis enters the application again, others (Echo...)
	// keep the channel there. Without an entry Stasis runs at priority 1
	// and continue just moves the channel.
	Dialplan map[string][]DialplanApp
	// EndpointContexts gives the dialplan context of endpoints
	// ("PJSIP/op101": "operators"), shown by channels originated to them;
	// default "default".
	EndpointContexts map[string]string
	// DefaultPhone is how an originated endpoint without SetPhone behaves;
	// the zero value answers at once and stays up until hung up.
	DefaultPhone PhoneBehavior
	// Logger receives debug logs; default discards them.
	Logger *slog.Logger
}

// DialplanApp is one priority of a dialplan extension, e.g. {"Stasis", "hotline"}.
type DialplanApp struct {
	App, Data string
}

// Server is an in-process ARI server (REST on /ari, events WebSocket on
// /ari/events) that simulates Asterisk 22's Stasis behaviour. All methods
// are safe for concurrent use.
type Server struct {
	opts    Options
	log     *slog.Logger
	ln      net.Listener
	hs      *http.Server
	started time.Time
	router  *router
	wg      sync.WaitGroup

	mu          sync.Mutex
	closed      bool
	notify      chan struct{}
	dirty       map[*channel]struct{}
	dirtyServer bool

	idEpoch   int64
	idSeq     int64
	nameSeq   int64
	channels  map[string]*channel
	bridges   map[string]*bridge
	playbacks map[string]*playback
	live      map[string]*liveRecording
	stored    map[string]*storedRecording
	endpoints map[string]*endpoint
	apps      map[string]*app
	conns     map[*wsConn]struct{}
	phones    map[string]PhoneBehavior
	outbound  []*channel
	globals   map[string]string
	refuseWS  time.Time
	requests  []RequestRecord
	events    []EventRecord
}

// RequestRecord is one REST or WebSocket request the server answered. A
// WebSocket upgrade (status 101) is logged when the socket closes.
type RequestRecord struct {
	Time   time.Time
	Method string
	Path   string // without the /ari prefix, e.g. "/channels/1700000000.1/answer"
	Query  string
	Status int
	// ChannelID is the channel the request concerned: the path's channelId,
	// or the channel of the playback or live recording it named ("" for
	// others, e.g. originate or bridge requests).
	ChannelID string
	// User is the ARI user the request authenticated as ("" when it did not).
	User string
}

// EventRecord is one event written to an application's WebSocket queue.
type EventRecord struct {
	Time        time.Time
	Application string
	Type        string
	ChannelID   string // the event's channel.id or peer.id, if any
	JSON        []byte
}

// ErrClosed is returned by scripting calls after Close.
var ErrClosed = errors.New("aritest: server closed")

// New starts a server listening on loopback.
func New(opts Options) (*Server, error) {
	if opts.Username == "" && opts.Password == "" {
		opts.Username, opts.Password = "asterisk", "asterisk"
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.TimeScale <= 0 {
		opts.TimeScale = 1
	}
	if opts.DefaultMediaDuration <= 0 {
		opts.DefaultMediaDuration = 500 * time.Millisecond
	}
	if opts.EntityID == "" {
		opts.EntityID = "02:42:ac:11:00:02"
	}
	if opts.SystemName == "" {
		opts.SystemName = "aritest"
	}
	if opts.Language == "" {
		opts.Language = "en"
	}
	if opts.EventBuffer <= 0 {
		opts.EventBuffer = 4096
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("aritest: listen on %s: %w", opts.Addr, err)
	}
	now := time.Now()
	s := &Server{
		opts:      opts,
		log:       log,
		ln:        ln,
		started:   now,
		notify:    make(chan struct{}),
		dirty:     map[*channel]struct{}{},
		idEpoch:   now.Unix(),
		channels:  map[string]*channel{},
		bridges:   map[string]*bridge{},
		playbacks: map[string]*playback{},
		live:      map[string]*liveRecording{},
		stored:    map[string]*storedRecording{},
		endpoints: map[string]*endpoint{},
		apps:      map[string]*app{},
		conns:     map[*wsConn]struct{}{},
		phones:    map[string]PhoneBehavior{},
		globals:   map[string]string{},
	}
	s.router = s.newRouter()
	s.hs = &http.Server{Handler: s.router, ReadHeaderTimeout: 10 * time.Second}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("aritest: serve", "err", err)
		}
	}()
	return s, nil
}

// Start is New for tests: it fails tb on error and closes the server in
// tb.Cleanup.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s, err := New(opts)
	if err != nil {
		tb.Fatalf("aritest.Start: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// URL is the ARI base URL, e.g. "http://127.0.0.1:41234/ari".
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() + "/ari" }

// WebsocketURL is the events URL without query, e.g. "ws://127.0.0.1:41234/ari/events".
func (s *Server) WebsocketURL() string { return "ws://" + s.ln.Addr().String() + "/ari/events" }

// Addr is the listening host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Username and Password return the configured ARI credentials.
func (s *Server) Username() string { return s.opts.Username }

// Password returns the configured ARI password.
func (s *Server) Password() string { return s.opts.Password }

// Close stops the HTTP server, cuts every WebSocket and stops all timers.
// Channels are not hung up (no events are sent). Close is idempotent.
func (s *Server) Close() {
	s.lock()
	if s.closed {
		s.unlock()
		return
	}
	s.closed = true
	conns := make([]*wsConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	for _, ch := range s.channels {
		ch.stopTimers()
	}
	s.dirtyServer = true
	for _, ch := range s.channels {
		s.dirty[ch] = struct{}{}
	}
	s.unlock()
	for _, c := range conns {
		c.close()
	}
	// Abrupt, like Asterisk going away: Shutdown would wait for client
	// connections that were dialled but never used.
	_ = s.hs.Close()
	s.wg.Wait()
}

// lock/unlock guard all simulated state. unlock wakes waiters on whatever
// changed while the lock was held.
func (s *Server) lock() { s.mu.Lock() }

func (s *Server) unlock() {
	for ch := range s.dirty {
		close(ch.notify)
		ch.notify = make(chan struct{})
		delete(s.dirty, ch)
		s.dirtyServer = true
	}
	if s.dirtyServer {
		close(s.notify)
		s.notify = make(chan struct{})
		s.dirtyServer = false
	}
	s.mu.Unlock()
}

// touch marks channels as changed (their waiters re-check on unlock).
func (s *Server) touch(chs ...*channel) {
	for _, ch := range chs {
		if ch != nil {
			s.dirty[ch] = struct{}{}
		}
	}
	s.dirtyServer = true
}

// waitServer blocks until cond (called with the lock held) is true.
func (s *Server) waitServer(ctx context.Context, cond func() bool) error {
	for {
		s.lock()
		if cond() {
			s.unlock()
			return nil
		}
		closed := s.closed
		n := s.notify
		s.unlock()
		if closed {
			return ErrClosed
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-n:
		}
	}
}

// scale converts a simulated duration to real time.
func (s *Server) scale(d time.Duration) time.Duration {
	return time.Duration(float64(d) * s.opts.TimeScale)
}

// unscale converts a real duration to simulated time.
func (s *Server) unscale(d time.Duration) time.Duration {
	return time.Duration(float64(d) / s.opts.TimeScale)
}

// timer is a cancellable callback that runs with the server lock held.
type timer struct {
	t       *time.Timer
	stopped bool
}

// afterReal runs fn under the lock after real duration d unless stopped
// (stop must be called with the lock held).
func (s *Server) afterReal(d time.Duration, fn func()) *timer {
	tm := &timer{}
	tm.t = time.AfterFunc(d, func() {
		s.lock()
		defer s.unlock()
		if s.closed || tm.stopped {
			return
		}
		tm.stopped = true
		fn()
	})
	return tm
}

// after is afterReal for a simulated duration.
func (s *Server) after(d time.Duration, fn func()) *timer { return s.afterReal(s.scale(d), fn) }

func (t *timer) stop() {
	if t != nil && !t.stopped {
		t.stopped = true
		t.t.Stop()
	}
}

// newUniqueID returns an Asterisk-style unique id "1700000000.42".
func (s *Server) newUniqueID() string {
	s.idSeq++
	return fmt.Sprintf("%d.%d", s.idEpoch, s.idSeq)
}

// Requests returns every request answered so far, in order.
func (s *Server) Requests() []RequestRecord {
	s.lock()
	defer s.unlock()
	return append([]RequestRecord(nil), s.requests...)
}

// Events returns every event queued to an application's WebSocket, in order.
func (s *Server) Events() []EventRecord {
	s.lock()
	defer s.unlock()
	return append([]EventRecord(nil), s.events...)
}

// ClearLogs forgets the request and event logs (long benchmarks).
func (s *Server) ClearLogs() {
	s.lock()
	defer s.unlock()
	s.requests, s.events = nil, nil
}

// Channels returns the ids of all live channels (in Stasis or not), oldest first.
func (s *Server) Channels() []string {
	s.lock()
	defer s.unlock()
	return s.channelIDs(func(*channel) bool { return true })
}

// ChannelsInApp returns the ids of the channels in the Stasis application
// app (whether or not its WebSocket is connected), oldest first.
func (s *Server) ChannelsInApp(app string) []string {
	s.lock()
	defer s.unlock()
	return s.channelIDs(func(ch *channel) bool { return ch.app == app })
}

// WaitChannelsInApp waits until exactly n channels are in app's Stasis.
func (s *Server) WaitChannelsInApp(ctx context.Context, app string, n int) error {
	return s.waitServer(ctx, func() bool {
		return len(s.channelIDs(func(ch *channel) bool { return ch.app == app })) == n
	})
}

func (s *Server) channelIDs(keep func(*channel) bool) []string {
	chs := s.sortedChannels()
	ids := make([]string, 0, len(chs))
	for _, ch := range chs {
		if keep(ch) {
			ids = append(ids, ch.id)
		}
	}
	return ids
}

func (s *Server) sortedChannels() []*channel {
	chs := make([]*channel, 0, len(s.channels))
	for _, ch := range s.channels {
		chs = append(chs, ch)
	}
	sort.Slice(chs, func(i, j int) bool { return chs[i].seq < chs[j].seq })
	return chs
}

// Party returns the handle of a live channel by id, or nil (handles of
// ended channels stay usable: keep them from Dial or WaitOutbound).
func (s *Server) Party(channelID string) *Party {
	s.lock()
	defer s.unlock()
	if ch := s.channels[channelID]; ch != nil {
		return ch.party
	}
	return nil
}

// Bridges returns the ids of the existing bridges.
func (s *Server) Bridges() []string {
	s.lock()
	defer s.unlock()
	ids := make([]string, 0, len(s.bridges))
	for id := range s.bridges {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// BridgeChannels returns the channel ids in a bridge (false if no such bridge).
func (s *Server) BridgeChannels(bridgeID string) ([]string, bool) {
	s.lock()
	defer s.unlock()
	b := s.bridges[bridgeID]
	if b == nil {
		return nil, false
	}
	return b.channelIDs(), true
}

// BridgeMOH returns the music-on-hold class playing in a bridge ("" if none).
func (s *Server) BridgeMOH(bridgeID string) string {
	s.lock()
	defer s.unlock()
	if b := s.bridges[bridgeID]; b != nil {
		return b.moh
	}
	return ""
}

// SetGlobalVar sets a global dialplan variable (GET /asterisk/variable).
func (s *Server) SetGlobalVar(name, value string) {
	s.lock()
	defer s.unlock()
	s.globals[name] = value
}

// GlobalVar is a global dialplan variable, as the dialplan reads it
// (${NAME}): "" when unset.
func (s *Server) GlobalVar(name string) string {
	s.lock()
	defer s.unlock()
	return s.globals[name]
}
