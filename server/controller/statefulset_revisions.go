package controller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/berth-dev/berth/api"
)

// Revisions. Kubernetes keeps each template a StatefulSet has had in a
// ControllerRevision named <set>-<hash>, so a pod below the partition can be made
// again from the old template. Berth has no ControllerRevision kind; the same
// record is an immutable ConfigMap of the same name (status.currentRevision and
// updateRevision name it), holding the template as JSON, owned by the set (the
// garbage collector removes it with the set) and trimmed to revisionHistoryLimit
// beyond the current and update revisions.
const (
	// stsRevisionOfLabel marks a revision ConfigMap with its set's name.
	stsRevisionOfLabel = "statefulset.berth.io/revision-of"
	// stsRevisionTemplateKey is the data key that holds the template.
	stsRevisionTemplateKey = "template"
)

// ensureRevision stores the set's current template as revision rev, once, and
// trims the history when it adds one.
func (c *StatefulSetController) ensureRevision(ctx context.Context, st *stsState) error {
	set := st.set
	if rec, ok := c.env.Store.Get(c.cmRes, set.Namespace, st.update); ok {
		if !stsOwnsRevision(set, rec.Object) {
			c.event(set, "Warning", "RevisionConflict", fmt.Sprintf(
				"ConfigMap %s exists and is not this StatefulSet's revision: pods below the partition are recreated at the update revision", st.update))
		}
		return nil
	}
	raw, err := json.Marshal(&set.Spec.Template)
	if err != nil {
		return err
	}
	yes := true
	cm := &api.ConfigMap{ObjectMeta: api.ObjectMeta{
		Name: st.update, Namespace: set.Namespace,
		Labels:          map[string]string{stsRevisionOfLabel: set.Name, api.ControllerRevisionHashLabel: st.update},
		OwnerReferences: []api.OwnerReference{NewControllerRef(set)},
	}, Immutable: &yes, Data: map[string]string{stsRevisionTemplateKey: string(raw)}}
	if _, err := c.env.Writer.Create(ctx, cm); err != nil && api.ReasonOf(err) != api.ReasonAlreadyExists {
		return err
	}
	return c.trimRevisions(ctx, st)
}

func stsOwnsRevision(set *api.StatefulSet, obj api.Object) bool {
	ref := ControllerOf(obj)
	return ref != nil && ref.UID == set.UID && obj.GetObjectMeta().Labels[stsRevisionOfLabel] == set.Name
}

// revisionTemplate is the template stored as revision rev, or nil.
func (c *StatefulSetController) revisionTemplate(set *api.StatefulSet, rev string) *api.PodTemplateSpec {
	rec, ok := c.env.Store.Get(c.cmRes, set.Namespace, rev)
	if !ok || !stsOwnsRevision(set, rec.Object) {
		return nil
	}
	cm, ok := rec.Object.(*api.ConfigMap)
	if !ok {
		return nil
	}
	var t api.PodTemplateSpec
	if err := json.Unmarshal([]byte(cm.Data[stsRevisionTemplateKey]), &t); err != nil {
		return nil
	}
	return &t
}

// trimRevisions deletes the oldest revisions beyond revisionHistoryLimit, never the
// current or the update one.
func (c *StatefulSetController) trimRevisions(ctx context.Context, st *stsState) error {
	set := st.set
	limit := 10
	if set.Spec.RevisionHistoryLimit != nil {
		limit = max(int(*set.Spec.RevisionHistoryLimit), 0)
	}
	var old []*api.ConfigMap
	for _, r := range c.env.Store.ListByOwner(c.cmRes, set.UID) {
		cm, ok := r.Object.(*api.ConfigMap)
		if ok && stsOwnsRevision(set, cm) && cm.Name != st.current && cm.Name != st.update {
			old = append(old, cm)
		}
	}
	if len(old) <= limit {
		return nil
	}
	created := func(cm *api.ConfigMap) int64 {
		if cm.CreationTimestamp == nil {
			return 0
		}
		return cm.CreationTimestamp.Unix()
	}
	sort.SliceStable(old, func(i, j int) bool { return created(old[i]) < created(old[j]) })
	var errs []error
	for _, cm := range old[:len(old)-limit] {
		err := c.env.Writer.Delete(ctx, c.cmRes, cm.Namespace, cm.Name, DeleteOptions{UID: cm.UID})
		if err != nil && api.ReasonOf(err) != api.ReasonNotFound {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
