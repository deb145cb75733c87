package client

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/client/ingress"
)

// startIngress runs the ingress when an ingress port is set (it reads the cluster
// through the agent's servers); the returned func stops it and waits for it.
func (a *Agent) startIngress(ctx context.Context) (stop func(), err error) {
	if a.cfg.IngressHTTPPort == 0 && a.cfg.IngressHTTPSPort == 0 {
		return func() {}, nil
	}
	bind := cmp.Or(a.cfg.IngressBindAddr, a.cfg.BindAddr)
	cfg := ingress.Config{Logger: a.log.With("component", "ingress")}
	if a.cfg.IngressHTTPPort != 0 {
		cfg.HTTPAddr = net.JoinHostPort(bind, strconv.Itoa(a.cfg.IngressHTTPPort))
	}
	if a.cfg.IngressHTTPSPort != 0 {
		cfg.HTTPSAddr = net.JoinHostPort(bind, strconv.Itoa(a.cfg.IngressHTTPSPort))
	}
	ig, err := ingress.New(cfg, poolSource{a.apis})
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := ig.Run(ctx); err != nil {
			a.log.Error("the ingress stopped", "err", err)
		}
	}()
	return func() { cancel(); <-done }, nil
}

// poolSource lists and watches through the agent's servers, moving to the next one
// when a server cannot be reached.
type poolSource struct{ p *apiPool }

var _ ingress.Source = poolSource{}

func (s poolSource) List(ctx context.Context, res *api.Resource, ns string, opts api.ListOptions) (*api.List, error) {
	var l *api.List
	err := s.p.do(ctx, func(c *api.Client) error {
		var err error
		l, err = c.List(ctx, res, ns, opts)
		return err
	})
	return l, err
}

func (s poolSource) Watch(ctx context.Context, res *api.Resource, ns string, opts api.WatchOptions) (*api.Watcher, error) {
	var w *api.Watcher
	err := s.p.do(ctx, func(c *api.Client) error {
		var err error
		w, err = c.Watch(ctx, res, ns, opts)
		return err
	})
	return w, err
}
