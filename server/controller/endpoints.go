package controller

import (
	"context"
	"sync"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

// EndpointsController keeps, for every Service with a selector, an Endpoints object
// of the same name that lists the pods behind it: the Ready ones as addresses, the
// others as notReadyAddresses (all as addresses when the Service sets
// publishNotReadyAddresses), terminating and finished pods left out, ports resolved
// from each port's targetPort (a number, or a container port's name). A Service
// without selector keeps the Endpoints its user writes; the Endpoints of a deleted
// Service are deleted.
//
// A pod event queues only the Services of the pod's namespace that select the pod
// (before or after the change), found through an index kept from the events, and
// only when something an Endpoints shows changed; the sync reads the Service from
// the store and writes only when the Endpoints differ.
type EndpointsController struct {
	env Env
	// Workers is the number of Services synced at once.
	Workers int

	svcRes, epRes, podRes *api.Resource

	// Per run.
	queue *Queue
	index *serviceIndex
	// deleted holds the keys of Services seen deleted whose Endpoints are to go
	// even if their user wrote them (a Service without selector).
	deletedMu sync.Mutex
	deleted   map[string]bool
}

// NewEndpointsController builds the controller with Kubernetes' 5 workers.
func NewEndpointsController(env Env) *EndpointsController {
	svcRes, _ := api.ResourceForKind("Service")
	epRes, _ := api.ResourceForKind("Endpoints")
	podRes, _ := api.ResourceForKind("Pod")
	return &EndpointsController{env: env, Workers: 5, svcRes: svcRes, epRes: epRes, podRes: podRes}
}

var _ Controller = (*EndpointsController)(nil)

// Name implements Controller.
func (c *EndpointsController) Name() string { return "endpoints" }

// Run implements Controller: it watches Services, pods and Endpoints and syncs until
// ctx ends.
func (c *EndpointsController) Run(ctx context.Context) error {
	c.queue, c.index, c.deleted = NewQueue(), newServiceIndex(), map[string]bool{}
	inf := NewInformer(c.env.Store, c.env.Log).
		On("Service", c.onService).On("Pod", c.onPod).On("Endpoints", c.onEndpoints)
	inf.runAndProcess(ctx, c.queue, c.Workers, c.sync, "endpoints", "service")
	return nil
}

func (c *EndpointsController) onService(typ raftfsm.EventType, rec *raftfsm.Record) {
	svc, ok := rec.Object.(*api.Service)
	if !ok {
		return
	}
	key := KeyOf(svc)
	if typ == raftfsm.Deleted {
		c.index.setService(svc.Namespace, svc.Name, nil)
		c.deletedMu.Lock()
		c.deleted[key] = true
		c.deletedMu.Unlock()
	} else {
		c.index.setService(svc.Namespace, svc.Name, selectorOf(svc))
	}
	c.queue.Add(key)
}

func (c *EndpointsController) onPod(typ raftfsm.EventType, rec *raftfsm.Record) {
	pod, ok := rec.Object.(*api.Pod)
	if !ok {
		return
	}
	cur := pod
	if typ == raftfsm.Deleted {
		cur = nil
	}
	for _, name := range c.index.setPod(pod.Namespace, pod.Name, cur) {
		c.queue.Add(pod.Namespace + "/" + name)
	}
}

// onEndpoints brings back the Endpoints of a selecting Service when someone deletes
// them, and looks at Endpoints that may have outlived their Service (deleted while
// no leader ran this controller).
func (c *EndpointsController) onEndpoints(typ raftfsm.EventType, rec *raftfsm.Record) {
	switch typ {
	case raftfsm.Deleted:
		c.queue.Add(KeyOf(rec.Object))
	case raftfsm.Added:
		m := rec.Object.GetObjectMeta()
		if _, ok := m.Annotations[annotationLastChange]; !ok {
			return // the user's: left alone
		}
		if _, ok := c.env.Store.Get(c.svcRes, m.Namespace, m.Name); !ok {
			c.queue.Add(KeyOf(rec.Object))
		}
	}
}

// takeDeleted reports (and forgets) that the Service of key was seen deleted.
func (c *EndpointsController) takeDeleted(key string) bool {
	c.deletedMu.Lock()
	defer c.deletedMu.Unlock()
	ok := c.deleted[key]
	delete(c.deleted, key)
	return ok
}
