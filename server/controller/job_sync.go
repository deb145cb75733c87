package controller

import (
	"context"
	"errors"
	"reflect"
	"time"

	"github.com/berth-dev/berth/api"
)

// jobSync is one sync's work on a Job: the status being built, the pods, and when
// to look again.
type jobSync struct {
	job     *api.Job
	status  api.JobStatus
	pods    jobPods
	now     time.Time
	requeue time.Duration
	// active is the number of active pods once this sync's creates and deletes land.
	active int
}

func (js *jobSync) after(d time.Duration) {
	if d > 0 && (js.requeue == 0 || d < js.requeue) {
		js.requeue = d
	}
}

// sync reconciles one Job; key is "namespace/name".
func (c *JobController) sync(ctx context.Context, key string) error {
	stored, ok := lookup[*api.Job](c.env.Store, c.jobRes, key)
	if !ok || stored.DeletionTimestamp != nil {
		return nil
	}
	job := api.DeepCopy(stored).(*api.Job)
	// status is built on a copy: comparing it with job.Status says whether to write.
	js := &jobSync{job: job, status: api.DeepCopy(job).(*api.Job).Status, now: c.now()}
	js.pods = classifyJobPods(podsControlledBy(c.env.Store, c.podRes, job.UID))
	job, err := c.track(ctx, job, js.pods, &js.status)
	if err != nil {
		return err
	}
	js.job = job
	if jobIndexed(job) {
		js.status.Succeeded = int32(len(parseJobIndexes(js.status.CompletedIndexes, jobCompletions(job))))
	}
	js.active = len(js.pods.active)
	var actErr error
	if jobFinished(&js.status) {
		// Stragglers of a finished Job (a delete that failed before) still go.
		actErr = c.deletePods(ctx, js, js.pods.active)
	} else {
		actErr = c.reconcile(ctx, js)
	}
	if err := c.writeStatus(ctx, js); err != nil {
		return errors.Join(actErr, err)
	}
	if actErr != nil {
		return actErr
	}
	if jobFinished(&js.status) {
		return c.expire(ctx, js, key)
	}
	if js.requeue > 0 {
		c.queue.AddAfter(key, js.requeue)
	}
	return nil
}

// reconcile decides an unfinished Job: suspended, failed, complete, or running
// pods towards completion.
func (c *JobController) reconcile(ctx context.Context, js *jobSync) error {
	job, s := js.job, &js.status
	if jobSuspended(job) {
		if setJobCondition(s, api.JobSuspended, api.ConditionTrue, "JobSuspended", "Job suspended", js.now) {
			c.event(job, "Normal", "Suspended", "Job suspended")
		}
		return c.deletePods(ctx, js, js.pods.active)
	}
	if s.StartTime == nil {
		s.StartTime = api.NewTime(js.now)
	}
	if jobCondition(s, api.JobSuspended) == api.ConditionTrue {
		// Resumed: the deadline's clock starts again.
		setJobCondition(s, api.JobSuspended, api.ConditionFalse, "JobResumed", "Job resumed", js.now)
		s.StartTime = api.NewTime(js.now)
		c.event(job, "Normal", "Resumed", "Job resumed")
	}
	if reason, msg := c.failure(js); reason != "" {
		setJobCondition(s, api.JobFailureTarget, api.ConditionTrue, reason, msg, js.now)
		setJobCondition(s, api.JobFailed, api.ConditionTrue, reason, msg, js.now)
		c.event(job, "Warning", reason, msg)
		return c.deletePods(ctx, js, js.pods.active)
	}
	if jobComplete(job, s, len(js.pods.active)) {
		msg := "Reached expected number of succeeded pods"
		setJobCondition(s, api.JobSuccessCriteriaMet, api.ConditionTrue, api.JobReasonCompletionsReached, msg, js.now)
		setJobCondition(s, api.JobComplete, api.ConditionTrue, api.JobReasonCompletionsReached, msg, js.now)
		s.CompletionTime = api.NewTime(js.now)
		c.event(job, "Normal", "Completed", "Job completed")
		return c.deletePods(ctx, js, js.pods.active)
	}
	if jobIndexed(job) {
		return c.manageIndexed(ctx, js)
	}
	return c.manageNonIndexed(ctx, js)
}

// failure says why the Job has failed, if it has: too many failed pods (or, under
// restartPolicy OnFailure, container restarts), or past its deadline. Otherwise it
// arranges a sync at the deadline.
func (c *JobController) failure(js *jobSync) (reason, message string) {
	job, s := js.job, &js.status
	limit := int32(6)
	if job.Spec.BackoffLimit != nil {
		limit = *job.Spec.BackoffLimit
	}
	if s.Failed > limit || (job.Spec.Template.Spec.RestartPolicy == api.RestartPolicyOnFailure && jobRestartsExceed(js.pods.active, limit)) {
		return api.JobReasonBackoffLimitExceeded, "Job has reached the specified backoff limit"
	}
	if ads := job.Spec.ActiveDeadlineSeconds; ads != nil && s.StartTime != nil {
		left := s.StartTime.Add(time.Duration(*ads) * time.Second).Sub(js.now)
		if left <= 0 {
			return api.JobReasonDeadlineExceeded, "Job was active longer than specified deadline"
		}
		js.after(left)
	}
	return "", ""
}

// jobRestartsExceed is Kubernetes' pastBackoffLimitOnFailure: the restarts of the
// active pods' containers reach the limit (any restart, for a limit of 0).
func jobRestartsExceed(active []*api.Pod, limit int32) bool {
	var n int32
	for _, p := range active {
		for _, cs := range p.Status.InitContainerStatuses {
			n += cs.RestartCount
		}
		for _, cs := range p.Status.ContainerStatuses {
			n += cs.RestartCount
		}
	}
	if limit == 0 {
		return n > 0
	}
	return n >= limit
}

// jobComplete: an Indexed Job has every index succeeded; a Job with completions
// has that many successes; one without is done when a pod succeeded and none runs.
func jobComplete(job *api.Job, s *api.JobStatus, active int) bool {
	if job.Spec.Completions == nil {
		return s.Succeeded > 0 && active == 0
	}
	return s.Succeeded >= *job.Spec.Completions
}

// expire deletes a finished Job once its ttlSecondsAfterFinished have passed (the
// garbage collector then deletes its pods), or looks again then.
func (c *JobController) expire(ctx context.Context, js *jobSync, key string) error {
	ttl := js.job.Spec.TTLSecondsAfterFinished
	if ttl == nil {
		return nil
	}
	finished := jobFinishTime(&js.status)
	left := finished.Add(time.Duration(*ttl) * time.Second).Sub(js.now)
	if left > 0 {
		c.queue.AddAfter(key, left)
		return nil
	}
	err := c.env.Writer.Delete(ctx, c.jobRes, js.job.Namespace, js.job.Name,
		DeleteOptions{UID: js.job.UID, PropagationPolicy: PropagationBackground})
	if api.ReasonOf(err) == api.ReasonNotFound {
		return nil
	}
	return err
}

// writeStatus fills the pod counts and writes the status when it changed.
func (c *JobController) writeStatus(ctx context.Context, js *jobSync) error {
	s := &js.status
	s.Active = int32(max(js.active, 0))
	var ready int32
	for _, p := range js.pods.active {
		if podIsReady(p) {
			ready++
		}
	}
	if jobFinished(s) {
		ready = 0
	}
	terminating := int32(len(js.pods.terminating))
	s.Ready, s.Terminating = &ready, &terminating
	if reflect.DeepEqual(*s, js.job.Status) {
		return nil
	}
	next := api.DeepCopy(js.job).(*api.Job)
	next.Status = *s
	_, err := c.env.Writer.UpdateStatus(ctx, next)
	return err
}
