package runtime

import (
	"maps"
	"testing"
)

func TestMetaLabels(t *testing.T) {
	tests := []struct {
		name  string
		meta  Meta
		extra map[string]string
	}{
		{name: "sandbox", meta: Meta{PodUID: "u1", Namespace: "ns", PodName: "p", Sandbox: true}},
		{name: "container", meta: Meta{PodUID: "u1", Namespace: "ns", PodName: "p", ContainerName: "c", Attempt: 4}},
		{name: "user labels kept, ours win", meta: Meta{PodUID: "u2", Namespace: "ns", PodName: "p", ContainerName: "c"},
			extra: map[string]string{"app": "web", LabelPodUID: "forged", LabelManaged: "false"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := maps.Clone(tc.extra)
			l := tc.meta.Labels(tc.extra)
			if got := MetaFromLabels(l); got != tc.meta {
				t.Errorf("round trip = %+v, want %+v", got, tc.meta)
			}
			if !IsManaged(l) {
				t.Error("labels not managed")
			}
			for k, v := range tc.extra {
				if _, ours := l[k]; ours && k != LabelPodUID && k != LabelManaged && l[k] != v {
					t.Errorf("user label %s = %q, want %q", k, l[k], v)
				}
			}
			if !maps.Equal(before, tc.extra) {
				t.Error("Labels modified its argument")
			}
		})
	}
}

func TestMetaFromBadLabels(t *testing.T) {
	tests := []struct {
		name   string
		labels map[string]string
		want   Meta
	}{
		{name: "nil", labels: nil, want: Meta{}},
		{name: "bad attempt", labels: map[string]string{LabelAttempt: "x", LabelSandbox: "yes"}, want: Meta{}},
		{name: "negative attempt", labels: map[string]string{LabelAttempt: "-3", LabelPodName: "p"}, want: Meta{PodName: "p"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := MetaFromLabels(tc.labels); got != tc.want {
				t.Errorf("MetaFromLabels = %+v, want %+v", got, tc.want)
			}
		})
	}
}
