package controller

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

func jobTest(name string, completions, parallelism *int32) *api.Job {
	j := &api.Job{}
	j.Name, j.Namespace = name, "default"
	j.Spec.Completions, j.Spec.Parallelism = completions, parallelism
	j.Spec.Template.Spec.RestartPolicy = api.RestartPolicyNever
	j.Spec.Template.Spec.Containers = []api.Container{{Name: "work", Image: "work:1"}}
	return j
}

// jobRun starts a controller with a millisecond pod back-off; cancel stops it (a
// leader change).
func jobRun(h *harness) (cancel context.CancelFunc) {
	c := NewJobController(h.env())
	c.PodBackoff, c.MaxPodBackoff = time.Millisecond, 10*time.Millisecond
	return h.run(c)
}

func jobGet(h *harness, name string) *api.Job {
	o := h.get("Job", "default", name)
	if o == nil {
		return nil
	}
	return o.(*api.Job)
}

// jobActive is the live, unfinished pods of the Job, oldest first.
func jobActive(h *harness, name string) []*api.Pod {
	var out []*api.Pod
	for _, p := range h.pods("default", false) {
		if p.Labels[api.JobNameLabel] == name && !podIsTerminal(p) {
			out = append(out, p)
		}
	}
	return jobByAge(out)
}

func jobWaitActive(t *testing.T, h *harness, name string, n int) []*api.Pod {
	t.Helper()
	var ps []*api.Pod
	waitFor(t, "active pods", func() bool { ps = jobActive(h, name); return len(ps) == n })
	return ps
}

// jobEnd plays the agent running the pod to the end: bound, Running, then phase
// (Succeeded or Failed) with its container terminated now.
func jobEnd(t *testing.T, h *harness, p *api.Pod, phase string) {
	t.Helper()
	h.runPod(p, "n1", false)
	cur := h.get("Pod", "default", p.Name).(*api.Pod)
	exit := int32(0)
	if phase == api.PodFailed {
		exit = 1
	}
	cur.Status.Phase = phase
	cur.Status.ContainerStatuses = []api.ContainerStatus{{Name: "work", State: api.ContainerState{
		Terminated: &api.ContainerStateTerminated{ExitCode: exit, FinishedAt: api.NewTime(time.Now())},
	}}}
	if _, err := h.UpdateStatus(context.Background(), cur); err != nil {
		t.Fatalf("finish %s: %v", p.Name, err)
	}
}

func jobHasCondition(j *api.Job, typ, reason string) bool {
	return slices.ContainsFunc(j.Status.Conditions, func(c api.JobCondition) bool {
		return c.Type == typ && c.Status == api.ConditionTrue && c.Reason == reason
	})
}

func jobHasEvent(h *harness, name, reason string) bool {
	return slices.ContainsFunc(h.eventsFor(name), func(e recordedEvent) bool { return e.Reason == reason })
}

func TestJobCompletionsAndParallelism(t *testing.T) {
	h := newHarness(t)
	h.mustCreate(jobTest("pi", stsPtr(int32(3)), stsPtr(int32(2))))
	jobRun(h)

	ps := jobWaitActive(t, h, "pi", 2)
	if !strings.HasPrefix(ps[0].Name, "pi-") || len(ps[0].Name) != len("pi-")+5 {
		t.Errorf("pod name %q, want pi-<5 random>", ps[0].Name)
	}
	waitFor(t, "startTime and 2 active", func() bool {
		j := jobGet(h, "pi")
		return j.Status.StartTime != nil && j.Status.Active == 2
	})
	jobEnd(t, h, ps[0], api.PodSucceeded)
	// One success of three: a third pod runs beside the second, never more than 2.
	waitFor(t, "a new pod", func() bool {
		a := jobActive(h, "pi")
		return len(a) == 2 && slices.ContainsFunc(a, func(p *api.Pod) bool { return p.UID == ps[1].UID })
	})
	for _, p := range jobActive(h, "pi") {
		jobEnd(t, h, p, api.PodSucceeded)
	}
	waitFor(t, "complete", func() bool {
		j := jobGet(h, "pi")
		return jobHasCondition(j, api.JobComplete, api.JobReasonCompletionsReached) &&
			jobHasCondition(j, api.JobSuccessCriteriaMet, api.JobReasonCompletionsReached) &&
			j.Status.Succeeded == 3 && j.Status.Active == 0 && j.Status.CompletionTime != nil &&
			j.Status.UncountedTerminatedPods == nil
	})
	if !jobHasEvent(h, "pi", "Completed") || !jobHasEvent(h, "pi", "SuccessfulCreate") {
		t.Errorf("events %+v lack Completed or SuccessfulCreate", h.eventsFor("pi"))
	}
	if n := len(h.pods("default", true)); n != 3 {
		t.Errorf("%d pods left, want the 3 finished ones kept", n)
	}
	stsQuiet(t, h)
}

func TestJobCountsEachPodOnce(t *testing.T) {
	h := newHarness(t)
	h.mustCreate(jobTest("once", stsPtr(int32(2)), stsPtr(int32(1))))
	cancel := jobRun(h)
	p := jobWaitActive(t, h, "once", 1)[0]
	jobEnd(t, h, p, api.PodSucceeded)
	waitFor(t, "counted and marked", func() bool {
		pod := h.get("Pod", "default", p.Name).(*api.Pod)
		return jobGet(h, "once").Status.Succeeded == 1 && pod.Annotations[jobTrackedAnnotation] != ""
	})
	// The user removes the finished pod, and the leader changes: still one success.
	res, _ := api.ResourceForKind("Pod")
	if err := h.Delete(context.Background(), res, "default", p.Name, DeleteOptions{GracePeriodSeconds: stsPtr(int64(0))}); err != nil {
		t.Fatal(err)
	}
	cancel()
	jobRun(h)
	second := jobWaitActive(t, h, "once", 1)[0]
	if got := jobGet(h, "once").Status.Succeeded; got != 1 {
		t.Fatalf("succeeded = %d after the pod went, want 1", got)
	}
	jobEnd(t, h, second, api.PodSucceeded)
	waitFor(t, "complete with 2", func() bool {
		j := jobGet(h, "once")
		return j.Status.Succeeded == 2 && jobHasCondition(j, api.JobComplete, api.JobReasonCompletionsReached)
	})
}

func TestJobBackoffLimitNever(t *testing.T) {
	h := newHarness(t)
	j := jobTest("flaky", nil, nil)
	j.Spec.BackoffLimit = stsPtr(int32(1))
	h.mustCreate(j)
	jobRun(h)

	first := jobWaitActive(t, h, "flaky", 1)[0]
	jobEnd(t, h, first, api.PodFailed)
	var second *api.Pod
	waitFor(t, "a replacement", func() bool {
		a := jobActive(h, "flaky")
		if len(a) == 1 && a[0].UID != first.UID {
			second = a[0]
		}
		return second != nil
	})
	waitFor(t, "one failure counted", func() bool { return jobGet(h, "flaky").Status.Failed == 1 })
	if got := jobGet(h, "flaky"); jobFinishedNow(got) {
		t.Fatalf("failed after one failure: conditions %+v", got.Status.Conditions)
	}
	jobEnd(t, h, second, api.PodFailed)
	waitFor(t, "failed: backoff limit", func() bool {
		j := jobGet(h, "flaky")
		return jobHasCondition(j, api.JobFailed, api.JobReasonBackoffLimitExceeded) &&
			jobHasCondition(j, api.JobFailureTarget, api.JobReasonBackoffLimitExceeded) &&
			j.Status.Failed == 2 && j.Status.CompletionTime == nil
	})
	if !jobHasEvent(h, "flaky", api.JobReasonBackoffLimitExceeded) {
		t.Error("no BackoffLimitExceeded event")
	}
	stsNever(t, 100*time.Millisecond, "a pod created after the Job failed", func() bool { return len(jobActive(h, "flaky")) > 0 })
}

func jobFinishedNow(j *api.Job) bool { return jobFinished(&j.Status) }

func TestJobBackoffLimitOnFailureCountsRestarts(t *testing.T) {
	h := newHarness(t)
	j := jobTest("crashy", nil, nil)
	j.Spec.Template.Spec.RestartPolicy = api.RestartPolicyOnFailure
	j.Spec.BackoffLimit = stsPtr(int32(2))
	h.mustCreate(j)
	jobRun(h)
	p := jobWaitActive(t, h, "crashy", 1)[0]
	h.runPod(p, "n1", false)
	cur := h.get("Pod", "default", p.Name).(*api.Pod)
	cur.Status.ContainerStatuses = []api.ContainerStatus{{Name: "work", RestartCount: 2}}
	if _, err := h.UpdateStatus(context.Background(), cur); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "failed with the pod deleted", func() bool {
		j := jobGet(h, "crashy")
		pod := h.get("Pod", "default", p.Name).(*api.Pod)
		return jobHasCondition(j, api.JobFailed, api.JobReasonBackoffLimitExceeded) && pod.DeletionTimestamp != nil && j.Status.Active == 0
	})
}

func TestJobActiveDeadline(t *testing.T) {
	h := newHarness(t)
	j := jobTest("slow", nil, nil)
	j.Spec.ActiveDeadlineSeconds = stsPtr(int64(1))
	h.mustCreate(j)
	jobRun(h)
	p := jobWaitActive(t, h, "slow", 1)[0]
	h.runPod(p, "n1", true)
	waitFor(t, "deadline exceeded, pod deleted", func() bool {
		j := jobGet(h, "slow")
		pod := h.get("Pod", "default", p.Name).(*api.Pod)
		return jobHasCondition(j, api.JobFailed, api.JobReasonDeadlineExceeded) && pod.DeletionTimestamp != nil && j.Status.Active == 0
	})
	if !jobHasEvent(h, "slow", api.JobReasonDeadlineExceeded) {
		t.Error("no DeadlineExceeded event")
	}
}

func TestJobIndexed(t *testing.T) {
	h := newHarness(t)
	j := jobTest("idx", stsPtr(int32(3)), stsPtr(int32(2)))
	mode := api.IndexedCompletion
	j.Spec.CompletionMode = &mode
	h.mustCreate(j)
	jobRun(h)

	ps := jobWaitActive(t, h, "idx", 2)
	byIndex := map[int]*api.Pod{}
	for _, p := range ps {
		i, ok := jobPodIndex(p, 3)
		if !ok {
			t.Fatalf("pod %s has no index: %v", p.Name, p.Annotations)
		}
		byIndex[i] = p
		prefix := "idx-" + p.Labels[api.JobCompletionIndexAnnotation] + "-"
		if !strings.HasPrefix(p.Name, prefix) || p.Spec.Hostname != strings.TrimSuffix(prefix, "-") {
			t.Errorf("pod %s hostname %s, want %s<random> and hostname %s", p.Name, p.Spec.Hostname, prefix, strings.TrimSuffix(prefix, "-"))
		}
		env := p.Spec.Containers[0].Env
		if len(env) != 1 || env[0].Name != jobIndexEnv || env[0].ValueFrom == nil || env[0].ValueFrom.FieldRef == nil {
			t.Errorf("env %+v lacks %s", env, jobIndexEnv)
		}
	}
	if byIndex[0] == nil || byIndex[1] == nil {
		t.Fatalf("indexes %v, want 0 and 1 first", byIndex)
	}
	jobEnd(t, h, byIndex[1], api.PodSucceeded)
	waitFor(t, "index 2 started, 1 completed", func() bool {
		a := jobActive(h, "idx")
		if len(a) != 2 {
			return false
		}
		i, _ := jobPodIndex(a[1], 3)
		return i == 2 && jobGet(h, "idx").Status.CompletedIndexes == "1"
	})
	// A failed index runs again.
	jobEnd(t, h, byIndex[0], api.PodFailed)
	waitFor(t, "index 0 again", func() bool {
		for _, p := range jobActive(h, "idx") {
			if i, _ := jobPodIndex(p, 3); i == 0 && p.UID != byIndex[0].UID {
				return true
			}
		}
		return false
	})
	for _, p := range jobActive(h, "idx") {
		jobEnd(t, h, p, api.PodSucceeded)
	}
	waitFor(t, "complete", func() bool {
		j := jobGet(h, "idx")
		return jobHasCondition(j, api.JobComplete, api.JobReasonCompletionsReached) &&
			j.Status.CompletedIndexes == "0-2" && j.Status.Succeeded == 3 && j.Status.Failed == 1
	})
}

func TestJobSuspend(t *testing.T) {
	h := newHarness(t)
	j := jobTest("later", stsPtr(int32(1)), stsPtr(int32(1)))
	j.Spec.Suspend = stsPtr(true)
	h.mustCreate(j)
	jobRun(h)
	waitFor(t, "suspended condition", func() bool {
		j := jobGet(h, "later")
		return jobHasCondition(j, api.JobSuspended, "JobSuspended") && j.Status.StartTime == nil
	})
	if n := len(jobActive(h, "later")); n != 0 {
		t.Fatalf("%d pods of a suspended Job", n)
	}
	setSuspend := func(v bool) {
		for range 10 {
			j := jobGet(h, "later")
			j.Spec.Suspend = &v
			if _, err := h.Update(context.Background(), j); err == nil {
				return
			}
		}
		t.Fatal("update: conflicts")
	}
	setSuspend(false)
	p := jobWaitActive(t, h, "later", 1)[0]
	waitFor(t, "resumed", func() bool {
		j := jobGet(h, "later")
		return j.Status.StartTime != nil && slices.ContainsFunc(j.Status.Conditions, func(c api.JobCondition) bool {
			return c.Type == api.JobSuspended && c.Status == api.ConditionFalse && c.Reason == "JobResumed"
		})
	})
	h.runPod(p, "n1", true)
	setSuspend(true)
	waitFor(t, "active pod deleted", func() bool {
		pod := h.get("Pod", "default", p.Name).(*api.Pod)
		return pod.DeletionTimestamp != nil && jobGet(h, "later").Status.Active == 0
	})
	if !jobHasEvent(h, "later", "Suspended") || !jobHasEvent(h, "later", "Resumed") {
		t.Errorf("events %+v", h.eventsFor("later"))
	}
}

func TestJobTTLAfterFinished(t *testing.T) {
	h := newHarness(t)
	j := jobTest("tmp", nil, nil)
	j.Spec.TTLSecondsAfterFinished = stsPtr(int32(1))
	h.mustCreate(j)
	jobRun(h)
	jobEnd(t, h, jobWaitActive(t, h, "tmp", 1)[0], api.PodSucceeded)
	waitFor(t, "complete", func() bool {
		j := jobGet(h, "tmp")
		return j != nil && jobHasCondition(j, api.JobComplete, api.JobReasonCompletionsReached)
	})
	waitFor(t, "deleted after its ttl", func() bool { return jobGet(h, "tmp") == nil })
}

func TestJobCompletionsUnset(t *testing.T) {
	h := newHarness(t)
	h.mustCreate(jobTest("any", nil, stsPtr(int32(2))))
	jobRun(h)
	ps := jobWaitActive(t, h, "any", 2)
	jobEnd(t, h, ps[0], api.PodSucceeded)
	waitFor(t, "one success counted", func() bool { return jobGet(h, "any").Status.Succeeded == 1 })
	stsNever(t, 100*time.Millisecond, "a new pod after a success", func() bool { return len(jobActive(h, "any")) != 1 })
	if jobFinishedNow(jobGet(h, "any")) {
		t.Fatal("complete while a pod still runs")
	}
	jobEnd(t, h, ps[1], api.PodSucceeded)
	waitFor(t, "complete", func() bool {
		j := jobGet(h, "any")
		return jobHasCondition(j, api.JobComplete, api.JobReasonCompletionsReached) && j.Status.Succeeded == 2
	})
}

func TestJobIndexSet(t *testing.T) {
	tests := []struct {
		name, in, out string
		completions   int
	}{
		{name: "empty", in: "", out: "", completions: 5},
		{name: "runs and singles", in: "0,1,2,4,6-7", out: "0-2,4,6-7", completions: 10},
		{name: "out of range dropped", in: "3-12", out: "3-4", completions: 5},
		{name: "malformed dropped", in: "x,1,-,2-y", out: "1", completions: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseJobIndexes(tt.in, tt.completions).String(); got != tt.out {
				t.Fatalf("parse(%q) = %q, want %q", tt.in, got, tt.out)
			}
		})
	}
}
