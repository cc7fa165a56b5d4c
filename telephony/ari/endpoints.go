package ari

import (
	"context"
	"fmt"

	ariclient "github.com/CyCoreSystems/ari/v5"
)

// WatchEndpoints makes the app follow the state of every endpoint of these
// technologies (e.g. "PJSIP": the operators' phones). After every
// (re)connect the app subscribes to them (Asterisk sends
// EndpointStateChange only to subscribed applications, and only for
// changes) and reports each endpoint's current state to the OnEndpointState
// listener, so a phone that went offline while the WebSocket was down is
// not offered calls. Call it before Run.
func (a *App) WatchEndpoints(technologies ...string) { a.watchTech = technologies }

// syncEndpoints runs on every (re)connect, before calls are re-adopted.
func (a *App) syncEndpoints(ctx context.Context) {
	for _, tech := range a.watchTech {
		if err := a.SubscribeEndpoints(ctx, "endpoint:"+tech); err != nil {
			a.log.Error("cannot subscribe to endpoint states; phones going offline will be noticed late", "technology", tech, "err", err)
		}
		if a.onEndpoint == nil {
			continue
		}
		var list []*ariclient.Key
		err := a.rest.do(ctx, "list "+tech+" endpoints", func() error {
			var err error
			list, err = a.rest.client.Endpoint().ListByTech(tech, nil)
			return err
		})
		if err != nil {
			a.log.Error("cannot list endpoint states", "technology", tech, "err", fmt.Errorf("list %s endpoints: %w", tech, err))
			continue
		}
		for _, k := range list {
			var data *ariclient.EndpointData
			err := a.rest.do(ctx, "get endpoint "+k.ID, func() error {
				var err error
				data, err = a.rest.client.Endpoint().Data(k)
				return err
			})
			if err != nil || data == nil {
				a.log.Warn("cannot read endpoint state", "endpoint", k.ID, "err", err)
				continue
			}
			a.onEndpoint(data.Technology+"/"+data.Resource, data.State)
		}
	}
}
