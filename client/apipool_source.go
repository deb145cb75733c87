package client

import (
	"context"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/client/informer"
)

// The pool is an informer.Source: a list or a watch that cannot reach one
// server tries the next, as every call through do does.
var _ informer.Source = (*apiPool)(nil)

// List implements informer.Source.
func (p *apiPool) List(ctx context.Context, res *api.Resource, ns string, opts api.ListOptions) (*api.List, error) {
	var l *api.List
	err := p.do(ctx, func(c *api.Client) error {
		var err error
		l, err = c.List(ctx, res, ns, opts)
		return err
	})
	return l, err
}

// Watch implements informer.Source.
func (p *apiPool) Watch(ctx context.Context, res *api.Resource, ns string, opts api.WatchOptions) (*api.Watcher, error) {
	var w *api.Watcher
	err := p.do(ctx, func(c *api.Client) error {
		var err error
		w, err = c.Watch(ctx, res, ns, opts)
		return err
	})
	return w, err
}
