package controller

import (
	"slices"
	"strconv"
	"strings"

	"github.com/berth-dev/berth/api"
)

// stsVolumeNodeAnnotation, on a pod, names the node its claim volumes live on: the
// controller added a required node affinity for that node, and this says why.
const stsVolumeNodeAnnotation = "statefulset.berth.io/volume-node"

// nodeFieldName is the node field a NodeSelectorRequirement of matchFields may
// name (the only one, in Kubernetes as in Berth's scheduler).
const nodeFieldName = "metadata.name"

// stsStart is the set's first ordinal.
func stsStart(set *api.StatefulSet) int {
	if set.Spec.Ordinals != nil && set.Spec.Ordinals.Start > 0 {
		return int(set.Spec.Ordinals.Start)
	}
	return 0
}

// stsReplicas is spec.replicas (nil means 1, as defaulting makes it).
func stsReplicas(set *api.StatefulSet) int {
	if set.Spec.Replicas == nil {
		return 1
	}
	return max(int(*set.Spec.Replicas), 0)
}

// stsPodName is the name of the set's pod with the given ordinal.
func stsPodName(set *api.StatefulSet, ordinal int) string {
	return set.Name + "-" + strconv.Itoa(ordinal)
}

// stsOrdinal parses a pod name made by stsPodName; ok is false for any other name.
func stsOrdinal(set *api.StatefulSet, podName string) (ordinal int, ok bool) {
	rest, found := strings.CutPrefix(podName, set.Name+"-")
	if !found || rest == "" || (len(rest) > 1 && rest[0] == '0') {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// stsRevisionName is the revision a template has in this set: <set>-<hash>, which
// is what Kubernetes puts in controller-revision-hash and status.*Revision.
func stsRevisionName(set *api.StatefulSet, t *api.PodTemplateSpec) string {
	return set.Name + "-" + podTemplateRevision(t)
}

// stsPodRevision is the revision a pod was made from.
func stsPodRevision(p *api.Pod) string { return p.Labels[api.ControllerRevisionHashLabel] }

// stsClaimName is the claim (and engine volume) of one ordinal, Kubernetes'
// <claim>-<set>-<ordinal>.
func stsClaimName(claim string, podName string) string { return claim + "-" + podName }

// stsNewPod builds ordinal's pod from template t at revision: the template with
// the set's identity (name, hostname, subdomain, labels), its claims as volumes,
// and, when node is not empty, a required node affinity for the node its volumes
// live on.
func stsNewPod(set *api.StatefulSet, t *api.PodTemplateSpec, revision string, ordinal int, node string) *api.Pod {
	name := stsPodName(set, ordinal)
	p := &api.Pod{ObjectMeta: t.ObjectMeta, Spec: t.Spec}
	p = api.DeepCopy(p).(*api.Pod) // the template's maps and slices stay the set's
	p.ObjectMeta = api.ObjectMeta{
		Name: name, Namespace: set.Namespace,
		Labels: p.Labels, Annotations: p.Annotations,
		OwnerReferences: []api.OwnerReference{NewControllerRef(set)},
	}
	if p.Labels == nil {
		p.Labels = map[string]string{}
	}
	p.Labels[api.StatefulSetPodNameLabel] = name
	p.Labels[api.PodIndexLabel] = strconv.Itoa(ordinal)
	p.Labels[api.ControllerRevisionHashLabel] = revision
	delete(p.Annotations, stsVolumeNodeAnnotation)
	p.Spec.Hostname, p.Spec.Subdomain = name, set.Spec.ServiceName
	p.Spec.NodeName = ""
	stsAddClaimVolumes(set, p)
	if node != "" && len(set.Spec.VolumeClaimTemplates) > 0 {
		stsRequireNode(p, node)
	}
	return p
}

// stsAddClaimVolumes gives the pod one persistentVolumeClaim volume per claim
// template, replacing a template volume of the same name, as Kubernetes does.
func stsAddClaimVolumes(set *api.StatefulSet, p *api.Pod) {
	if len(set.Spec.VolumeClaimTemplates) == 0 {
		return
	}
	claims := map[string]bool{}
	for _, c := range set.Spec.VolumeClaimTemplates {
		claims[c.Name] = true
	}
	vols := slices.DeleteFunc(p.Spec.Volumes, func(v api.Volume) bool { return claims[v.Name] })
	for _, c := range set.Spec.VolumeClaimTemplates {
		vols = append(vols, api.Volume{Name: c.Name, VolumeSource: api.VolumeSource{
			PersistentVolumeClaim: &api.PersistentVolumeClaimVolumeSource{ClaimName: stsClaimName(c.Name, p.Name)},
		}})
	}
	p.Spec.Volumes = vols
}

// stsRequireNode adds "metadata.name In [node]" to every required node selector
// term (a term is an OR branch, so each must carry it), or makes the one term, and
// notes the node in stsVolumeNodeAnnotation.
func stsRequireNode(p *api.Pod, node string) {
	req := api.NodeSelectorRequirement{Key: nodeFieldName, Operator: "In", Values: []string{node}}
	if p.Spec.Affinity == nil {
		p.Spec.Affinity = &api.Affinity{}
	}
	if p.Spec.Affinity.NodeAffinity == nil {
		p.Spec.Affinity.NodeAffinity = &api.NodeAffinity{}
	}
	na := p.Spec.Affinity.NodeAffinity
	if na.RequiredDuringSchedulingIgnoredDuringExecution == nil || len(na.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms) == 0 {
		na.RequiredDuringSchedulingIgnoredDuringExecution = &api.NodeSelector{NodeSelectorTerms: []api.NodeSelectorTerm{{}}}
	}
	terms := na.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
	for i := range terms {
		terms[i].MatchFields = append(terms[i].MatchFields, req)
	}
	if p.Annotations == nil {
		p.Annotations = map[string]string{}
	}
	p.Annotations[stsVolumeNodeAnnotation] = node
}
