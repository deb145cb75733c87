package integration

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// berthBin is the binary every test runs, built once by TestMain.
var berthBin string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "berth-it-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	berthBin = filepath.Join(dir, "berth")
	// The servers are built without the race detector: the unit tests run raced, and a
	// raced binary is several times slower, which would make failover timings on a
	// 2-core machine measure the detector instead of Berth.
	build := exec.Command("go", "build", "-tags", "hashicorpmetrics", "-o", berthBin, "../cmd/berth")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building berth:", err)
		return 1
	}
	code := m.Run()
	sweepTestContainers()
	removeTestImages()
	return code
}

// removeTestImages removes the images this run made: the agents' infra image (named
// after the hash of the binary they ran) and the old builds of berth/demo:dev that a
// rebuild left dangling. The current demo image stays for the next run and the tour.
func removeTestImages() {
	if _, err := exec.LookPath("docker"); err != nil {
		return
	}
	if b, err := os.ReadFile(berthBin); err == nil {
		sum := sha256.Sum256(b)
		exec.Command("docker", "rmi", "berth/pause:"+hex.EncodeToString(sum[:])[:12]).Run()
	}
	exec.Command("docker", "image", "prune", "-f", "--filter", "label=io.berth.managed=true").Run()
}
