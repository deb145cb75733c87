package controller

import (
	"context"
	"fmt"
	"maps"

	"github.com/berth-dev/berth/api"
)

// Where an ordinal's volumes live. Berth has no PersistentVolumes: a claim is an
// engine volume on the node the ordinal's pod ran on, so a replacement pod must go
// back to that node. The record of it is a ConfigMap <set>-volume-nodes (data: pod
// name → node name), not an annotation on the set: `berth apply` replaces a set's
// metadata wholesale and would erase an annotation exactly while a rolling update
// replaces pods. The ConfigMap plays the part of Kubernetes' PVC objects:
//   - whenDeleted Retain (the default) leaves it when the set is deleted, so a set
//     recreated under the same name finds its volumes again; Delete gives it an
//     ownerReference to the set, and the garbage collector removes it with the set;
//   - whenScaled Delete forgets the ordinals above the replica count once their
//     pods are gone; Retain keeps them for a later scale-up;
//   - an entry naming a node that no longer exists is dropped (with a Warning): that
//     data is gone with the node, and the ordinal may start afresh elsewhere.
//
// The engine volumes themselves are never removed by the controller (it cannot
// reach the nodes); `docker volume rm berth-claim-<namespace>_<claim>` on the node
// does.
const (
	stsPlacementSuffix = "-volume-nodes"
	// stsPlacementLabel marks the ConfigMap as this controller's record for the
	// set it names; a ConfigMap of the same name without it is the user's, and the
	// controller leaves it (and volume placement) alone.
	stsPlacementLabel = "statefulset.berth.io/volume-nodes-of"
)

// stsPlacement is one set's record, loaded at the start of a sync and saved at its
// end when changed.
type stsPlacement struct {
	name   string
	stored *api.ConfigMap    // nil when none exists yet
	nodes  map[string]string // pod name → node
	usable bool              // false: a foreign ConfigMap holds the name
	dirty  bool
}

// loadPlacement reads the set's record; a set without claims has none.
func (c *StatefulSetController) loadPlacement(set *api.StatefulSet) *stsPlacement {
	pl := &stsPlacement{name: set.Name + stsPlacementSuffix, nodes: map[string]string{}}
	if len(set.Spec.VolumeClaimTemplates) == 0 {
		return pl
	}
	rec, ok := c.env.Store.Get(c.cmRes, set.Namespace, pl.name)
	if !ok {
		pl.usable = true
		return pl
	}
	cm, isCM := rec.Object.(*api.ConfigMap)
	if !isCM || cm.Labels[stsPlacementLabel] != set.Name {
		c.event(set, "Warning", "VolumePlacementConflict", fmt.Sprintf(
			"ConfigMap %s exists and is not this StatefulSet's volume record: pods are not pinned to their volumes' nodes", pl.name))
		return pl
	}
	pl.stored, pl.usable = cm, true
	maps.Copy(pl.nodes, cm.Data)
	return pl
}

// observe records the node of a bound, live pod of the set: the pod that runs is
// where the ordinal's data is now.
func (pl *stsPlacement) observe(p *api.Pod) {
	if !pl.usable || p.Spec.NodeName == "" || podIsTerminating(p) {
		return
	}
	if pl.nodes[p.Name] != p.Spec.NodeName {
		pl.nodes[p.Name] = p.Spec.NodeName
		pl.dirty = true
	}
}

func (pl *stsPlacement) forget(podName string) {
	if _, ok := pl.nodes[podName]; ok {
		delete(pl.nodes, podName)
		pl.dirty = true
	}
}

// nodeFor is the node a new pod of that name must run on, or "" when it may run
// anywhere. A recorded node that no longer exists is forgotten.
func (c *StatefulSetController) nodeFor(set *api.StatefulSet, pl *stsPlacement, podName string) string {
	node := pl.nodes[podName]
	if node == "" {
		return ""
	}
	if _, ok := c.env.Store.Get(c.nodeRes, "", node); !ok {
		pl.forget(podName)
		c.event(set, "Warning", "VolumeNodeGone", fmt.Sprintf(
			"node %s that held the volumes of pod %s is gone: the pod starts with new volumes", node, podName))
		return ""
	}
	return node
}

// savePlacement writes the record when it changed (or its ownership must follow
// the retention policy).
func (c *StatefulSetController) savePlacement(ctx context.Context, set *api.StatefulSet, pl *stsPlacement) error {
	if !pl.usable || len(set.Spec.VolumeClaimTemplates) == 0 {
		return nil
	}
	owners := stsPlacementOwners(set)
	if pl.stored == nil {
		if len(pl.nodes) == 0 {
			return nil
		}
		cm := &api.ConfigMap{ObjectMeta: api.ObjectMeta{
			Name: pl.name, Namespace: set.Namespace,
			Labels:          map[string]string{stsPlacementLabel: set.Name},
			OwnerReferences: owners,
		}, Data: pl.nodes}
		_, err := c.env.Writer.Create(ctx, cm)
		return err
	}
	if !pl.dirty && sameOwnerUIDs(pl.stored.OwnerReferences, owners) {
		return nil
	}
	cm := api.DeepCopy(pl.stored).(*api.ConfigMap)
	cm.Data, cm.OwnerReferences = pl.nodes, owners
	_, err := c.env.Writer.Update(ctx, cm)
	return err
}

// stsPlacementOwners is the record's ownerReferences under the set's whenDeleted
// policy: none for Retain, the set for Delete.
func stsPlacementOwners(set *api.StatefulSet) []api.OwnerReference {
	p := set.Spec.PersistentVolumeClaimRetentionPolicy
	if p == nil || p.WhenDeleted != api.DeletePersistentVolumeClaimRetentionPolicyType {
		return nil
	}
	ref := NewControllerRef(set)
	no := false
	ref.Controller, ref.BlockOwnerDeletion = &no, &no
	return []api.OwnerReference{ref}
}

func sameOwnerUIDs(a, b []api.OwnerReference) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].UID != b[i].UID {
			return false
		}
	}
	return true
}

// stsWhenScaledDelete reports whether scaled-away ordinals lose their volumes.
func stsWhenScaledDelete(set *api.StatefulSet) bool {
	p := set.Spec.PersistentVolumeClaimRetentionPolicy
	return p != nil && p.WhenScaled == api.DeletePersistentVolumeClaimRetentionPolicyType
}
