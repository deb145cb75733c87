package server

import (
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
)

// TestReadyzConsultsReadyCheck: /readyz answers 503 while Config.ReadyCheck fails and
// 200 once it passes (berth dev waits there for its node).
func TestReadyzConsultsReadyCheck(t *testing.T) {
	var nodeReady atomic.Bool
	check := func() error {
		if !nodeReady.Load() {
			return errors.New("node not registered")
		}
		return nil
	}
	// Ready at start so that mustStartServer's wait passes; then flip it.
	nodeReady.Store(true)
	ts := mustStartServer(t, func(c *Config) { c.ReadyCheck = check })
	tests := []struct {
		name  string
		ready bool
		want  int
	}{
		{name: "check fails", ready: false, want: http.StatusServiceUnavailable},
		{name: "check passes", ready: true, want: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nodeReady.Store(tt.ready)
			resp, err := http.Get(ts.base + "/readyz")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("/readyz = %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}
