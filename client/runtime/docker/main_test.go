package docker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/berth-dev/berth/client/runtime"
)

const dockerSocket = "/var/run/docker.sock"

// Shared by every test: the helper binary and the infra image built from it
// (importing it once keeps the package well under its time budget).
var (
	testBinary string // static berthtest executable
	testImage  string // infra image holding testBinary as /berth
	skipReason string // non-empty: no engine here
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if _, err := os.Stat(dockerSocket); err != nil {
		skipReason = "no Docker engine: " + dockerSocket + " is absent"
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "berth-runtime-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	testBinary = filepath.Join(dir, "berth")
	build := exec.Command("go", "build", "-o", testBinary, "./testdata/berthtest")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build test binary: %v\n%s", err, out)
		return 1
	}
	testImage = "berth/pause:test-" + randHex(6)
	defer removeImage(testImage)
	return m.Run()
}

// removeImage runs after every test; the image is absent if no test built it.
func removeImage(ref string) {
	cli, err := client.New(client.FromEnv)
	if err != nil {
		return
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, _ = cli.ImageRemove(ctx, ref, client.ImageRemoveOptions{Force: true, PruneChildren: true})
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

// mustNewRuntime returns a runtime on the local engine with the shared
// infra image present, or skips the test when there is no engine.
func mustNewRuntime(t *testing.T) *Runtime {
	t.Helper()
	if skipReason != "" {
		t.Skip(skipReason)
	}
	r, err := New(Config{InfraImage: testImage, InfraBinary: testBinary})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = r.Close() })
	if _, err := r.EnsureInfraImage(testCtx(t)); err != nil {
		t.Fatalf("EnsureInfraImage: %v", err)
	}
	return r
}

// testCtx is a context bounded well inside the package's time budget.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// newPodUID returns a fresh pod UID and arranges for every container and
// volume carrying it to be removed when the test ends, failed or not.
func newPodUID(t *testing.T, r *Runtime) string {
	t.Helper()
	uid := "test-" + randHex(12)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		f := make(client.Filters).Add("label", runtime.LabelPodUID+"="+uid)
		if res, err := r.cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f}); err == nil {
			for _, c := range res.Items {
				_, _ = r.cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true})
			}
		}
		if res, err := r.cli.VolumeList(ctx, client.VolumeListOptions{Filters: f}); err == nil {
			for _, v := range res.Items {
				_, _ = r.cli.VolumeRemove(ctx, v.Name, client.VolumeRemoveOptions{Force: true})
			}
		}
	})
	return uid
}

// newNetwork creates a bridge network with a unique name and a free /24 and
// removes it when the test ends (after the pods, which are cleaned up later
// registered, hence earlier run).
func newNetwork(t *testing.T, r *Runtime) (string, netip.Prefix) {
	t.Helper()
	ctx := testCtx(t)
	for range 20 {
		name := "bt" + randHex(8)
		subnet := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(200 + randInt(50)), byte(randInt(256)), 0}), 24)
		err := r.EnsureNetwork(ctx, name, subnet)
		if err != nil && strings.Contains(err.Error(), "overlap") {
			continue
		}
		if err != nil {
			t.Fatalf("EnsureNetwork(%s, %v): %v", name, subnet, err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, _ = r.cli.NetworkRemove(ctx, name, client.NetworkRemoveOptions{})
		})
		return name, subnet
	}
	t.Fatal("no free /24 for a test network")
	return "", netip.Prefix{}
}

func randInt(n int64) int {
	v, _ := rand.Int(rand.Reader, big.NewInt(n))
	return int(v.Int64())
}

// podIP returns the nth host address of subnet (1 is the gateway).
func podIP(subnet netip.Prefix, n int) netip.Addr {
	a := subnet.Addr().As4()
	a[3] = byte(n)
	return netip.AddrFrom4(a)
}

// mustSandbox creates a running sandbox and returns its ID.
func mustSandbox(t *testing.T, r *Runtime, cfg runtime.SandboxConfig) string {
	t.Helper()
	id, err := r.CreateSandbox(testCtx(t), cfg)
	if err != nil {
		t.Fatalf("CreateSandbox: %v", err)
	}
	return id
}

// mustRunContainer creates and starts an app container.
func mustRunContainer(t *testing.T, r *Runtime, sandbox string, cfg runtime.ContainerConfig) string {
	t.Helper()
	ctx := testCtx(t)
	if cfg.Image == "" {
		cfg.Image = testImage
	}
	id, err := r.CreateContainer(ctx, sandbox, cfg)
	if err != nil {
		t.Fatalf("CreateContainer(%s): %v", cfg.Name, err)
	}
	if err := r.StartContainer(ctx, id); err != nil {
		t.Fatalf("StartContainer(%s): %v", cfg.Name, err)
	}
	return id
}

// mustExec runs cmd and fails unless it exits 0; it returns stdout.
func mustExec(t *testing.T, r *Runtime, id string, cmd ...string) string {
	t.Helper()
	var out, errOut strings.Builder
	code, err := r.Exec(testCtx(t), id, cmd, runtime.ExecOptions{Stdout: &out, Stderr: &errOut})
	if err != nil || code != 0 {
		t.Fatalf("Exec %v: code %d err %v stderr %q", cmd, code, err, errOut.String())
	}
	return out.String()
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	delay := 10 * time.Millisecond
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s: %v", what, err)
		}
		time.Sleep(delay)
		delay = min(2*delay, 250*time.Millisecond)
	}
}

var errNotYet = errors.New("not yet")
