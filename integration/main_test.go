package integration

import (
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
	return m.Run()
}
