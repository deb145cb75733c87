package iptables

import (
	"context"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/client/informer"
)

// relistWait is the pause before listing again after a failed list or a broken
// watch: long enough not to hammer a server that is down.
const relistWait = 500 * time.Millisecond

// Follower keeps a host's rules in step with some kinds of the cluster: a cache of
// the kinds (informer.Cache) and a SyncLoop that rewrites the rules when any of
// them changes, and only once every kind was listed, so a restart never rewrites
// working rules from a half-known view. The service proxy and network policy are
// both one.
type Follower struct {
	cache *informer.Cache
	loop  *SyncLoop
	kinds []string
}

// NewFollower builds the cache of kinds (listed and watched through src) and the
// loop of sc, whose Ready it sets; what names the component in log messages
// ("service proxy").
func NewFollower(src informer.Source, kinds []string, what string, sc SyncConfig) *Follower {
	f := &Follower{kinds: kinds}
	f.cache = &informer.Cache{
		Source: src, Log: sc.Log, What: what,
		Backoff: informer.Backoff{List: relistWait, Watch: relistWait},
	}
	sc.Ready = func() bool { return f.cache.Listed(kinds...) }
	if sc.FailedMsg == "" {
		sc.FailedMsg = what + " sync failed; retrying"
	}
	f.loop = NewSyncLoop(sc)
	f.cache.Changed = f.loop.Changed
	return f
}

// Run follows the kinds and syncs until ctx ends; an error only when a kind is not
// one the api package serves.
func (f *Follower) Run(ctx context.Context) error {
	wait, err := f.cache.Start(ctx, f.kinds...)
	if err != nil {
		return err
	}
	defer wait()
	f.loop.Run(ctx)
	return nil
}

// Snapshot is the kinds' objects as of one moment (informer.Cache.Snapshot).
func (f *Follower) Snapshot() map[string]map[string]api.Object {
	return f.cache.Snapshot(f.kinds...)
}
