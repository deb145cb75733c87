package servertest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/server"
)

// waitAdminToken waits for the bootstrap admin token a server with Auth on writes
// into its data dir, and returns it.
func waitAdminToken(t testing.TB, dataDir string) string {
	t.Helper()
	var token string
	WaitFor(t, 15*time.Second, "the bootstrap admin token", func() error {
		b, err := os.ReadFile(filepath.Join(dataDir, server.AdminTokenFile))
		if err != nil {
			return err
		}
		if token = strings.TrimSpace(string(b)); token == "" {
			return fmt.Errorf("%s is empty", server.AdminTokenFile)
		}
		return nil
	})
	return token
}
