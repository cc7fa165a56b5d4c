package ari

import (
	"context"
	"fmt"

	ariclient "github.com/CyCoreSystems/ari/v5"
)

// SubscribeEndpoints subscribes the application to event sources such as
// "endpoint:PJSIP" (every PJSIP endpoint) or "endpoint:PJSIP/op101", so
// EndpointStateChange arrives for phones that have no channel in the app:
// Asterisk sends it only to applications subscribed to the endpoint. Call it
// after every (re)connect.
//
// Added by the operator queue (issue 4); the lead may prefer calling it from
// readopt for the configured operators' technology.
func (a *App) SubscribeEndpoints(ctx context.Context, sources ...string) error {
	for _, src := range sources {
		err := a.rest.do(ctx, "subscribe to "+src, func() error {
			return a.rest.client.Application().Subscribe(ariclient.NewKey(ariclient.ApplicationKey, a.cfg.Application), src)
		})
		if err != nil {
			return fmt.Errorf("subscribe %s to %s: %w", a.cfg.Application, src, err)
		}
	}
	return nil
}

// Exists asks Asterisk whether the channel still exists, for when a command
// on it failed and its hang-up events may not have arrived yet: a channel
// Asterisk no longer knows is marked hung up and gone from the app (so
// hanging it up does not wait for events). It reports true when Asterisk
// cannot be asked. Only the channel's owner may call it.
//
// Added by the operator queue (issue 4), which asks it after Asterisk
// refused to bridge a channel; it belongs next to checkAlive in channel.go.
func (c *Channel) Exists(ctx context.Context) bool { return c.checkAlive(ctx) }
