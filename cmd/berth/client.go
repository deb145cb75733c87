package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/client"
	"github.com/berth-dev/berth/client/proxy"
)

// shutdownTimeout bounds how long a stopping agent waits for its loops (and, in
// `berth dev`, for its containers to be removed) before giving up.
const shutdownTimeout = 2 * time.Minute

// newClientCommand wires `berth client` flags into client.Config and runs the node
// agent until SIGTERM or SIGINT. Containers keep running when it stops: a restarted
// agent adopts them.
func newClientCommand() *cobra.Command {
	cfg := client.DefaultConfig()
	var logLevel string
	var labels []string
	var cleanup bool
	var tokenFile string
	var insecureDev bool
	var joinToken string
	cmd := &cobra.Command{
		Use:   "client",
		Short: "Run the node agent: register this machine and run its pods on Docker",
		Long: `Run a Berth client (node agent). It registers this machine as a Node with the
servers given by --servers (or found by gossip through --join), runs the pods bound to
it on the Docker engine and serves
their logs and exec on --client-port. Stopping it leaves the containers running; a
client restarted with the same --name and --data-dir adopts them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			logger, err := newLogger(logLevel)
			if err != nil {
				return err
			}
			if cfg.NodeLabels, err = parseNodeLabels(labels); err != nil {
				return err
			}
			cfg.Logger, cfg.Version = logger, version
			if tokenFile != "" {
				if cfg.Token != "" {
					return errors.New("give --token or --token-file, not both")
				}
				b, err := os.ReadFile(tokenFile)
				if err != nil {
					return fmt.Errorf("--token-file: %w", err)
				}
				cfg.Token = strings.TrimSpace(string(b))
			}
			if cleanup {
				return proxy.Cleanup(cmd.Context(), nil, "")
			}
			if !cmd.Flags().Changed("proxy") {
				cfg.Proxy = cfg.Runtime == client.RuntimeDocker // hollow pods have no network to proxy
			}
			if !cmd.Flags().Changed("network-policy") {
				cfg.NetworkPolicy = cfg.Runtime == client.RuntimeDocker
			}
			if insecureDev {
				fmt.Fprintln(os.Stderr, "WARNING: --insecure-dev: this client talks plain HTTP to the servers and serves logs/exec without TLS. Never use this outside development.")
			} else {
				cfg.TLS = &client.TLSConfig{JoinToken: joinToken}
			}
			if cfg.Count > 1 {
				if !insecureDev {
					return errors.New("hollow nodes (--count > 1) run with --insecure-dev only")
				}
				return runHollow(cmd.Context(), cfg)
			}
			a, err := client.New(cfg)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			runErr := a.Run(ctx)
			sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
			defer cancel()
			return errors.Join(runErr, a.Shutdown(sctx, false))
		},
	}
	f := cmd.Flags()
	f.BoolVar(&insecureDev, "insecure-dev", false, "plain HTTP to the servers and no client certificate: development only")
	f.StringVar(&joinToken, "join-token", "", "a client join token (berth token create --join client) to get this node's certificate at its first start; needs --servers https://...")
	f.StringVar(&cfg.Name, "name", nodeName(""), "this node's unique name (a DNS-1123 subdomain)")
	f.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "where the agent keeps pod IPs and volume files")
	f.StringSliceVar(&cfg.Servers, "servers", nil, "API URLs of the servers (http://host:port), comma-separated or repeated (default: found through --join)")
	f.StringSliceVar(&cfg.Join, "join", nil, "gossip address (host:port) of a server to join; repeatable")
	f.StringVar(&cfg.Token, "token", "", "bearer token for the servers' API when they run with --auth (a user in group system:nodes)")
	f.StringVar(&tokenFile, "token-file", "", "file holding the bearer token (instead of --token, which shows in ps)")
	f.IntVar(&cfg.GossipPort, "gossip-port", cfg.GossipPort, "gossip port (TCP and UDP), used with --join")
	f.StringVar(&cfg.DockerHost, "docker-host", "", "Docker engine address (default: DOCKER_HOST, then unix:///var/run/docker.sock)")
	f.StringVar(&cfg.PodNetwork, "pod-network", cfg.PodNetwork, "Docker network pods join; created if absent, shared by clients on one engine")
	f.BoolVar(&cfg.SharedPodNetwork, "shared-pod-network", false, "size --pod-network to the whole cluster CIDR so several clients on one engine share it (each keeps its own /24)")
	f.BoolVar(&cfg.Proxy, "proxy", true, "run the service proxy (iptables for ClusterIPs and NodePorts; needs root; default on with --runtime docker)")
	f.BoolVar(&cfg.NetworkPolicy, "network-policy", true, "enforce NetworkPolicies for this node's pods (iptables; needs root; default on with --runtime docker)")
	f.BoolVar(&cleanup, "cleanup", false, "remove every iptables chain and rule the service proxy and network policies made, then exit")
	f.StringVar(&cfg.Runtime, "runtime", cfg.Runtime, "container runtime: docker, or fake (hollow pods for scale tests)")
	f.IntVar(&cfg.ClientPort, "client-port", cfg.ClientPort, "port of the logs/exec endpoint (0 picks a free one)")
	f.StringVar(&cfg.BindAddr, "bind", cfg.BindAddr, "address the client endpoint and gossip listen on")
	f.StringVar(&cfg.AdvertiseAddr, "advertise", "", "address servers reach this node on, its InternalIP (default: --bind)")
	f.StringArrayVar(&labels, "node-label", nil, "label k=v to put on the Node; repeatable")
	f.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	f.IntVar(&cfg.Count, "count", 1, "with --runtime fake: how many hollow nodes this process runs (scale tests)")
	f.StringVar(&cfg.NamePrefix, "name-prefix", "", "hollow nodes are named PREFIX-0 … PREFIX-(count-1) (default: --name)")
	f.IntVar(&cfg.IngressHTTPPort, "ingress-http-port", 0, "serve the cluster's Ingresses over HTTP on this port (0: off)")
	f.IntVar(&cfg.IngressHTTPSPort, "ingress-https-port", 0, "serve the cluster's Ingresses over HTTPS on this port, with the certificates of their TLS Secrets (0: off)")
	f.StringVar(&cfg.IngressBindAddr, "ingress-bind", "", "address the ingress listens on (default: --bind)")
	f.BoolVar(&cfg.DNS, "dns", false, "run a node-local copy of the cluster DNS and give it to pods (on the pod network's gateway, port 53; needs root)")
	f.IntVar(&cfg.DNSPort, "dns-port", cfg.DNSPort, "with --dns: the port it also answers the host on at --bind (0 picks a free one, -1: pods only)")
	f.StringSliceVar(&cfg.DNSUpstreams, "dns-upstream", nil, "with --dns: resolvers (IP or IP:port) for names outside the cluster (default: the nameservers of /etc/resolv.conf)")
	f.StringSliceVar(&cfg.ClusterDNS, "cluster-dns", nil, "without --dns: nameserver IPs (port 53, reachable from pods) for pods with dnsPolicy ClusterFirst")
	f.StringVar(&cfg.ClusterDomain, "cluster-domain", cfg.ClusterDomain, "the cluster's DNS domain, in pods' search list")
	return cmd
}

// runHollow runs --count hollow nodes until SIGTERM or SIGINT.
func runHollow(ctx context.Context, cfg client.Config) error {
	h, err := client.NewHollow(cfg)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	return h.Run(ctx)
}

// newLogger is a text logger on stderr at the named level.
func newLogger(name string) (*slog.Logger, error) {
	level := new(slog.LevelVar)
	if err := level.UnmarshalText([]byte(name)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", name)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})), nil
}

// parseNodeLabels turns repeated --node-label k=v flags into a map; client.Config's
// Validate checks the keys and values.
func parseNodeLabels(flags []string) (map[string]string, error) {
	if len(flags) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(flags))
	for _, kv := range flags {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--node-label %q: want key=value", kv)
		}
		out[k] = v
	}
	return out, nil
}

// dns1123 is what a Node name must look like.
var dns1123 = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

// nodeName is the machine's hostname in lower case when it is a valid Node name,
// else fallback ("" keeps the hostname and lets the agent's Validate explain).
func nodeName(fallback string) string {
	h := strings.ToLower(hostname())
	if fallback == "" || (len(h) <= 253 && dns1123.MatchString(h)) {
		return h
	}
	return fallback
}
