package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/server"
	"github.com/berth-dev/berth/server/scheduler"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// newServerCommand wires `berth server` flags into server.Config and runs a server
// until SIGTERM or SIGINT.
func newServerCommand() *cobra.Command {
	cfg := server.DefaultConfig()
	var logLevel, schedulerConfig string
	var insecureDev bool
	tlsCfg := &server.TLSConfig{}
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run a Berth server (API, Raft member, DNS)",
		Long: `Run a Berth server. Three or five servers make a highly available control plane:
start each with the same --bootstrap-expect and --join pointing at another's gossip
port. A restarted server comes back from its --data-dir.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			level := new(slog.LevelVar)
			if err := level.UnmarshalText([]byte(logLevel)); err != nil {
				return fmt.Errorf("--log-level %q: want debug, info, warn or error", logLevel)
			}
			cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
			cfg.Version = version
			cfg.AdminTokenOut = os.Stdout
			serverGC()
			if insecureDev {
				fmt.Fprintln(os.Stderr, "WARNING: --insecure-dev: the API is plain HTTP, nothing is encrypted, and without --auth anyone is the administrator. Never use this outside development.")
			} else {
				cfg.TLS = tlsCfg // TLS and authentication
			}
			if schedulerConfig != "" {
				sc, err := scheduler.LoadConfig(schedulerConfig)
				if err != nil {
					return fmt.Errorf("--scheduler-config: %w", err)
				}
				cfg.SchedulerConfig = sc
			}
			s, err := server.New(cfg)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			return s.Run(ctx)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Name, "name", hostname(), "this server's unique name (its Raft id)")
	f.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "where the Raft log and snapshots live")
	f.StringVar(&cfg.BindAddr, "bind", cfg.BindAddr, "address every listener binds to")
	f.StringVar(&cfg.AdvertiseAddr, "advertise", "", "address peers reach this server on (default: --bind)")
	f.IntVar(&cfg.HTTPPort, "http-port", cfg.HTTPPort, "HTTP API port")
	f.IntVar(&cfg.RaftPort, "raft-port", cfg.RaftPort, "Raft port")
	f.IntVar(&cfg.GossipPort, "gossip-port", cfg.GossipPort, "gossip port (TCP and UDP)")
	f.IntVar(&cfg.DNSPort, "dns-port", cfg.DNSPort, "DNS port (UDP and TCP) for cluster.local at --bind; -1 serves no DNS")
	f.StringSliceVar(&cfg.DNSUpstreams, "dns-upstream", nil, "resolvers (IP or IP:port) for names outside the cluster, comma-separated (default: the nameservers of /etc/resolv.conf)")
	f.IntVar(&cfg.BootstrapExpect, "bootstrap-expect", 0, "servers expected in a new cluster; the first to see them all bootstraps Raft")
	f.StringSliceVar(&cfg.Join, "join", nil, "gossip address (host:port) of a server to join; repeatable")
	f.DurationVar(&cfg.HeartbeatTimeout, "raft-heartbeat-timeout", cfg.HeartbeatTimeout, "time without leader contact before a follower starts an election")
	f.DurationVar(&cfg.ElectionTimeout, "raft-election-timeout", cfg.ElectionTimeout, "time a candidate waits for votes")
	f.DurationVar(&cfg.LeaderLeaseTimeout, "raft-leader-lease-timeout", cfg.LeaderLeaseTimeout, "time a leader stays without quorum contact before stepping down")
	f.Uint64Var(&cfg.SnapshotThreshold, "raft-snapshot-threshold", cfg.SnapshotThreshold, "log entries between snapshots")
	f.DurationVar(&cfg.SnapshotInterval, "raft-snapshot-interval", cfg.SnapshotInterval, "how often Raft checks whether to snapshot (tests)")
	f.MarkHidden("raft-snapshot-interval")
	f.StringVar(&cfg.ClusterCIDR, "cluster-cidr", cfg.ClusterCIDR, "IPv4 range of pod addresses; each node gets a /24 of it")
	f.StringVar(&cfg.ServiceCIDR, "service-cidr", cfg.ServiceCIDR, "IPv4 range of Services' cluster IPs")
	f.StringVar(&cfg.ServiceNodePortRange, "service-node-port-range", cfg.ServiceNodePortRange, "range of NodePort Services' ports (low-high)")
	f.DurationVar(&cfg.NodeMonitorGracePeriod, "node-monitor-grace-period", cfg.NodeMonitorGracePeriod, "time a node's client may go without a heartbeat before the node is unreachable")
	f.DurationVar(&cfg.PodEvictionTimeout, "pod-eviction-timeout", cfg.PodEvictionTimeout, "time pods stay on an unreachable node before they are replaced elsewhere")
	f.IntVar(&cfg.WatchWindow, "watch-window", cfg.WatchWindow, "recent events a watcher can resume from")
	f.BoolVar(&cfg.EnableDebug, "enable-debug", false, "serve Go's profiler under /debug/pprof")
	f.BoolVar(&cfg.Auth, "auth", false, "with --insecure-dev: require bearer tokens and enforce RBAC (always on with TLS). "+
		"The first leader prints an admin token and writes it to <data-dir>/"+server.AdminTokenFile)
	f.BoolVar(&insecureDev, "insecure-dev", false, "plain HTTP, no certificates, no authentication unless --auth: development only")
	f.StringVar(&tlsCfg.CACertFile, "ca-cert", "", "your own cluster CA certificate (PEM); give every server the same one with --ca-key")
	f.StringVar(&tlsCfg.CAKeyFile, "ca-key", "", "the key of --ca-cert (ECDSA PEM)")
	f.StringVar(&tlsCfg.JoinToken, "join-token", "", "a server join token (berth token create --join server) to get this server's certificate")
	f.StringVar(&tlsCfg.JoinAddr, "join-api", "", "host:port of an existing server's API, where --join-token is used")
	f.DurationVar(&tlsCfg.CertLifetime, "cert-lifetime", 0, "lifetime of the certificates this server issues (default 720h); renewed at 2/3 of it")
	f.StringVar(&schedulerConfig, "scheduler-config", "", "YAML file of scheduler plugins and weights (default: Kubernetes' defaults)")
	f.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	f.StringVar(&cfg.RaftLogLevel, "raft-log-level", cfg.RaftLogLevel, "level of the Raft library's own logs")
	return cmd
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "berth"
	}
	return h
}

// serverGCPercent is the server's GOGC unless the environment sets one. A server
// allocates per write (decoding, the store's immutable trees), and at Go's default
// of 100 the collector took 11% of the leader's CPU in the scheduling benchmark; at
// 200 the leader used 10% less CPU and bound 6–8% more pods per second (measured
// side by side), for a heap that may grow to three times the live data instead of
// two.
const serverGCPercent = 200

func serverGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(serverGCPercent)
	}
}
