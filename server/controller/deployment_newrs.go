package controller

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/berth-dev/berth/api"
)

// replicaSetsAndSyncRevision splits rsList into the Deployment's current
// ReplicaSet (the oldest whose template equals the Deployment's; nil if none) and
// the old ones, brings the current one's revision and annotations up to date and,
// when create is set and there is none, creates it. It returns d as stored after
// its own writes.
func (c *DeploymentController) replicaSetsAndSyncRevision(ctx context.Context, d *api.Deployment, rsList []*api.ReplicaSet, create bool) (newRS *api.ReplicaSet, oldRSs []*api.ReplicaSet, _ *api.Deployment, err error) {
	sorted := slices.Clone(rsList)
	slices.SortFunc(sorted, byCreation)
	var current *api.ReplicaSet
	for _, rs := range sorted {
		if current == nil && equalIgnoreHash(&rs.Spec.Template, &d.Spec.Template) {
			current = rs
			continue
		}
		oldRSs = append(oldRSs, rs)
	}
	newRevision := maxRevision(oldRSs) + 1
	if current != nil {
		newRS, d, err = c.syncCurrentReplicaSet(ctx, d, current, newRevision)
		return newRS, oldRSs, d, err
	}
	if !create {
		return nil, oldRSs, d, nil
	}
	newRS, d, err = c.createReplicaSet(ctx, d, oldRSs, newRevision)
	return newRS, oldRSs, d, err
}

// syncCurrentReplicaSet updates the annotations and minReadySeconds of the
// existing ReplicaSet of the current template (after a rollback it moves up to the
// new revision).
func (c *DeploymentController) syncCurrentReplicaSet(ctx context.Context, d *api.Deployment, rs *api.ReplicaSet, newRevision int64) (*api.ReplicaSet, *api.Deployment, error) {
	cp := api.DeepCopy(rs).(*api.ReplicaSet)
	changed := setNewReplicaSetAnnotations(d, cp, newRevision, true)
	if changed || cp.Spec.MinReadySeconds != d.Spec.MinReadySeconds {
		cp.Spec.MinReadySeconds = d.Spec.MinReadySeconds
		out, err := c.env.Writer.Update(ctx, cp)
		if err != nil {
			return nil, d, fmt.Errorf("deployment %s/%s: update replica set %s: %w", d.Namespace, d.Name, rs.Name, err)
		}
		rs = out.(*api.ReplicaSet)
	}
	d, err := c.setDeploymentRevision(ctx, d, rs.Annotations[revisionAnnotation])
	if err != nil {
		return rs, d, err
	}
	if hasProgressDeadline(d) && deploymentCondition(d.Status, api.DeploymentProgressing) == nil {
		setDeploymentCondition(&d.Status, c.newCondition(api.DeploymentProgressing, api.ConditionTrue, reasonFoundNewRS,
			fmt.Sprintf("Found new replica set %q", rs.Name)))
		d, err = c.writeDeploymentStatus(ctx, d)
	}
	return rs, d, err
}

// newReplicaSetFor is the ReplicaSet of d's current template, with the template's
// hash in its name, labels, selector and pod template.
func newReplicaSetFor(d *api.Deployment, hash string) *api.ReplicaSet {
	tmpl := d.Spec.Template // d is the sync's private copy; the Writer copies again
	tmpl.Labels = maps.Clone(tmpl.Labels)
	if tmpl.Labels == nil {
		tmpl.Labels = map[string]string{}
	}
	tmpl.Labels[podTemplateHashLabel] = hash
	sel := &api.LabelSelector{MatchLabels: map[string]string{}}
	if d.Spec.Selector != nil {
		maps.Copy(sel.MatchLabels, d.Spec.Selector.MatchLabels)
		sel.MatchExpressions = d.Spec.Selector.MatchExpressions
	}
	sel.MatchLabels[podTemplateHashLabel] = hash
	zero := int32(0)
	return &api.ReplicaSet{
		TypeMeta: api.TypeMeta{APIVersion: "apps/v1", Kind: "ReplicaSet"},
		ObjectMeta: api.ObjectMeta{
			Name: d.Name + "-" + hash, Namespace: d.Namespace, Labels: maps.Clone(tmpl.Labels),
			OwnerReferences: []api.OwnerReference{NewControllerRef(d)},
		},
		Spec: api.ReplicaSetSpec{Replicas: &zero, MinReadySeconds: d.Spec.MinReadySeconds, Selector: sel, Template: tmpl},
	}
}

// createReplicaSet creates the ReplicaSet of the current template, sized as the
// strategy allows. A name taken by a ReplicaSet that is not this template's (a
// hash collision) bumps status.collisionCount, which changes the hash, and fails
// the sync so it runs again.
func (c *DeploymentController) createReplicaSet(ctx context.Context, d *api.Deployment, oldRSs []*api.ReplicaSet, newRevision int64) (*api.ReplicaSet, *api.Deployment, error) {
	rs := newReplicaSetFor(d, templateHash(&d.Spec.Template, d.Status.CollisionCount))
	n := newRSNewReplicas(d, withNew(oldRSs, rs), rs)
	rs.Spec.Replicas = &n
	setNewReplicaSetAnnotations(d, rs, newRevision, false)

	out, err := c.env.Writer.Create(ctx, rs)
	alreadyExists := false
	switch {
	case api.ReasonOf(err) == api.ReasonAlreadyExists:
		if rec, ok := c.env.Store.Get(c.rsRes, d.Namespace, rs.Name); ok {
			cur, _ := rec.Object.(*api.ReplicaSet)
			if ref := ControllerOf(rec.Object); cur != nil && ref != nil && ref.UID == d.UID && equalIgnoreHash(&d.Spec.Template, &cur.Spec.Template) {
				out, err, alreadyExists = cur, nil, true // ours, created by an earlier sync
				break
			}
		}
		count := int32(1)
		if d.Status.CollisionCount != nil {
			count = *d.Status.CollisionCount + 1
		}
		d.Status.CollisionCount = &count
		if _, werr := c.writeDeploymentStatus(ctx, d); werr != nil {
			return nil, d, werr
		}
		return nil, d, fmt.Errorf("deployment %s/%s: replica set name %s is taken (hash collision; collisionCount now %d)", d.Namespace, d.Name, rs.Name, count)
	case err != nil:
		msg := fmt.Sprintf("Failed to create new replica set %q: %v", rs.Name, err)
		c.event(d, "Warning", reasonFailedRSCreate, msg)
		if hasProgressDeadline(d) {
			setDeploymentCondition(&d.Status, c.newCondition(api.DeploymentProgressing, api.ConditionFalse, reasonFailedRSCreate, msg))
			d, _ = c.writeDeploymentStatus(ctx, d)
		}
		return nil, d, fmt.Errorf("deployment %s/%s: %s", d.Namespace, d.Name, msg)
	}
	created := out.(*api.ReplicaSet)
	if !alreadyExists && n > 0 {
		c.event(d, "Normal", "ScalingReplicaSet", fmt.Sprintf("Scaled up replica set %s to %d", created.Name, n))
	}
	d, err = c.setDeploymentRevision(ctx, d, created.Annotations[revisionAnnotation])
	if err != nil {
		return created, d, err
	}
	if !alreadyExists && hasProgressDeadline(d) {
		setDeploymentCondition(&d.Status, c.newCondition(api.DeploymentProgressing, api.ConditionTrue, reasonNewRSCreated,
			fmt.Sprintf("Created new replica set %q", created.Name)))
		d, err = c.writeDeploymentStatus(ctx, d)
	}
	return created, d, err
}

// setDeploymentRevision writes the revision annotation on the Deployment itself.
// It is metadata, so it takes an update (a status write carries no metadata); the
// status this sync is computing is kept on the returned copy.
func (c *DeploymentController) setDeploymentRevision(ctx context.Context, d *api.Deployment, revision string) (*api.Deployment, error) {
	if revision == "" || d.Annotations[revisionAnnotation] == revision {
		return d, nil
	}
	cp := api.DeepCopy(d).(*api.Deployment)
	if cp.Annotations == nil {
		cp.Annotations = map[string]string{}
	}
	cp.Annotations[revisionAnnotation] = revision
	out, err := c.env.Writer.Update(ctx, cp)
	if err != nil {
		return d, fmt.Errorf("deployment %s/%s: set revision: %w", d.Namespace, d.Name, err)
	}
	nd := out.(*api.Deployment)
	nd.Status = d.Status
	return nd, nil
}
