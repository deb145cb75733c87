package proxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/client/informer"
	"github.com/berth-dev/berth/client/iptables"
)

// Sentinel errors of the proxy.
var (
	// ErrConfig: the configuration cannot be used (Validate's errors wrap it).
	ErrConfig = errors.New("proxy: invalid config")
	// ErrIPTables: an iptables tool failed (the error carries its stderr).
	ErrIPTables = errors.New("proxy: iptables")
	// ErrHost: a sysfs or procfs switch could not be read or set.
	ErrHost = errors.New("proxy: host network setting")
)

// Proxier keeps the host's iptables in step with the cluster's Services and
// Endpoints. Build it with New and call Run once.
type Proxier struct {
	cfg  Config
	log  *slog.Logger
	exec Executor

	follow *iptables.Follower // Services and Endpoints

	syncs      atomic.Int64
	lastRules  []byte // the rules of the last successful restore (loop only)
	warnedBrNF bool   // loop only
}

// New builds a proxier; it touches nothing until Run.
func New(cfg Config) (*Proxier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	x := cfg.Executor
	if x == nil {
		x = &IPTables{}
	}
	p := &Proxier{
		cfg: cfg, log: cfg.logger().With("component", "proxy"), exec: x,
	}
	p.follow = iptables.NewFollower(cfg.API, proxyKinds, "service proxy", iptables.SyncConfig{
		MinInterval: cfg.MinSyncInterval, Period: cfg.SyncPeriod, Retry: cfg.RetryInterval,
		Sync: p.sync, Log: p.log,
	})
	return p, nil
}

// Syncs counts the restores applied so far.
func (p *Proxier) Syncs() int64 { return p.syncs.Load() }

// Run follows the cluster and rewrites the rules until ctx ends. The rules
// stay when it returns (a restarted client takes them over); Cleanup removes
// them. The first sync waits until both Services and Endpoints were listed,
// so a restart never wipes working rules with an empty view.
func (p *Proxier) Run(ctx context.Context) error {
	if err := p.follow.Run(ctx); err != nil {
		return fmt.Errorf("proxy: %w", err)
	}
	return nil
}

// sync writes the rules of the current state. Unless force, it skips the
// restore when the rules equal the last ones applied.
func (p *Proxier) sync(ctx context.Context, force bool) error {
	ports := p.ports()
	rs := Render(ports, RenderOptions{Prefix: p.cfg.prefix(), ClusterCIDR: p.cfg.ClusterCIDR})
	rules := rulesText(rs)
	if !force && p.lastRules != nil && bytes.Equal(rules, p.lastRules) {
		return nil
	}
	save, err := p.exec.Save(ctx)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := p.exec.Restore(ctx, rs.Payload(ParseSave(save))); err != nil {
		p.lastRules = nil
		return err
	}
	p.lastRules = rules
	p.syncs.Add(1)
	p.log.Debug("service rules applied", "ports", len(ports), "took", time.Since(start))
	if err := p.exec.PrepareBridges(p.cfg.ClusterCIDR); err != nil {
		p.log.Warn("pod bridges: hairpin or route_localnet not set", "err", err)
	}
	if x, ok := p.exec.(interface{ BridgeNetfilter() bool }); ok && !p.warnedBrNF && !x.BridgeNetfilter() {
		p.warnedBrNF = true
		p.log.Warn("net.bridge.bridge-nf-call-iptables is not 1: service traffic between pods of one bridge will fail")
	}
	return nil
}

// rulesText is the desired state as bytes, to tell a change from none.
func rulesText(rs *Ruleset) []byte {
	var b bytes.Buffer
	for _, t := range tables {
		for _, c := range rs.Chains(t) {
			b.WriteString(c + "\n")
		}
		for _, r := range rs.Rules(t) {
			b.WriteString(r + "\n")
		}
	}
	return b.Bytes()
}

// ports builds the service ports of the current state.
func (p *Proxier) ports() []ServicePort {
	snap := p.follow.Snapshot()
	svcs := make([]*api.Service, 0, len(snap["Service"]))
	for _, s := range informer.Typed[*api.Service](snap["Service"]) {
		svcs = append(svcs, s)
	}
	return BuildPorts(svcs, informer.Typed[*api.Endpoints](snap["Endpoints"]))
}

// proxyKinds are what the proxy follows.
var proxyKinds = []string{"Service", "Endpoints"}
