package api

import (
	"strings"
	"testing"
)

// The documentation examples decode from one multi-document file, validate before
// and after Default, and get Kubernetes' defaults.
func TestWorkloadManifests(t *testing.T) {
	objs, err := DecodeManifests(mustReadFile(t, "testdata/workloads.yaml"))
	if err != nil {
		t.Fatalf("DecodeManifests: %v", err)
	}
	if len(objs) != 5 {
		t.Fatalf("got %d objects, want 5", len(objs))
	}
	for _, obj := range objs {
		if res, _ := ResourceForObject(obj); res.Namespaced && obj.GetObjectMeta().Namespace == "" {
			obj.GetObjectMeta().Namespace = "default" // the server takes the path's
		}
		if err := Validate(obj); err != nil {
			t.Errorf("Validate before Default: %v", err)
		}
		Default(obj)
		if err := Validate(obj); err != nil {
			t.Errorf("Validate after Default: %v", err)
		}
		once, _ := Encode(obj)
		Default(obj)
		if twice, _ := Encode(obj); string(once) != string(twice) {
			t.Errorf("Default is not idempotent:\n%s\n%s", once, twice)
		}
	}
	ss := objs[1].(*StatefulSet)
	if *ss.Spec.Replicas != 3 || ss.Spec.PodManagementPolicy != OrderedReadyPodManagement ||
		ss.Spec.UpdateStrategy.Type != RollingUpdateStatefulSetStrategyType || *ss.Spec.UpdateStrategy.RollingUpdate.Partition != 0 ||
		*ss.Spec.RevisionHistoryLimit != 10 || ss.Spec.PersistentVolumeClaimRetentionPolicy.WhenScaled != "Retain" ||
		*ss.Spec.VolumeClaimTemplates[0].Spec.VolumeMode != "Filesystem" {
		t.Errorf("statefulset defaults: %+v", ss.Spec)
	}
	if q := ss.Spec.VolumeClaimTemplates[0].Spec.Resources.Requests["storage"]; q.String() != "1Gi" {
		t.Errorf("claim request = %v", q)
	}
	if w := Warnings(ss); len(w) != 1 || !strings.Contains(w[0], `spec.volumeClaimTemplates[0]: Berth has no PersistentVolumeClaims: each ordinal gets a node-local volume "www"`) {
		t.Errorf("statefulset warnings = %q", w)
	}
	ds := objs[2].(*DaemonSet)
	if ru := ds.Spec.UpdateStrategy.RollingUpdate; ds.Spec.UpdateStrategy.Type != "RollingUpdate" ||
		*ru.MaxUnavailable != FromInt(1) || *ru.MaxSurge != FromInt(0) || *ds.Spec.RevisionHistoryLimit != 10 {
		t.Errorf("daemonset defaults: %+v", ds.Spec)
	}
	job := objs[3].(*Job)
	if s := job.Spec; *s.Completions != 1 || *s.Parallelism != 1 || *s.BackoffLimit != 4 || *s.CompletionMode != "NonIndexed" ||
		*s.Suspend || *s.PodReplacementPolicy != "TerminatingOrFailed" || s.Selector != nil {
		t.Errorf("job defaults (no uid, no selector yet): %+v", s)
	}
	pc := objs[4].(*PriorityClass)
	if pc.Value != 1000000 || *pc.PreemptionPolicy != PreemptLowerPriority || pc.Namespace != "" {
		t.Errorf("priorityclass: %+v", pc)
	}
}

// Once the server has stamped a uid, Default generates a Job's selector and
// template labels as Kubernetes does, and again gives the same answer.
func TestDefaultJobSelector(t *testing.T) {
	const head = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: pi, namespace: default, uid: u-1}\nspec:\n"
	tests := []struct {
		name         string
		doc          string
		wantSelector map[string]string
		wantLabels   map[string]string // of the job itself
		wantErr      string
	}{
		{"generated", head + "  template: {metadata: {labels: {app: pi}}, spec: {restartPolicy: Never, containers: [{name: c, image: i}]}}\n",
			map[string]string{ControllerUIDLabel: "u-1"}, map[string]string{"app": "pi"}, ""},
		{"no template labels", head + "  template: {spec: {restartPolicy: Never, containers: [{name: c, image: i}]}}\n",
			map[string]string{ControllerUIDLabel: "u-1"}, nil, ""},
		{"user selector gains the uid", head + "  selector: {matchLabels: {app: pi}}\n  template: {metadata: {labels: {app: pi}}, spec: {restartPolicy: Never, containers: [{name: c, image: i}]}}\n",
			map[string]string{"app": "pi", ControllerUIDLabel: "u-1"}, map[string]string{"app": "pi"}, ""},
		{"manual selector kept", head + "  manualSelector: true\n  selector: {matchLabels: {app: pi}}\n  template: {metadata: {labels: {app: pi}}, spec: {restartPolicy: Never, containers: [{name: c, image: i}]}}\n",
			map[string]string{"app": "pi"}, map[string]string{"app": "pi"}, ""},
		{"conflicting uid label", head + "  template: {metadata: {labels: {batch.kubernetes.io/controller-uid: other}}, spec: {restartPolicy: Never, containers: [{name: c, image: i}]}}\n",
			map[string]string{ControllerUIDLabel: "u-1"}, nil,
			`spec.template.metadata.labels[batch.kubernetes.io/controller-uid]: Invalid value: "other": must be 'u-1'`},
		{"selector not auto-generated", head + "  selector: {matchLabels: {batch.kubernetes.io/controller-uid: other}}\n  template: {metadata: {labels: {batch.kubernetes.io/controller-uid: other}}, spec: {restartPolicy: Never, containers: [{name: c, image: i}]}}\n",
			map[string]string{ControllerUIDLabel: "other"}, nil, "`selector` not auto-generated"},
		{"manual selector required", head + "  manualSelector: true\n  template: {metadata: {labels: {app: pi}}, spec: {restartPolicy: Never, containers: [{name: c, image: i}]}}\n",
			nil, map[string]string{"app": "pi"}, "spec.selector: Required value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job := mustDecode(t, tt.doc).(*Job)
			Default(job)
			once, _ := Encode(job)
			Default(job)
			if twice, _ := Encode(job); string(once) != string(twice) {
				t.Errorf("Default is not idempotent:\n%s\n%s", once, twice)
			}
			var sel map[string]string
			if job.Spec.Selector != nil {
				sel = job.Spec.Selector.MatchLabels
			}
			if !equalJSON(sel, tt.wantSelector) || !equalJSON(job.Labels, tt.wantLabels) {
				t.Errorf("selector %v labels %v, want %v %v", sel, job.Labels, tt.wantSelector, tt.wantLabels)
			}
			manual := job.Spec.ManualSelector != nil && *job.Spec.ManualSelector
			if !manual && tt.wantErr == "" {
				for k, v := range map[string]string{JobNameLabel: "pi", LegacyJobNameLabel: "pi", ControllerUIDLabel: "u-1", LegacyControllerUIDLabel: "u-1"} {
					if job.Spec.Template.Labels[k] != v {
						t.Errorf("template label %s = %q, want %q", k, job.Spec.Template.Labels[k], v)
					}
				}
			}
			err := Validate(job)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want %q", err, tt.wantErr)
			}
		})
	}
}

const (
	stsHead = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: web, namespace: default}\nspec:\n"
	dsHead  = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent, namespace: default}\nspec:\n"
	jobHead = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: pi, namespace: default}\nspec:\n"
	pcHead  = "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\n"
	// appTemplate is a selector and a matching template, for the apps kinds.
	appTemplate = "  selector: {matchLabels: {app: a}}\n  template: {metadata: {labels: {app: a}}, spec: {containers: [{name: c, image: i}]}}\n"
	jobTemplate = "  template: {spec: {restartPolicy: OnFailure, containers: [{name: c, image: i}]}}\n"
)

func TestValidateWorkloads(t *testing.T) {
	checkValidate(t, []validateCase{
		{"statefulset valid", stsHead + "  serviceName: web\n" + appTemplate, nil},
		{"statefulset selector required", stsHead + "  template: {metadata: {labels: {app: a}}, spec: {containers: [{name: c, image: i}]}}\n",
			[]string{"spec.selector: Required value"}},
		{"statefulset empty selector", stsHead + "  selector: {}\n  template: {spec: {containers: [{name: c, image: i}]}}\n",
			[]string{`spec.selector: Invalid value: "": empty selector is invalid for statefulset`}},
		{"statefulset selector must match", stsHead + "  replicas: -1\n  selector: {matchLabels: {app: b}}\n  template: {metadata: {labels: {app: a}}, spec: {containers: [{name: c, image: i}]}}\n",
			[]string{"spec.replicas: Invalid value: -1: must be greater than or equal to 0",
				"`selector` does not match template `labels`", `StatefulSet.apps "web" is invalid`}},
		{"statefulset restartPolicy Always", stsHead + "  selector: {matchLabels: {app: a}}\n  template: {metadata: {labels: {app: a}}, spec: {restartPolicy: OnFailure, activeDeadlineSeconds: 5, containers: [{name: c, image: i}]}}\n",
			[]string{`spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"`,
				"spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in StatefulSet is not Supported"}},
		{"statefulset fields", stsHead + "  serviceName: Web_1\n  podManagementPolicy: Sometimes\n  minReadySeconds: -1\n  revisionHistoryLimit: -2\n" +
			"  ordinals: {start: -1}\n  persistentVolumeClaimRetentionPolicy: {whenDeleted: Keep}\n" +
			"  updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: -1, maxUnavailable: 0}}\n" + appTemplate,
			[]string{`spec.serviceName: Invalid value: "Web_1"`, `spec.podManagementPolicy: Unsupported value: "Sometimes": supported values: "OrderedReady", "Parallel"`,
				"spec.minReadySeconds: Invalid value: -1", "spec.revisionHistoryLimit: Invalid value: -2", "spec.ordinals.start: Invalid value: -1",
				`spec.persistentVolumeClaimRetentionPolicy.whenDeleted: Unsupported value: "Keep"`,
				"spec.updateStrategy.rollingUpdate.partition: Invalid value: -1",
				"spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 0: must be greater than 0"}},
		{"statefulset OnDelete with rollingUpdate", stsHead + "  updateStrategy: {type: OnDelete, rollingUpdate: {partition: 1}}\n" + appTemplate,
			[]string{"spec.updateStrategy.rollingUpdate: Invalid value: \"OnDelete\": only allowed for updateStrategy 'RollingUpdate'"}},
		{"statefulset bad strategy", stsHead + "  updateStrategy: {type: Recreate}\n" + appTemplate,
			[]string{`spec.updateStrategy.type: Unsupported value: "Recreate": supported values: "OnDelete", "RollingUpdate"`}},
		{"statefulset claim mounts resolve", stsHead + "  selector: {matchLabels: {app: a}}\n  template: {metadata: {labels: {app: a}}, spec: {volumes: [{name: data, emptyDir: {}}], containers: [{name: c, image: i, volumeMounts: [{name: data, mountPath: /d}, {name: logs, mountPath: /l}]}]}}\n" +
			"  volumeClaimTemplates: [{metadata: {name: data}, spec: {accessModes: [ReadWriteOnce]}}, {metadata: {name: logs}}]\n", nil},
		{"statefulset claim names", stsHead + "  selector: {matchLabels: {app: a}}\n  template: {metadata: {labels: {app: a}}, spec: {containers: [{name: c, image: i, volumeMounts: [{name: Bad, mountPath: /d}]}]}}\n" +
			"  volumeClaimTemplates: [{metadata: {name: Bad}}, {spec: {accessModes: [Sometimes]}}, {metadata: {name: x}}, {metadata: {name: x}}]\n",
			[]string{`spec.volumeClaimTemplates[0].metadata.name: Invalid value: "Bad"`, "spec.volumeClaimTemplates[1].metadata.name: Required value",
				`spec.volumeClaimTemplates[1].spec.accessModes[0]: Unsupported value: "Sometimes"`,
				`spec.volumeClaimTemplates[3].metadata.name: Duplicate value: "x"`, `spec.template.spec.containers[0].volumeMounts[0].name: Not found: "Bad"`}},
		{"daemonset valid", dsHead + appTemplate, nil},
		{"daemonset surge alone", dsHead + "  updateStrategy: {rollingUpdate: {maxUnavailable: 0, maxSurge: 1}}\n" + appTemplate, nil},
		{"daemonset selector", dsHead + "  selector: {}\n  template: {spec: {containers: [{name: c, image: i}]}}\n",
			[]string{"empty selector is invalid for daemonset"}},
		{"daemonset strategy", dsHead + "  minReadySeconds: -1\n  updateStrategy: {type: RollingUpdate, rollingUpdate: {maxSurge: \"20%\"}}\n" + appTemplate,
			[]string{"spec.minReadySeconds: Invalid value: -1", `spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: "20%": may not be set when maxUnavailable is non-zero`}},
		{"daemonset both zero", dsHead + "  updateStrategy: {rollingUpdate: {maxUnavailable: 0, maxSurge: \"0%\"}}\n" + appTemplate,
			[]string{"spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0"}},
		{"daemonset percent bounds", dsHead + "  updateStrategy: {rollingUpdate: {maxUnavailable: \"120%\", maxSurge: 0}}\n" + appTemplate,
			[]string{`spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: "120%": must not be greater than 100%`}},
		{"daemonset bad type", dsHead + "  updateStrategy: {type: Recreate}\n" + appTemplate,
			[]string{`spec.updateStrategy.type: Unsupported value: "Recreate"`}},
		{"daemonset template restartPolicy", dsHead + "  selector: {matchLabels: {app: a}}\n  template: {metadata: {labels: {app: a}}, spec: {restartPolicy: Never, containers: [{name: c, image: i}]}}\n",
			[]string{`spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"`}},
		{"job valid", jobHead + jobTemplate, nil},
		{"job restartPolicy", jobHead + "  template: {spec: {restartPolicy: Always, containers: [{name: c, image: i}]}}\n",
			[]string{`Job.batch "pi" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"`}},
		{"job restartPolicy defaulted", jobHead + "  template: {spec: {containers: [{name: c, image: i}]}}\n",
			[]string{`spec.template.spec.restartPolicy: Unsupported value:`, `supported values: "OnFailure", "Never"`}},
		{"job counts", jobHead + "  parallelism: -1\n  completions: -2\n  backoffLimit: -3\n  activeDeadlineSeconds: -4\n  ttlSecondsAfterFinished: -5\n" + jobTemplate,
			[]string{"spec.parallelism: Invalid value: -1", "spec.completions: Invalid value: -2", "spec.backoffLimit: Invalid value: -3",
				"spec.activeDeadlineSeconds: Invalid value: -4", "spec.ttlSecondsAfterFinished: Invalid value: -5"}},
		{"job completionMode", jobHead + "  completionMode: Sometimes\n  podReplacementPolicy: Never\n" + jobTemplate,
			[]string{`spec.completionMode: Unsupported value: "Sometimes": supported values: "NonIndexed", "Indexed"`,
				`spec.podReplacementPolicy: Unsupported value: "Never"`}},
		{"indexed job needs completions", jobHead + "  completionMode: Indexed\n  parallelism: 100001\n" + jobTemplate,
			[]string{"spec.completions: Required value: when completion mode is Indexed",
				"spec.parallelism: Invalid value: 100001: must be less than or equal to 100000 when completion mode is Indexed"}},
		{"indexed job", jobHead + "  completionMode: Indexed\n  completions: 5\n  parallelism: 2\n" + jobTemplate, nil},
		{"backoffLimitPerIndex needs Indexed", jobHead + "  backoffLimitPerIndex: 1\n" + jobTemplate,
			[]string{"spec.backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode"}},
		{"job manual selector must match", jobHead + "  manualSelector: true\n  selector: {matchLabels: {app: b}}\n  template: {metadata: {labels: {app: a}}, spec: {restartPolicy: Never, containers: [{name: c, image: i}]}}\n",
			[]string{"spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"a\"}: `selector` does not match template `labels`"}},
		{"job manual empty selector", jobHead + "  manualSelector: true\n  selector: {}\n" + jobTemplate,
			[]string{`spec.selector: Invalid value: "": empty selector is invalid for job`}},
		{"priorityclass valid", pcHead + "metadata: {name: high}\nvalue: 1000000000\npreemptionPolicy: Never\n", nil},
		{"priorityclass too high", pcHead + "metadata: {name: high}\nvalue: 1000000001\n",
			[]string{`PriorityClass.scheduling.k8s.io "high" is invalid: value: Forbidden: maximum allowed value of a user defined priority is 1000000000`}},
		{"priorityclass system name", pcHead + "metadata: {name: system-mine}\nvalue: 5\n",
			[]string{"metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class"}},
		{"priorityclass system value", pcHead + "metadata: {name: system-node-critical}\nvalue: 5\n",
			[]string{"value of system-node-critical PriorityClass must be 2000001000"}},
		{"priorityclass known system class", pcHead + "metadata: {name: system-cluster-critical}\nvalue: 2000000000\n", nil},
		{"priorityclass policy and namespace", pcHead + "metadata: {name: p, namespace: default}\nvalue: 1\npreemptionPolicy: Always\n",
			[]string{"metadata.namespace: Forbidden: not allowed on this type", `preemptionPolicy: Unsupported value: "Always": supported values: "PreemptLowerPriority", "Never"`}},
	})
}

func TestWorkloadWarnings(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []string
	}{
		{"daemonset template", dsHead + "  selector: {matchLabels: {app: a}}\n  template: {metadata: {labels: {app: a}}, spec: {hostPID: true, containers: [{name: c, image: i}]}}\n",
			[]string{"spec.template.spec.hostPID: not supported by Berth yet, ignored"}},
		{"job fields", jobHead + "  podFailurePolicy: {rules: [{action: Ignore, onPodConditions: [{type: DisruptionTarget}]}]}\n  managedBy: x/y\n" +
			"  template: {spec: {restartPolicy: Never, securityContext: {runAsUser: 1}, containers: [{name: c, image: i}]}}\n",
			[]string{"spec.podFailurePolicy: not supported by Berth yet, ignored", "spec.managedBy: not supported by Berth yet, ignored",
				"spec.template.spec.securityContext: not supported by Berth yet, ignored"}},
		{"priority fields are acted on", podHead + "  priorityClassName: high\n  preemptionPolicy: Never\n  containers: [{name: c, image: i}]\n", nil},
		{"priorityclass has none", pcHead + "metadata: {name: p}\nvalue: 1\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Warnings(mustDecode(t, tt.doc)); !sameSet(got, tt.want) {
				t.Errorf("Warnings =\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}
