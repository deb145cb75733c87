package integration

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

// TestRaftTrafficUnreadableOnLoopback captures the Raft port of a TLS cluster's leader
// with tcpdump while a ConfigMap with a distinctive value is written, and finds the
// value nowhere in the capture; the same capture of an --insecure-dev cluster finds
// it, which shows the capture sees Raft's bytes at all.
func TestRaftTrafficUnreadableOnLoopback(t *testing.T) {
	if _, err := exec.LookPath("tcpdump"); err != nil {
		t.Skip("tcpdump not installed (.ci/run installs it)")
	}
	if os.Geteuid() != 0 {
		t.Skip("capturing needs root")
	}
	for _, tc := range []struct {
		name     string
		secure   bool
		wantSeen bool
	}{
		{"insecure-dev: the control sees the value", false, true},
		{"TLS: the value is not readable", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c *cluster
			if tc.secure {
				c = newSecureCluster(t, 3)
			} else {
				c = newCluster(t, 3)
			}
			leader := c.waitLeader(15 * time.Second)
			value := fmt.Sprintf("raft-capture-%d-%t", time.Now().UnixNano(), tc.secure)
			pcap := filepath.Join(t.TempDir(), "raft.pcap")
			var ips []string
			for _, n := range c.nodes {
				ips = append(ips, n.ip)
			}
			stop := startCapture(t, pcap, ips, leader.raftPort)
			cl := leader.client(t, api.WithRetry(10*time.Second))
			for i := range 20 {
				if _, err := cl.Create(context.Background(), configMap("default", fmt.Sprintf("cap-%d", i), map[string]string{"v": value})); err != nil {
					t.Fatal(err)
				}
			}
			waitFor(t, 10*time.Second, "followers applied the writes", func() error {
				for _, n := range c.followers(leader) {
					if _, err := n.client(t).Get(context.Background(), mustResource("ConfigMap"), "default", "cap-19", api.GetOptions{}); err != nil {
						return err
					}
				}
				return nil
			})
			waitFor(t, 10*time.Second, "the capture holds the writes' replication", func() error {
				if fi, err := os.Stat(pcap); err != nil || fi.Size() < int64(20*len(value)) {
					return fmt.Errorf("capture not there yet (%v)", err)
				}
				return nil
			})
			stop()
			data, err := os.ReadFile(pcap)
			if err != nil {
				t.Fatal(err)
			}
			if len(data) < 1000 {
				t.Fatalf("capture of Raft port %d holds %d bytes: no Raft traffic captured", leader.raftPort, len(data))
			}
			if seen := bytes.Contains(data, []byte(value)); seen != tc.wantSeen {
				t.Fatalf("value seen in the %d-byte capture of the Raft port: %v, want %v", len(data), seen, tc.wantSeen)
			}
		})
	}
}

// startCapture runs tcpdump on loopback for traffic to or from port on any of ips
// until the returned stop is called; it waits until tcpdump is listening. (A dial to
// a 127.x address leaves from that address or 127.0.0.1, so the filter names every
// server's address, not the leader's alone.)
func startCapture(t *testing.T, file string, ips []string, port int) (stop func()) {
	t.Helper()
	var stderr syncBuffer // lifecycle_docker_test.go
	cmd := exec.Command("tcpdump", "-i", "lo", "--immediate-mode", "-U", "-s", "0", "-w", file,
		"-Z", "root",
		fmt.Sprintf("tcp port %d and (host %s)", port, strings.Join(ips, " or host ")))
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("tcpdump: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	waitFor(t, 10*time.Second, "tcpdump listening", func() error {
		select {
		case <-done:
			t.Fatalf("tcpdump exited: %s", stderr.String())
		default:
		}
		if !strings.Contains(stderr.String(), "listening on") {
			return fmt.Errorf("not yet: %q", stderr.String())
		}
		return nil
	})
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
	t.Cleanup(stop)
	return stop
}
