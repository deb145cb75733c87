package controller

import (
	"context"
	"errors"
	"slices"

	"github.com/berth-dev/berth/api"
)

// jobTrackedAnnotation marks a finished pod the Job's counters include. It plays the
// part of Kubernetes' batch.kubernetes.io/job-tracking finalizer, whose removal says
// the same; an annotation cannot hold up the pod's deletion, so a pod deleted before
// it finished is not counted as failed (it is replaced, as Kubernetes replaces it).
const jobTrackedAnnotation = "batch.berth.io/job-tracked"

// jobPods is a Job's pods by state.
type jobPods struct {
	active      []*api.Pod // neither finished nor terminating
	terminating []*api.Pod // being deleted before finishing
	succeeded   []*api.Pod
	failed      []*api.Pod
}

func classifyJobPods(pods []*api.Pod) jobPods {
	var jp jobPods
	for _, p := range pods {
		switch {
		case p.Status.Phase == api.PodSucceeded:
			jp.succeeded = append(jp.succeeded, p)
		case p.Status.Phase == api.PodFailed:
			jp.failed = append(jp.failed, p)
		case podIsTerminating(p):
			jp.terminating = append(jp.terminating, p)
		default:
			jp.active = append(jp.active, p)
		}
	}
	return jp
}

// track counts the finished pods not yet counted, each exactly once, in three steps
// that each survive a crash or a leader change:
//  1. their uids go into status.uncountedTerminatedPods (an Indexed Job's
//     succeeded indexes into completedIndexes at the same time), written at once;
//  2. each such pod is marked with jobTrackedAnnotation;
//  3. the uids move from uncountedTerminatedPods into succeeded and failed, in the
//     status the sync writes at its end (status).
//
// A pod is marked only once its uid is stored as uncounted, and a uid leaves the
// uncounted lists only in the write that adds it to a counter; a marked pod whose
// uid is not uncounted has been counted.
func (c *JobController) track(ctx context.Context, job *api.Job, jp jobPods, status *api.JobStatus) (*api.Job, error) {
	unc := status.UncountedTerminatedPods
	if unc == nil {
		unc = &api.UncountedTerminatedPods{}
	}
	indexed := jobIndexed(job)
	completed := parseJobIndexes(status.CompletedIndexes, jobCompletions(job))
	added := false
	for _, group := range []struct {
		pods []*api.Pod
		uids *[]string
		ok   bool
	}{{jp.succeeded, &unc.Succeeded, true}, {jp.failed, &unc.Failed, false}} {
		for _, p := range group.pods {
			if p.Annotations[jobTrackedAnnotation] != "" || slices.Contains(*group.uids, p.UID) {
				continue
			}
			*group.uids = append(*group.uids, p.UID)
			added = true
			if indexed && group.ok {
				if i, ok := jobPodIndex(p, jobCompletions(job)); ok {
					completed[i] = true
				}
			}
		}
	}
	if added {
		status.UncountedTerminatedPods = unc
		status.CompletedIndexes = completed.String()
		next := api.DeepCopy(job).(*api.Job)
		next.Status = *status
		out, err := c.env.Writer.UpdateStatus(ctx, next)
		if err != nil {
			return job, err
		}
		job = out.(*api.Job)
		*status = api.DeepCopy(job).(*api.Job).Status
		unc = status.UncountedTerminatedPods
	}
	if unc == nil || len(unc.Succeeded)+len(unc.Failed) == 0 {
		status.UncountedTerminatedPods = nil
		return job, nil
	}
	var errs []error
	for _, p := range append(slices.Clone(jp.succeeded), jp.failed...) {
		if p.Annotations[jobTrackedAnnotation] != "" || !(slices.Contains(unc.Succeeded, p.UID) || slices.Contains(unc.Failed, p.UID)) {
			continue
		}
		errs = append(errs, c.markTracked(ctx, p))
	}
	if err := errors.Join(errs...); err != nil {
		return job, err
	}
	if !indexed {
		status.Succeeded += int32(len(unc.Succeeded))
	}
	status.Failed += int32(len(unc.Failed))
	status.UncountedTerminatedPods = nil
	return job, nil
}

func (c *JobController) markTracked(ctx context.Context, p *api.Pod) error {
	next := api.DeepCopy(p).(*api.Pod)
	if next.Annotations == nil {
		next.Annotations = map[string]string{}
	}
	next.Annotations[jobTrackedAnnotation] = "true"
	_, err := c.env.Writer.Update(ctx, next)
	if api.ReasonOf(err) == api.ReasonNotFound {
		return nil // gone: counted all the same, it was finished
	}
	return err
}
