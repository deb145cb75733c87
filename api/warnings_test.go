package api

import (
	"strings"
	"testing"
)

func TestWarnings(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []string
	}{
		{"plain pod has none", podHead + "  containers: [{name: c, image: i}]\n", nil},
		{"pod fields", podHead + "  securityContext: {runAsUser: 1}\n  dnsConfig: {nameservers: [1.1.1.1]}\n  hostAliases: [{ip: 1.2.3.4, hostnames: [a]}]\n" +
			"  readinessGates: [{conditionType: x}]\n  topologySpreadConstraints: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule}]\n" +
			"  overhead: {cpu: 10m}\n  runtimeClassName: gvisor\n" +
			"  volumes: [{name: a, persistentVolumeClaim: {claimName: c}}, {name: b, projected: {sources: []}}, {name: d, downwardAPI: {}}, {name: e, nfs: {server: s, path: /}}]\n" +
			"  containers: [{name: c, image: i, securityContext: {privileged: true}, lifecycle: {preStop: {sleep: {seconds: 1}}}, livenessProbe: {grpc: {port: 9}}}]\n",
			[]string{"spec.securityContext", "spec.dnsConfig", "spec.hostAliases", "spec.readinessGates", "spec.topologySpreadConstraints",
				"spec.overhead", "spec.runtimeClassName", "spec.containers[0].securityContext", "spec.containers[0].lifecycle",
				"spec.containers[0].livenessProbe.grpc", "spec.volumes[0].persistentVolumeClaim", "spec.volumes[1].projected",
				"spec.volumes[2].downwardAPI", "spec.volumes[3].nfs"}},
		{"template paths", deployHead + "  selector: {matchLabels: {a: b}}\n  template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: i}], initContainers: [{name: i, image: i, lifecycle: {}}]}}\n",
			[]string{"spec.template.spec.initContainers[0].lifecycle"}},
		{"service", "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: x}\nspec: {type: LoadBalancer, externalIPs: [1.2.3.4], loadBalancerIP: 1.2.3.5, loadBalancerSourceRanges: [10.0.0.0/8], ports: [{port: 80}]}\n",
			[]string{"spec.type", "spec.externalIPs", "spec.loadBalancerIP", "spec.loadBalancerSourceRanges"}},
		{"configmap has none", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Warnings(mustDecode(t, tt.doc))
			var want []string
			for _, f := range tt.want {
				want = append(want, f+": not supported by Berth yet, ignored")
			}
			if !sameSet(got, want) {
				t.Errorf("Warnings =\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
		})
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, x := range a {
		seen[x]++
	}
	for _, x := range b {
		seen[x]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}
