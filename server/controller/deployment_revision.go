package controller

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"hash/fnv"
	"maps"
	"strconv"
	"strings"

	"github.com/berth-dev/berth/api"
)

// The labels and annotations of a rollout, with Kubernetes' names.
const (
	podTemplateHashLabel = "pod-template-hash"
	// revisionAnnotation numbers a Deployment's templates: the ReplicaSet of the
	// current template has the highest, and the Deployment carries it too.
	revisionAnnotation        = "deployment.kubernetes.io/revision"
	revisionHistoryAnnotation = "deployment.kubernetes.io/revision-history"
	// desiredReplicasAnnotation and maxReplicasAnnotation record, on each
	// ReplicaSet, the Deployment's replicas and replicas+maxSurge when it last
	// scaled the set: the base of proportional scaling.
	desiredReplicasAnnotation = "deployment.kubernetes.io/desired-replicas"
	maxReplicasAnnotation     = "deployment.kubernetes.io/max-replicas"
	// maxRevisionHistoryChars bounds the revision-history annotation.
	maxRevisionHistoryChars = 2000
)

// notCopiedAnnotations are the Deployment annotations its ReplicaSets do not get
// (everything else, such as kubernetes.io/change-cause, is copied).
var notCopiedAnnotations = map[string]bool{
	"kubectl.kubernetes.io/last-applied-configuration": true,
	revisionAnnotation:                  true,
	revisionHistoryAnnotation:           true,
	desiredReplicasAnnotation:           true,
	maxReplicasAnnotation:               true,
	"deprecated.deployment.rollback.to": true,
}

// hashAlphabet is the alphabet of Kubernetes' SafeEncodeString: no vowels (no
// words), no 0/1/3 (no confusion with o/l/e).
const hashAlphabet = "bcdfghjklmnpqrstvwxz2456789"

// templateHash is the pod-template-hash of a template: FNV-32a of its JSON (maps
// encode in key order, so it is stable), then the collision count, printed in
// decimal and mapped onto hashAlphabet.
func templateHash(t *api.PodTemplateSpec, collisionCount *int32) string {
	h := fnv.New32a()
	b, _ := json.Marshal(t) // a template always encodes
	h.Write(b)
	if collisionCount != nil {
		var buf [4]byte
		binary.LittleEndian.PutUint32(buf[:], uint32(*collisionCount))
		h.Write(buf[:])
	}
	return safeEncode(strconv.FormatUint(uint64(h.Sum32()), 10))
}

// safeEncode maps each byte onto hashAlphabet, as Kubernetes' SafeEncodeString.
func safeEncode(s string) string {
	out := make([]byte, len(s))
	for i := range len(s) {
		out[i] = hashAlphabet[int(s[i])%len(hashAlphabet)]
	}
	return string(out)
}

// equalIgnoreHash reports whether two templates are the same but for the
// pod-template-hash label.
func equalIgnoreHash(a, b *api.PodTemplateSpec) bool {
	strip := func(t *api.PodTemplateSpec) []byte {
		cp := *t
		cp.Labels = maps.Clone(t.Labels)
		delete(cp.Labels, podTemplateHashLabel)
		out, _ := json.Marshal(&cp)
		return out
	}
	return bytes.Equal(strip(a), strip(b))
}

// revisionOf is a ReplicaSet's revision annotation (0 when absent or malformed).
func revisionOf(rs *api.ReplicaSet) int64 {
	n, err := strconv.ParseInt(rs.Annotations[revisionAnnotation], 10, 64)
	if err != nil {
		return 0
	}
	return n
}

func maxRevision(list []*api.ReplicaSet) int64 {
	var m int64
	for _, rs := range list {
		m = max(m, revisionOf(rs))
	}
	return m
}

// setNewReplicaSetAnnotations brings the annotations of the Deployment's current
// ReplicaSet up to date: the Deployment's own annotations, the new revision (a
// ReplicaSet reused by a rollback moves up to it), and for a ReplicaSet being
// created the replica annotations. It reports a change.
func setNewReplicaSetAnnotations(d *api.Deployment, rs *api.ReplicaSet, newRevision int64, exists bool) bool {
	changed := false
	if rs.Annotations == nil {
		rs.Annotations = map[string]string{}
	}
	for k, v := range d.Annotations {
		if notCopiedAnnotations[k] || rs.Annotations[k] == v {
			continue
		}
		rs.Annotations[k] = v
		changed = true
	}
	old := rs.Annotations[revisionAnnotation]
	oldRevision, err := strconv.ParseInt(old, 10, 64)
	if err != nil && old != "" {
		return changed // someone else's value: leave it
	}
	if oldRevision < newRevision {
		rs.Annotations[revisionAnnotation] = strconv.FormatInt(newRevision, 10)
		changed = true
		if old != "" {
			rs.Annotations[revisionHistoryAnnotation] = appendRevisionHistory(rs.Annotations[revisionHistoryAnnotation], old)
		}
	}
	if !exists && setReplicasAnnotations(rs, replicasOf(d.Spec.Replicas), replicasOf(d.Spec.Replicas)+maxSurge(d)) {
		changed = true
	}
	return changed
}

// appendRevisionHistory adds rev to a comma-separated history, dropping the oldest
// entries past maxRevisionHistoryChars.
func appendRevisionHistory(history, rev string) string {
	parts := []string{rev}
	if history != "" {
		parts = append(strings.Split(history, ","), rev)
	}
	for len(parts) > 1 && len(strings.Join(parts, ",")) > maxRevisionHistoryChars {
		parts = parts[1:]
	}
	return strings.Join(parts, ",")
}

// setReplicasAnnotations records desired and max replicas on rs; it reports a change.
func setReplicasAnnotations(rs *api.ReplicaSet, desired, maxReplicas int32) bool {
	if !replicasAnnotationsNeedUpdate(rs, desired, maxReplicas) {
		return false
	}
	if rs.Annotations == nil {
		rs.Annotations = map[string]string{}
	}
	rs.Annotations[desiredReplicasAnnotation] = strconv.Itoa(int(desired))
	rs.Annotations[maxReplicasAnnotation] = strconv.Itoa(int(maxReplicas))
	return true
}

func replicasAnnotationsNeedUpdate(rs *api.ReplicaSet, desired, maxReplicas int32) bool {
	return rs.Annotations[desiredReplicasAnnotation] != strconv.Itoa(int(desired)) ||
		rs.Annotations[maxReplicasAnnotation] != strconv.Itoa(int(maxReplicas))
}

// intAnnotation reads a replica annotation; ok is false when absent or malformed.
func intAnnotation(rs *api.ReplicaSet, key string) (int32, bool) {
	v, ok := rs.Annotations[key]
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0, false
	}
	return int32(n), true
}
