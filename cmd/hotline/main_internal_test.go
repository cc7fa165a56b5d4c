package main

import (
	"os"
	"testing"
)

// TestMain tunes the process as main does before the tests start servers.
func TestMain(m *testing.M) {
	keepARIConnections()
	os.Exit(m.Run())
}
