package ari

import (
	"context"
	"fmt"

	ariclient "github.com/CyCoreSystems/ari/v5"
)

// SetGlobal sets a global dialplan variable (POST /asterisk/variable), for
// what Asterisk's dialplan does alone when no controller is connected.
func (a *App) SetGlobal(ctx context.Context, name, value string) error {
	err := a.rest.do(ctx, "set global "+name, func() error {
		return a.rest.client.Asterisk().Variables().Set(ariclient.NewKey(ariclient.VariableKey, name), value)
	})
	if err != nil {
		return fmt.Errorf("set global variable %s: %w", name, err)
	}
	return nil
}
