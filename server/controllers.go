package server

import (
	"context"
	"reflect"
	"sync"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
	"github.com/berth-dev/berth/server/controller"
)

// controllerWriter is the controllers' one way to change the cluster: the leader's
// own admission path, exactly what the HTTP API runs, without HTTP.
type controllerWriter struct{ s *Server }

var _ controller.Writer = controllerWriter{}

// resourceOf finds the kind of obj from its TypeMeta, or from its Go type when the
// TypeMeta is empty (an object built in code).
func resourceOf(obj api.Object) (*api.Resource, error) {
	if obj == nil || reflect.ValueOf(obj).IsNil() {
		return nil, api.NewError(api.ReasonBadRequest, "controller write of a nil object")
	}
	if res, ok := api.ResourceForKind(obj.GetTypeMeta().Kind); ok {
		return res, nil
	}
	for _, r := range api.Resources() {
		if reflect.TypeOf(r.New()) == reflect.TypeOf(obj) {
			return r, nil
		}
	}
	return nil, api.NewError(api.ReasonBadRequest, "controller write of an unknown kind %T", obj)
}

func (w controllerWriter) Create(ctx context.Context, obj api.Object) (api.Object, error) {
	res, err := resourceOf(obj)
	if err != nil {
		return nil, err
	}
	rec, err := w.s.createObject(ctx, res, api.DeepCopy(obj))
	return result(rec, err)
}

func (w controllerWriter) Update(ctx context.Context, obj api.Object) (api.Object, error) {
	return w.update(ctx, obj, false)
}

func (w controllerWriter) UpdateStatus(ctx context.Context, obj api.Object) (api.Object, error) {
	return w.update(ctx, obj, true)
}

func (w controllerWriter) update(ctx context.Context, obj api.Object, status bool) (api.Object, error) {
	res, err := resourceOf(obj)
	if err != nil {
		return nil, err
	}
	obj = api.DeepCopy(obj)
	m := obj.GetObjectMeta()
	t := target{res: res, namespace: m.Namespace, name: m.Name, status: status}
	if !res.Namespaced {
		t.namespace = ""
	}
	tm := obj.GetTypeMeta()
	tm.APIVersion, tm.Kind = res.APIVersion(), res.Kind
	rec, err := w.s.updateObject(ctx, t, obj)
	return result(rec, err)
}

func (w controllerWriter) Delete(ctx context.Context, res *api.Resource, ns, name string, opts controller.DeleteOptions) error {
	if res == nil {
		return api.NewError(api.ReasonBadRequest, "controller delete of a nil resource")
	}
	if !res.Namespaced {
		ns = ""
	}
	t := target{res: res, namespace: ns, name: name}
	cmd := raftfsm.Command{Type: raftfsm.CmdDelete, Kind: res.Kind, Namespace: ns, Name: name, UID: opts.UID}
	_, err := w.s.deleteWithPolicy(ctx, t, cmd, opts.GracePeriodSeconds, opts.PropagationPolicy)
	if err != nil {
		return toAPIError(err)
	}
	return nil
}

// result turns the store's record into a private copy, and errors into API errors.
func result(rec *raftfsm.Record, err error) (api.Object, error) {
	if err != nil {
		return nil, toAPIError(err)
	}
	return api.DeepCopy(rec.Object), nil
}

// controllerEnv is what every controller is built with.
func (s *Server) controllerEnv() controller.Env {
	return controller.Env{
		Store: s.fsm, Writer: controllerWriter{s}, Log: s.log.With("component", "controller"),
		Events: s.events.For("berth-controller-manager"),
	}
}

// newControllers builds the leader's controllers; one line per controller.
func (s *Server) newControllers(env controller.Env) []controller.Controller {
	var cs []controller.Controller
	cs = append(cs, controller.NewNodeLifecycle(env, s.nodeLifecycleConfig()))
	cs = append(cs, controller.NewGarbageCollector(env))
	cs = append(cs, controller.NewNamespaceController(env))
	cs = append(cs, controller.NewReplicaSetController(env))
	cs = append(cs, controller.NewDeploymentController(env))
	cs = append(cs, controller.NewStatefulSetController(env))
	cs = append(cs, controller.NewDaemonSetController(env))
	cs = append(cs, controller.NewJobController(env))
	cs = append(cs, controller.NewEndpointsController(env))
	cs = append(cs, controller.NewResourceQuotaController(env))
	return cs
}

// runControllers runs every controller until ctx (the leadership) ends.
func (s *Server) runControllers(ctx context.Context) {
	var wg sync.WaitGroup
	for _, c := range s.newControllers(s.controllerEnv()) {
		wg.Go(func() {
			if err := c.Run(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("controller stopped", "controller", c.Name(), "err", err)
			}
		})
	}
	wg.Wait()
}
