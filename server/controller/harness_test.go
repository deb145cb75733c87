package controller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/raft"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

// harness is a store and a Writer without Raft or HTTP: commands are applied to a
// real raftfsm.FSM at increasing indexes, and the Writer does what the server's
// admission does that controllers depend on (stamping, defaulting, validation,
// generation, status preservation, graceful delete of bound pods).
type harness struct {
	t   testing.TB
	fsm *raftfsm.FSM

	mu    sync.Mutex
	index uint64
	// writes counts successful commands (a controller that loops writing is a bug).
	writes int
	events []recordedEvent
}

type recordedEvent struct{ Kind, Name, Type, Reason, Message string }

func newHarness(t testing.TB) *harness {
	t.Helper()
	h := &harness{t: t, fsm: raftfsm.New(raftfsm.DefaultConfig())}
	for _, ns := range []string{"default", "berth-system"} {
		h.mustCreate(&api.Namespace{ObjectMeta: api.ObjectMeta{Name: ns}})
	}
	return h
}

func (h *harness) env() Env {
	return Env{Store: h.fsm, Writer: h, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Events: h}
}

// Record implements EventRecorder.
func (h *harness) Record(obj api.Object, eventType, reason, message string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, recordedEvent{obj.GetTypeMeta().Kind, obj.GetObjectMeta().Name, eventType, reason, message})
}

func (h *harness) eventsFor(name string) []recordedEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []recordedEvent
	for _, e := range h.events {
		if e.Name == name {
			out = append(out, e)
		}
	}
	return out
}

func (h *harness) apply(cmd raftfsm.Command) (*raftfsm.Record, error) {
	data, err := raftfsm.EncodeCommand(&cmd)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.index++
	resp, ok := h.fsm.Apply(&raft.Log{Index: h.index, Type: raft.LogCommand, Data: data}).(*raftfsm.Response)
	if !ok || len(resp.Results) == 0 {
		return nil, fmt.Errorf("harness: bad apply response %T", resp)
	}
	r := resp.Results[0]
	if r.Err != nil {
		return nil, toAPIErr(r.Err)
	}
	h.writes++
	return r.Record, nil
}

func toAPIErr(err error) error {
	var reason api.StatusReason = api.ReasonInternalError
	switch {
	case errors.Is(err, raftfsm.ErrNotFound), errors.Is(err, raftfsm.ErrNamespaceNotFound):
		reason = api.ReasonNotFound
	case errors.Is(err, raftfsm.ErrAlreadyExists):
		reason = api.ReasonAlreadyExists
	case errors.Is(err, raftfsm.ErrConflict):
		reason = api.ReasonConflict
	}
	return api.NewError(reason, "%v", err)
}

func resOf(obj api.Object) *api.Resource {
	res, ok := api.ResourceForKind(obj.GetTypeMeta().Kind)
	if !ok {
		// A typed object with an empty TypeMeta: find it by Go type.
		for _, r := range api.Resources() {
			if reflect.TypeOf(r.New()) == reflect.TypeOf(obj) {
				return r
			}
		}
	}
	return res
}

func (h *harness) Create(_ context.Context, obj api.Object) (api.Object, error) {
	res := resOf(obj)
	if res == nil {
		return nil, api.NewError(api.ReasonBadRequest, "harness: unknown kind %T", obj)
	}
	obj = api.DeepCopy(obj)
	tm, m := obj.GetTypeMeta(), obj.GetObjectMeta()
	tm.APIVersion, tm.Kind = res.APIVersion(), res.Kind
	if m.Name == "" && m.GenerateName != "" {
		m.Name = m.GenerateName + uuid.NewString()[:5]
	}
	if !res.Namespaced {
		m.Namespace = ""
	} else if m.Namespace == "" {
		m.Namespace = "default"
	}
	m.UID = uuid.NewString()
	m.CreationTimestamp = api.NewTime(time.Now())
	m.ResourceVersion, m.Generation = "", 1
	api.Default(obj)
	if err := api.Validate(obj); err != nil {
		return nil, err
	}
	body, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	rec, err := h.apply(raftfsm.Command{Type: raftfsm.CmdCreate, Kind: res.Kind, Namespace: m.Namespace, Name: m.Name, Object: body})
	if err != nil {
		return nil, err
	}
	return api.DeepCopy(rec.Object), nil
}

func (h *harness) update(obj api.Object, status bool) (api.Object, error) {
	res := resOf(obj)
	obj = api.DeepCopy(obj)
	m := obj.GetObjectMeta()
	if res.Namespaced && m.Namespace == "" {
		m.Namespace = "default"
	}
	cur, ok := h.fsm.Get(res, m.Namespace, m.Name)
	if !ok {
		return nil, api.NewError(api.ReasonNotFound, "%s %q not found", res.Plural, m.Name)
	}
	if m.ResourceVersion != "" && m.ResourceVersion != strconv.FormatUint(cur.RV, 10) {
		return nil, api.NewError(api.ReasonConflict, "%s %q: the object has been modified", res.Plural, m.Name)
	}
	api.Default(obj)
	if err := api.Validate(obj); err != nil {
		return nil, err
	}
	old := cur.Object
	om := old.GetObjectMeta()
	m.UID, m.CreationTimestamp, m.Generation = om.UID, om.CreationTimestamp, om.Generation
	if status {
		next := api.DeepCopy(old)
		copyStatusField(next, obj)
		obj = next
	} else {
		copyStatusField(obj, old)
		if specDiffers(obj, old) {
			m.Generation++
		}
		m.DeletionTimestamp, m.DeletionGracePeriodSeconds = om.DeletionTimestamp, om.DeletionGracePeriodSeconds
	}
	body, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	typ := raftfsm.CmdUpdate
	if status {
		typ = raftfsm.CmdUpdateStatus
	}
	rec, err := h.apply(raftfsm.Command{Type: typ, Kind: res.Kind, Namespace: m.Namespace, Name: m.Name, ResourceVersion: cur.RV, Object: body})
	if err != nil {
		return nil, err
	}
	return api.DeepCopy(rec.Object), nil
}

func (h *harness) Update(_ context.Context, obj api.Object) (api.Object, error) {
	return h.update(obj, false)
}

func (h *harness) UpdateStatus(_ context.Context, obj api.Object) (api.Object, error) {
	return h.update(obj, true)
}

// Delete removes the object; a bound pod without a zero grace period is only
// marked terminating (the test plays its node's agent with finishPod).
func (h *harness) Delete(_ context.Context, res *api.Resource, ns, name string, opts DeleteOptions) error {
	cur, ok := h.fsm.Get(res, ns, name)
	if !ok {
		return api.NewError(api.ReasonNotFound, "%s %q not found", res.Plural, name)
	}
	if opts.UID != "" && opts.UID != cur.Object.GetObjectMeta().UID {
		return api.NewError(api.ReasonConflict, "%s %q: precondition failed: uid", res.Plural, name)
	}
	if pod, ok := cur.Object.(*api.Pod); ok && pod.Spec.NodeName != "" &&
		(opts.GracePeriodSeconds == nil || *opts.GracePeriodSeconds > 0) {
		if pod.DeletionTimestamp != nil {
			return nil
		}
		next := api.DeepCopy(pod).(*api.Pod)
		next.DeletionTimestamp = api.NewTime(time.Now())
		body, _ := json.Marshal(next)
		_, err := h.apply(raftfsm.Command{Type: raftfsm.CmdUpdate, Kind: "Pod", Namespace: ns, Name: name, ResourceVersion: cur.RV, Object: body})
		return err
	}
	_, err := h.apply(raftfsm.Command{Type: raftfsm.CmdDelete, Kind: res.Kind, Namespace: ns, Name: name})
	return err
}

func copyStatusField(dst, src api.Object) {
	d := reflect.ValueOf(dst).Elem().FieldByName("Status")
	s := reflect.ValueOf(src).Elem().FieldByName("Status")
	if d.IsValid() && s.IsValid() && d.CanSet() && d.Type() == s.Type() {
		d.Set(s)
	}
}

func specDiffers(a, b api.Object) bool {
	strip := func(o api.Object) map[string]json.RawMessage {
		raw, _ := json.Marshal(o)
		var m map[string]json.RawMessage
		json.Unmarshal(raw, &m)
		delete(m, "metadata")
		delete(m, "status")
		return m
	}
	return !reflect.DeepEqual(strip(a), strip(b))
}

func (h *harness) mustCreate(obj api.Object) api.Object {
	h.t.Helper()
	out, err := h.Create(context.Background(), obj)
	if err != nil {
		h.t.Fatalf("create %T %s: %v", obj, obj.GetObjectMeta().Name, err)
	}
	return out
}

// get returns a copy of the stored object, or nil.
func (h *harness) get(kind, ns, name string) api.Object {
	res, _ := api.ResourceForKind(kind)
	rec, ok := h.fsm.Get(res, ns, name)
	if !ok {
		return nil
	}
	return api.DeepCopy(rec.Object)
}

// list returns copies of the stored objects of kind in ns ("" = all).
func (h *harness) list(kind, ns string) []api.Object {
	res, _ := api.ResourceForKind(kind)
	recs, _ := h.fsm.List(res, ns)
	out := make([]api.Object, 0, len(recs))
	for _, r := range recs {
		out = append(out, api.DeepCopy(r.Object))
	}
	return out
}

// pods lists the pods of ns, live ones only unless all.
func (h *harness) pods(ns string, all bool) []*api.Pod {
	var out []*api.Pod
	for _, o := range h.list("Pod", ns) {
		p := o.(*api.Pod)
		if all || p.DeletionTimestamp == nil {
			out = append(out, p)
		}
	}
	return out
}

// runPod plays the node agent: binds (if unbound) and marks the pod Running and,
// when ready, Ready.
func (h *harness) runPod(p *api.Pod, node string, ready bool) {
	h.t.Helper()
	if p.Spec.NodeName == "" {
		p.Spec.NodeName = node
		out, err := h.Update(context.Background(), p)
		if err != nil {
			h.t.Fatalf("bind %s: %v", p.Name, err)
		}
		p = out.(*api.Pod)
	}
	status := "False"
	if ready {
		status = "True"
	}
	now := api.NewTime(time.Now().Add(-time.Hour)) // long enough ago for minReadySeconds
	p.Status.Phase = api.PodRunning
	p.Status.Conditions = []api.PodCondition{{Type: api.PodReady, Status: status, LastTransitionTime: now}}
	if _, err := h.UpdateStatus(context.Background(), p); err != nil {
		h.t.Fatalf("status %s: %v", p.Name, err)
	}
}

// finishPod plays the agent confirming a graceful delete.
func (h *harness) finishPod(p *api.Pod) {
	h.t.Helper()
	res, _ := api.ResourceForKind("Pod")
	zero := int64(0)
	if err := h.Delete(context.Background(), res, p.Namespace, p.Name, DeleteOptions{GracePeriodSeconds: &zero}); err != nil && api.ReasonOf(err) != api.ReasonNotFound {
		h.t.Fatalf("confirm delete %s: %v", p.Name, err)
	}
}

// run starts c under a context cancelled when the test ends.
func (h *harness) run(c Controller) context.CancelFunc {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Run(ctx)
	}()
	h.t.Cleanup(func() {
		cancel()
		<-done
	})
	return cancel
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
