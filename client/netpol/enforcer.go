package netpol

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
	"github.com/berth-dev/berth/client/proxy"
)

// Sentinel errors of the enforcer.
var (
	// ErrConfig: the configuration cannot be used (Validate's errors wrap it).
	ErrConfig = errors.New("netpol: invalid config")
)

// kinds are what the enforcer follows.
var kinds = []string{"NetworkPolicy", "Pod", "Namespace"}

// Enforcer keeps the host's filter rules for this node's pods in step with
// the cluster's NetworkPolicies. Build it with New and call Run once.
type Enforcer struct {
	cfg  Config
	log  *slog.Logger
	exec Executor

	follow *iptables.Follower // the kinds

	syncs      atomic.Int64
	lastRules  []byte   // the rules of the last successful restore (loop only)
	applied    []string // the chains of the last successful restore (loop only)
	warnedBrNF bool     // loop only
}

// New builds an enforcer; it touches nothing until Run.
func New(cfg Config) (*Enforcer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	x := cfg.Executor
	if x == nil {
		x = &proxy.IPTables{}
	}
	e := &Enforcer{
		cfg: cfg, log: cfg.logger().With("component", "netpol"), exec: x,
	}
	e.follow = iptables.NewFollower(cfg.API, kinds, "network policy", iptables.SyncConfig{
		MinInterval: cfg.MinSyncInterval, Period: cfg.SyncPeriod, Retry: cfg.RetryInterval,
		Sync: e.sync, Log: e.log,
	})
	return e, nil
}

// Syncs counts the restores applied so far.
func (e *Enforcer) Syncs() int64 { return e.syncs.Load() }

// Run follows the cluster and rewrites the node's rules until ctx ends. The
// rules stay when it returns (a restarted client takes them over; pods stay
// guarded meanwhile); CleanupNode removes them. The first sync waits until
// every kind was listed, so a restart never opens isolated pods with a
// half-known view.
func (e *Enforcer) Run(ctx context.Context) error {
	if err := e.follow.Run(ctx); err != nil {
		return fmt.Errorf("netpol: %w", err)
	}
	return nil
}

// sync writes the rules of the current state. Unless force, it skips the
// restore when the rules equal the last ones applied.
func (e *Enforcer) sync(ctx context.Context, force bool) error {
	pods := Compute(e.snapshot(), e.cfg.Node)
	rs := Render(pods, e.cfg.renderOptions())
	rules := rs.text()
	if !force && e.lastRules != nil && bytes.Equal(rules, e.lastRules) {
		return nil
	}
	save, err := e.exec.Save(ctx)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := e.exec.Restore(ctx, rs.Payload(parseSave(save), e.applied)); err != nil {
		e.lastRules = nil
		return err
	}
	e.lastRules, e.applied = rules, rs.Chains()
	e.syncs.Add(1)
	e.log.Debug("network policy rules applied", "isolated pods", len(pods), "took", time.Since(start))
	if x, ok := e.exec.(interface{ BridgeNetfilter() bool }); ok && len(pods) > 0 && !e.warnedBrNF && !x.BridgeNetfilter() {
		e.warnedBrNF = true
		e.log.Warn("net.bridge.bridge-nf-call-iptables is not 1: traffic between pods of one bridge bypasses network policies")
	}
	return nil
}

// snapshot copies the state for Compute.
func (e *Enforcer) snapshot() Cluster {
	snap := e.follow.Snapshot()
	c := Cluster{Namespaces: make(map[string]map[string]string, len(snap["Namespace"]))}
	for _, np := range informer.Typed[*api.NetworkPolicy](snap["NetworkPolicy"]) {
		c.Policies = append(c.Policies, np)
	}
	for _, p := range informer.Typed[*api.Pod](snap["Pod"]) {
		c.Pods = append(c.Pods, p)
	}
	for _, ns := range informer.Typed[*api.Namespace](snap["Namespace"]) {
		c.Namespaces[ns.Name] = ns.Labels
	}
	return c
}
