package controller

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/berth-dev/berth/api"
)

// jobIndexEnv is the variable that tells an Indexed Job's pod its index.
const jobIndexEnv = "JOB_COMPLETION_INDEX"

// manageNonIndexed keeps the right number of pods running: parallelism, or fewer
// when fewer successes are still needed; none new once any pod succeeded when
// completions is unset.
func (c *JobController) manageNonIndexed(ctx context.Context, js *jobSync) error {
	job := js.job
	active := len(js.pods.active)
	want := jobParallelism(job)
	switch {
	case job.Spec.Completions == nil && js.status.Succeeded > 0:
		want = active // wait for the running ones, start no more
	case job.Spec.Completions != nil:
		want = min(want, max(int(*job.Spec.Completions-js.status.Succeeded), 0))
	}
	if active > want {
		victims := jobVictims(js.pods.active)
		return c.deletePods(ctx, js, victims[:active-want])
	}
	n := want - active - jobStillGoing(js)
	if n <= 0 || !c.backoffOver(js) {
		return nil
	}
	indexes := make([]int, min(n, c.Burst))
	for i := range indexes {
		indexes[i] = -1
	}
	return c.createPods(ctx, js, indexes)
}

// manageIndexed runs one pod per index that has not succeeded, lowest first, at most
// parallelism at once; it deletes pods with a bad or completed index and duplicates.
func (c *JobController) manageIndexed(ctx context.Context, js *jobSync) error {
	job := js.job
	completions := jobCompletions(job)
	done := parseJobIndexes(js.status.CompletedIndexes, completions)
	running := map[int]bool{}
	var doomed, keep []*api.Pod
	for _, p := range jobByAge(js.pods.active) {
		i, ok := jobPodIndex(p, completions)
		if !ok || done[i] || running[i] {
			doomed = append(doomed, p)
			continue
		}
		running[i] = true
		keep = append(keep, p)
	}
	if extra := len(keep) - jobParallelism(job); extra > 0 {
		sort.SliceStable(keep, func(a, b int) bool {
			ia, _ := jobPodIndex(keep[a], completions)
			ib, _ := jobPodIndex(keep[b], completions)
			return ia > ib
		})
		doomed = append(doomed, keep[:extra]...)
		keep = keep[extra:]
	}
	if err := c.deletePods(ctx, js, doomed); err != nil {
		return err
	}
	if jobReplaceOnlyFailed(job) {
		for _, p := range js.pods.terminating {
			if i, ok := jobPodIndex(p, completions); ok {
				running[i] = true
			}
		}
	}
	n := min(jobParallelism(job)-len(keep)-jobStillGoing(js), c.Burst)
	if n <= 0 {
		return nil
	}
	var indexes []int
	for i := 0; i < completions && len(indexes) < n; i++ {
		if !done[i] && !running[i] {
			indexes = append(indexes, i)
		}
	}
	if len(indexes) == 0 || !c.backoffOver(js) {
		return nil
	}
	return c.createPods(ctx, js, indexes)
}

// jobStillGoing is the number of terminating pods that still hold a slot: under
// podReplacementPolicy Failed a pod is replaced only once it has finished.
func jobStillGoing(js *jobSync) int {
	if jobReplaceOnlyFailed(js.job) {
		return len(js.pods.terminating)
	}
	return 0
}

func jobReplaceOnlyFailed(job *api.Job) bool {
	p := job.Spec.PodReplacementPolicy
	return p != nil && *p == api.FailedPodReplacement
}

// backoffOver reports whether the failed pods' back-off has passed: PodBackoff
// doubled for each failure since the last success, from the latest failure. When
// it has not, it arranges a sync when it will have.
func (c *JobController) backoffOver(js *jobSync) bool {
	var lastSuccess, lastFailure time.Time
	for _, p := range js.pods.succeeded {
		if t := jobPodFinished(p); t.After(lastSuccess) {
			lastSuccess = t
		}
	}
	failures := 0
	for _, p := range js.pods.failed {
		t := jobPodFinished(p)
		if t.IsZero() || !t.After(lastSuccess) {
			continue
		}
		failures++
		if t.After(lastFailure) {
			lastFailure = t
		}
	}
	if failures == 0 {
		return true
	}
	delay := c.PodBackoff << min(failures-1, 30)
	if delay > c.MaxPodBackoff || delay <= 0 {
		delay = c.MaxPodBackoff
	}
	left := lastFailure.Add(delay).Sub(js.now)
	if left <= 0 {
		return true
	}
	js.after(left)
	return false
}

// jobPodFinished is when a finished pod's last container ended (zero when unknown).
func jobPodFinished(p *api.Pod) time.Time {
	var t time.Time
	for _, group := range [][]api.ContainerStatus{p.Status.InitContainerStatuses, p.Status.ContainerStatuses} {
		for _, cs := range group {
			if term := cs.State.Terminated; term != nil && term.FinishedAt != nil && term.FinishedAt.After(t) {
				t = term.FinishedAt.Time
			}
		}
	}
	return t
}

// createPods makes one pod per entry of indexes (-1: a NonIndexed pod).
func (c *JobController) createPods(ctx context.Context, js *jobSync, indexes []int) error {
	var errs []error
	for _, i := range indexes {
		created, err := c.env.Writer.Create(ctx, jobNewPod(js.job, i))
		if err != nil {
			c.event(js.job, "Warning", "FailedCreate", fmt.Sprintf("Error creating: %v", err))
			errs = append(errs, err)
			break // the next sync tries again; a quota or admission error repeats
		}
		js.active++
		c.event(js.job, "Normal", "SuccessfulCreate", "Created pod: "+created.GetObjectMeta().Name)
	}
	return errors.Join(errs...)
}

func (c *JobController) deletePods(ctx context.Context, js *jobSync, pods []*api.Pod) error {
	var errs []error
	for _, p := range pods {
		err := c.env.Writer.Delete(ctx, c.podRes, p.Namespace, p.Name, DeleteOptions{UID: p.UID})
		switch {
		case err == nil:
			js.active--
			c.event(js.job, "Normal", "SuccessfulDelete", "Deleted pod: "+p.Name)
		case api.ReasonOf(err) == api.ReasonNotFound:
			js.active--
		default:
			c.event(js.job, "Warning", "FailedDelete", fmt.Sprintf("Error deleting: %v", err))
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// jobVictims orders active pods so the least advanced go first: unscheduled, then
// pending, then not ready, then newest.
func jobVictims(pods []*api.Pod) []*api.Pod {
	out := append([]*api.Pod(nil), pods...)
	rank := func(p *api.Pod) int {
		switch {
		case p.Spec.NodeName == "":
			return 0
		case p.Status.Phase != api.PodRunning:
			return 1
		case !podIsReady(p):
			return 2
		}
		return 3
	}
	sort.SliceStable(out, func(i, j int) bool {
		if ri, rj := rank(out[i]), rank(out[j]); ri != rj {
			return ri < rj
		}
		return podCreatedBefore(out[j], out[i])
	})
	return out
}

// jobByAge orders pods oldest first, so of two pods of one index the older stays.
func jobByAge(pods []*api.Pod) []*api.Pod {
	out := append([]*api.Pod(nil), pods...)
	sort.SliceStable(out, func(i, j int) bool { return podCreatedBefore(out[i], out[j]) })
	return out
}

// jobNewPod is a pod of the Job: its template, named <job>-<random> (Indexed:
// <job>-<index>-<random>, with the index as annotation, label, JOB_COMPLETION_INDEX
// and hostname <job>-<index>, as Kubernetes does).
func jobNewPod(job *api.Job, index int) *api.Pod {
	t := &job.Spec.Template
	p := api.DeepCopy(&api.Pod{ObjectMeta: t.ObjectMeta, Spec: t.Spec}).(*api.Pod)
	p.ObjectMeta = api.ObjectMeta{
		GenerateName: job.Name + "-", Namespace: job.Namespace,
		Labels: p.Labels, Annotations: p.Annotations,
		OwnerReferences: []api.OwnerReference{NewControllerRef(job)},
	}
	delete(p.Annotations, jobTrackedAnnotation)
	p.Spec.NodeName = ""
	if index < 0 {
		return p
	}
	idx := strconv.Itoa(index)
	p.GenerateName = job.Name + "-" + idx + "-"
	if p.Labels == nil {
		p.Labels = map[string]string{}
	}
	if p.Annotations == nil {
		p.Annotations = map[string]string{}
	}
	p.Labels[api.JobCompletionIndexAnnotation] = idx
	p.Annotations[api.JobCompletionIndexAnnotation] = idx
	if host := job.Name + "-" + idx; p.Spec.Hostname == "" && len(host) <= 63 {
		p.Spec.Hostname = host
	}
	env := api.EnvVar{Name: jobIndexEnv, ValueFrom: &api.EnvVarSource{FieldRef: &api.ObjectFieldSelector{
		APIVersion: "v1", FieldPath: "metadata.annotations['" + api.JobCompletionIndexAnnotation + "']",
	}}}
	for _, cs := range []([]api.Container){p.Spec.InitContainers, p.Spec.Containers} {
		for i := range cs {
			if !jobHasEnv(cs[i].Env, jobIndexEnv) {
				cs[i].Env = append(cs[i].Env, env)
			}
		}
	}
	return p
}

func jobHasEnv(env []api.EnvVar, name string) bool {
	for _, e := range env {
		if e.Name == name {
			return true
		}
	}
	return false
}

func jobIndexed(job *api.Job) bool {
	return job.Spec.CompletionMode != nil && *job.Spec.CompletionMode == api.IndexedCompletion
}

func jobSuspended(job *api.Job) bool { return job.Spec.Suspend != nil && *job.Spec.Suspend }

// jobCompletions is spec.completions, 0 when unset.
func jobCompletions(job *api.Job) int {
	if job.Spec.Completions == nil {
		return 0
	}
	return int(*job.Spec.Completions)
}

// jobParallelism is spec.parallelism (nil means 1).
func jobParallelism(job *api.Job) int {
	if job.Spec.Parallelism == nil {
		return 1
	}
	return max(int(*job.Spec.Parallelism), 0)
}

// jobCondition is the status of a condition type, "" when absent.
func jobCondition(s *api.JobStatus, typ string) string {
	for _, c := range s.Conditions {
		if c.Type == typ {
			return c.Status
		}
	}
	return ""
}

func jobFinished(s *api.JobStatus) bool {
	return jobCondition(s, api.JobComplete) == api.ConditionTrue || jobCondition(s, api.JobFailed) == api.ConditionTrue
}

// jobFinishTime is when the Job finished: its completionTime, or when it failed.
func jobFinishTime(s *api.JobStatus) time.Time {
	if s.CompletionTime != nil {
		return s.CompletionTime.Time
	}
	for _, c := range s.Conditions {
		if c.Type == api.JobFailed && c.LastTransitionTime != nil {
			return c.LastTransitionTime.Time
		}
	}
	return time.Time{}
}

// setJobCondition sets a condition; it changes nothing (not even the probe time,
// so a sync that decides the same again writes nothing) unless status, reason or
// message differ. It reports whether the status changed.
func setJobCondition(s *api.JobStatus, typ, status, reason, message string, now time.Time) bool {
	t := api.NewTime(now)
	for i := range s.Conditions {
		c := &s.Conditions[i]
		if c.Type != typ {
			continue
		}
		changed := c.Status != status
		if changed {
			c.LastTransitionTime = t
		}
		if changed || c.Reason != reason || c.Message != message {
			c.Status, c.Reason, c.Message, c.LastProbeTime = status, reason, message, t
		}
		return changed
	}
	s.Conditions = append(s.Conditions, api.JobCondition{
		Type: typ, Status: status, Reason: reason, Message: message, LastProbeTime: t, LastTransitionTime: t,
	})
	return true
}
