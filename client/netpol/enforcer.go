package netpol

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/client/proxy"
)

// Sentinel errors of the enforcer.
var (
	// ErrConfig: the configuration cannot be used (Validate's errors wrap it).
	ErrConfig = errors.New("netpol: invalid config")
)

// kinds are what the enforcer follows, in the order it lists them.
var kinds = []string{"NetworkPolicy", "Pod", "Namespace"}

// Enforcer keeps the host's filter rules for this node's pods in step with
// the cluster's NetworkPolicies. Build it with New and call Run once.
type Enforcer struct {
	cfg  Config
	log  *slog.Logger
	exec Executor

	// dirty has a token when the state changed since the last sync.
	dirty chan struct{}

	mu         sync.Mutex
	policies   map[string]*api.NetworkPolicy // by namespace/name
	pods       map[string]*api.Pod           // by namespace/name
	namespaces map[string]map[string]string  // name → labels
	listed     map[string]bool               // kind → first list done

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
	return &Enforcer{
		cfg: cfg, log: cfg.logger().With("component", "netpol"), exec: x,
		dirty:    make(chan struct{}, 1),
		policies: map[string]*api.NetworkPolicy{}, pods: map[string]*api.Pod{},
		namespaces: map[string]map[string]string{}, listed: map[string]bool{},
	}, nil
}

// Syncs counts the restores applied so far.
func (e *Enforcer) Syncs() int64 { return e.syncs.Load() }

// Run follows the cluster and rewrites the node's rules until ctx ends. The
// rules stay when it returns (a restarted client takes them over; pods stay
// guarded meanwhile); CleanupNode removes them. The first sync waits until
// every kind was listed, so a restart never opens isolated pods with a
// half-known view.
func (e *Enforcer) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, kind := range kinds {
		res, ok := api.ResourceForKind(kind)
		if !ok {
			return fmt.Errorf("netpol: the api package has no %s resource", kind)
		}
		wg.Go(func() { e.follow(ctx, res) })
	}
	defer wg.Wait()
	e.loop(ctx)
	return nil
}

// loop is the enforcer's event loop: it syncs when the state changed (no
// more often than MinSyncInterval), every SyncPeriod, and after a failure
// once the back-off has passed.
func (e *Enforcer) loop(ctx context.Context) {
	period := time.NewTicker(e.cfg.SyncPeriod)
	defer period.Stop()
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	backoff := e.cfg.RetryInterval
	var last time.Time
	for {
		force := false
		select {
		case <-ctx.Done():
			return
		case <-e.dirty:
		case <-period.C:
			force = true
		case <-retry.C:
			force = true
		}
		if !e.ready() {
			continue
		}
		if wait := time.Until(last.Add(e.cfg.MinSyncInterval)); wait > 0 && !sleep(ctx, wait) {
			return
		}
		select { // what arrived while waiting is in this sync
		case <-e.dirty:
		default:
		}
		last = time.Now()
		if err := e.sync(ctx, force); err != nil {
			if ctx.Err() != nil {
				return
			}
			e.log.Warn("network policy sync failed; retrying", "in", backoff, "err", err)
			retry.Reset(backoff)
			backoff = min(2*backoff, e.cfg.SyncPeriod)
			continue
		}
		backoff = e.cfg.RetryInterval
	}
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
	e.mu.Lock()
	defer e.mu.Unlock()
	c := Cluster{Namespaces: make(map[string]map[string]string, len(e.namespaces))}
	for _, np := range e.policies {
		c.Policies = append(c.Policies, np)
	}
	for _, p := range e.pods {
		c.Pods = append(c.Pods, p)
	}
	for name, labels := range e.namespaces {
		c.Namespaces[name] = labels
	}
	return c
}

func (e *Enforcer) ready() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, k := range kinds {
		if !e.listed[k] {
			return false
		}
	}
	return true
}

// markDirty asks the loop for a sync; it never blocks.
func (e *Enforcer) markDirty() {
	select {
	case e.dirty <- struct{}{}:
	default:
	}
}

// sleep waits d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
