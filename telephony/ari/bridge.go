package ari

import (
	"context"
	"errors"
	"fmt"

	ariclient "github.com/CyCoreSystems/ari/v5"
	"github.com/CyCoreSystems/ari/v5/client/native"

	"github.com/slobozhanske/hotline/ivr"
)

// Bridge is a mixing bridge the app created (caller and operator, caller and
// on-duty person). Its creator owns it and must Destroy it on every path.
type Bridge struct {
	app *App
	ID  string
}

// NewBridge creates a mixing bridge.
func (a *App) NewBridge(ctx context.Context, purpose string) (*Bridge, error) {
	id := bridgePrefix + newID()
	err := a.rest.do(ctx, "create bridge", func() error {
		_, err := a.rest.client.Bridge().Create(ariclient.NewKey(ariclient.BridgeKey, id), "mixing", purpose)
		return err
	})
	if err != nil {
		a.metrics.commandErrors.WithLabelValues("bridge_create").Inc()
		return nil, err
	}
	a.ownBridge(id, true)
	return &Bridge{app: a, ID: id}, nil
}

// Add puts a channel in the bridge.
func (b *Bridge) Add(ctx context.Context, ch *Channel) error {
	var channelGone bool
	err := b.app.rest.do(ctx, "add "+ch.channelID+" to bridge "+b.ID, func() error {
		err := b.app.rest.client.Bridge().AddChannel(ariclient.NewKey(ariclient.BridgeKey, b.ID), ch.channelID)
		// addChannel's codes are its own (ARI spec): 400 the channel does not
		// exist, 422 it is not in the app — gone for us, as if hung up; 404 is
		// the bridge missing and 409 a bridge or channel busy, not a hangup.
		var re native.RequestError
		if errors.As(err, &re) && (re.Code() == 400 || re.Code() == 422) {
			channelGone = true
		}
		return err
	})
	if channelGone {
		ch.hungUp = true
		return fmt.Errorf("%w: %w", ivr.ErrHangup, err)
	}
	return err
}

// Remove takes a channel out of the bridge (it stays in the app).
func (b *Bridge) Remove(ctx context.Context, ch *Channel) error {
	err := b.app.rest.do(ctx, "remove "+ch.channelID+" from bridge "+b.ID, func() error {
		return b.app.rest.client.Bridge().RemoveChannel(ariclient.NewKey(ariclient.BridgeKey, b.ID), ch.channelID)
	})
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// Record records the bridge's mixed audio under name.
func (b *Bridge) Record(ctx context.Context, name, format string) error {
	return b.app.rest.do(ctx, "record bridge "+b.ID, func() error {
		_, err := b.app.rest.client.Bridge().Record(ariclient.NewKey(ariclient.BridgeKey, b.ID), name, &ariclient.RecordingOptions{Format: format, Exists: "overwrite"})
		return err
	})
}

// Play plays media into the bridge (both parties hear it) without waiting.
func (b *Bridge) Play(ctx context.Context, playbackID, media string) error {
	return b.app.rest.do(ctx, "play "+media+" to bridge "+b.ID, func() error {
		_, err := b.app.rest.client.Bridge().Play(ariclient.NewKey(ariclient.BridgeKey, b.ID), playbackID, media)
		return err
	})
}

// Destroy tears the bridge down; channels in it stay in the app.
func (b *Bridge) Destroy() {
	ctx, cancel := context.WithTimeout(context.Background(), b.app.cfg.RequestTimeout)
	defer cancel()
	err := b.app.rest.do(ctx, "destroy bridge "+b.ID, func() error {
		return b.app.rest.client.Bridge().Delete(ariclient.NewKey(ariclient.BridgeKey, b.ID))
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		b.app.log.Warn("destroy bridge", "bridge", b.ID, "err", fmt.Errorf("%w", err))
	}
	b.app.ownBridge(b.ID, false)
}

// ownBridge notes that the app owns a bridge (or no longer does), so that a
// reconnect does not take it for one a previous controller left.
func (a *App) ownBridge(id string, owned bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if owned {
		a.bridges[id] = true
	} else {
		delete(a.bridges, id)
	}
}
