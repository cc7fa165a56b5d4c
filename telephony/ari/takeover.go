package ari

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	ariclient "github.com/CyCoreSystems/ari/v5"

	"github.com/slobozhanske/hotline/telephony/callrecord"
)

// Taking calls over. A controller that stopped without ending its calls
// (killed, its machine lost) leaves them in Asterisk: residents in the
// Stasis application, operators' legs bridged with them, the bridges. The
// controller that connects next finds them (readopt) and continues each
// resident's call under its existing record, from where its steps say it
// was (Call.Past); the legs and bridges wait, as orphans, for the call that
// claims them (AdoptLeg, AdoptBridge). What nobody claims within
// Config.OrphanGrace is hung up or destroyed, so nothing is left behind.

// CallHistory reads the open record of a call by its channel
// (*callrecord/pgstore.History).
type CallHistory interface {
	OpenCall(ctx context.Context, channelID string) (callrecord.PastCall, bool, error)
}

// TakeOverWith makes the app continue calls it finds in Stasis under their
// records in h. Without it (h nil) such calls start afresh. Call it before Run.
func (a *App) TakeOverWith(h CallHistory) { a.history = h }

// OnListed registers fn to learn, after each (re)connect, which channels
// Asterisk has in the application, once the calls among them have been
// taken over: records of calls not among them ended unseen
// (callrecord/pgstore.Writer.CloseOrphans). fn runs on its own goroutine. Call it
// before Run.
func (a *App) OnListed(fn func(ctx context.Context, channelIDs []string)) { a.onListed = fn }

// ErrNotOrphan is returned by AdoptLeg and AdoptBridge for a channel or
// bridge that no controller left behind (or that someone claimed already).
var ErrNotOrphan = errors.New("not left behind by a previous controller")

// defaultOrphanGrace is how long legs and bridges found without an owner
// wait for a call to claim them: a taken-over call claims them once the
// state it depends on is loaded.
const defaultOrphanGrace = 15 * time.Second

// orphans are the legs and bridges found without an owner.
type orphans struct {
	mu      sync.Mutex
	legs    map[string]bool
	bridges map[string]bool
}

func (o *orphans) add(legs, bridges []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.legs == nil {
		o.legs, o.bridges = map[string]bool{}, map[string]bool{}
	}
	for _, id := range legs {
		o.legs[id] = true
	}
	for _, id := range bridges {
		o.bridges[id] = true
	}
}

// claim takes id out of set, reporting whether it was there.
func (o *orphans) claim(set func(*orphans) map[string]bool, id string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	m := set(o)
	if !m[id] {
		return false
	}
	delete(m, id)
	return true
}

func legsOf(o *orphans) map[string]bool    { return o.legs }
func bridgesOf(o *orphans) map[string]bool { return o.bridges }

// unclaimed takes what is left of legs and bridges among ids.
func (o *orphans) unclaimed(legs, bridges []string) (l, b []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, id := range legs {
		if o.legs[id] {
			delete(o.legs, id)
			l = append(l, id)
		}
	}
	for _, id := range bridges {
		if o.bridges[id] {
			delete(o.bridges, id)
			b = append(b, id)
		}
	}
	return l, b
}

// holdOrphans keeps legs and bridges for a claim, and ends those still
// unclaimed after the grace.
func (a *App) holdOrphans(legs, bridges []string) {
	if len(legs) == 0 && len(bridges) == 0 {
		return
	}
	a.orphans.add(legs, bridges)
	grace := a.cfg.OrphanGrace
	if grace <= 0 {
		grace = defaultOrphanGrace
	}
	a.log.Info("re-adopt: legs and bridges left behind wait for their calls", "legs", len(legs), "bridges", len(bridges), "grace", grace)
	time.AfterFunc(grace, func() { a.sweepOrphans(legs, bridges) })
}

func (a *App) sweepOrphans(legs, bridges []string) {
	legs, bridges = a.orphans.unclaimed(legs, bridges)
	ctx, cancel := context.WithTimeout(context.Background(), 2*a.cfg.RequestTimeout+time.Second)
	defer cancel()
	for _, id := range legs {
		a.log.Warn("re-adopt: ending a leg no call claimed", "channel", id)
		if err := a.rest.hangup(ctx, id, "normal"); err != nil && !errors.Is(err, ErrNotFound) {
			a.log.Warn("re-adopt: cannot end an unclaimed leg", "channel", id, "err", err)
		}
		a.metrics.strandedEnded.Inc()
	}
	for _, id := range bridges {
		a.log.Warn("re-adopt: destroying a bridge no call claimed", "bridge", id)
		(&Bridge{app: a, ID: id}).Destroy()
	}
}

// AdoptLeg makes the caller's goroutine the owner of an operator's (or the
// person on duty's) leg that a previous controller left in a conversation
// with that caller. ErrNotOrphan: no such leg was left behind; ErrNotFound:
// it was, but has hung up since.
func (a *App) AdoptLeg(ctx context.Context, channelID, endpoint string) (*Leg, error) {
	if !a.orphans.claim(legsOf, channelID) {
		return nil, fmt.Errorf("adopt leg %s: %w", channelID, ErrNotOrphan)
	}
	leg := &Leg{Channel: a.newChannel(channelID, a.log.With("leg", channelID, "endpoint", endpoint, "purpose", "taken_over")), Endpoint: endpoint}
	leg.inApp = true
	a.mu.Lock()
	a.owners[channelID] = leg.Channel
	a.mu.Unlock()
	// Its events since the controller went away were not ours to read: ask.
	data, err := a.rest.channel(ctx, channelID)
	if err != nil {
		a.forget(channelID)
		leg.hungUp, leg.left, leg.destroyed = true, true, errors.Is(err, ErrNotFound)
		if errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("adopt leg %s: %w", channelID, ErrNotFound)
		}
		_ = a.rest.hangup(context.WithoutCancel(ctx), channelID, "normal")
		return nil, fmt.Errorf("adopt leg %s: %w", channelID, err)
	}
	if data.State != "Up" {
		leg.Hangup()
		return nil, fmt.Errorf("adopt leg %s: in state %s, not a conversation: %w", channelID, data.State, ErrNotFound)
	}
	return leg, nil
}

// AdoptBridge makes the caller's goroutine the owner of a bridge that a
// previous controller left with the caller in it: its Destroy ends it.
func (a *App) AdoptBridge(id string) (*Bridge, error) {
	if !a.orphans.claim(bridgesOf, id) {
		return nil, fmt.Errorf("adopt bridge %s: %w", id, ErrNotOrphan)
	}
	a.ownBridge(id, true)
	return &Bridge{app: a, ID: id}, nil
}

// bridgePrefix starts the id of every bridge the app creates, so a
// restarted controller can tell the bridges it left from others'.
const bridgePrefix = "hotline-br-"

// leftBridges lists the bridges a previous controller of this app left in
// Asterisk (ours by their id), not counting those this one owns.
func (a *App) leftBridges(ctx context.Context) ([]string, error) {
	var keys []*ariclient.Key
	err := a.rest.do(ctx, "list bridges", func() error {
		var err error
		keys, err = a.rest.client.Bridge().List(nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list bridges: %w", err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, k := range keys {
		if strings.HasPrefix(k.ID, bridgePrefix) && !a.bridges[k.ID] {
			out = append(out, k.ID)
		}
	}
	return out, nil
}
