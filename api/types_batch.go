package api

import "encoding/json"

// Job runs pods until a number of them succeed.
type Job struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       JobSpec   `json:"spec,omitempty"`
	Status     JobStatus `json:"status,omitempty"`
}

// JobSpec is a Job's desired state.
type JobSpec struct {
	// Parallelism is how many pods may run at once; nil means 1.
	Parallelism *int32 `json:"parallelism,omitempty"`
	// Completions is how many pods must succeed; nil means any one success
	// completes the Job once the others finish (with parallelism nil too, both are
	// defaulted to 1).
	Completions *int32 `json:"completions,omitempty"`
	// ActiveDeadlineSeconds bounds the Job's running time from startTime; nil means
	// no bound. A suspended Job's clock stops and restarts when it resumes.
	ActiveDeadlineSeconds *int64 `json:"activeDeadlineSeconds,omitempty"`
	// BackoffLimit is how many pod failures fail the Job; nil means 6.
	BackoffLimit *int32 `json:"backoffLimit,omitempty"`
	// Selector is generated from the Job's uid unless ManualSelector is true.
	Selector       *LabelSelector  `json:"selector,omitempty"`
	ManualSelector *bool           `json:"manualSelector,omitempty"`
	Template       PodTemplateSpec `json:"template"`
	// TTLSecondsAfterFinished deletes the Job this long after it completes or
	// fails; nil means never.
	TTLSecondsAfterFinished *int32 `json:"ttlSecondsAfterFinished,omitempty"`
	// CompletionMode is NonIndexed (default) or Indexed: each pod gets an index in
	// [0, completions) and every index must succeed once.
	CompletionMode *string `json:"completionMode,omitempty"`
	// Suspend stops the Job: its active pods are removed and none are created
	// until it is false again.
	Suspend *bool `json:"suspend,omitempty"`
	// PodReplacementPolicy says when a failed pod is replaced: TerminatingOrFailed
	// (default) or Failed.
	PodReplacementPolicy *string `json:"podReplacementPolicy,omitempty"`

	// The fields below decode so manifests apply; Berth does not act on them yet.
	PodFailurePolicy     json.RawMessage `json:"podFailurePolicy,omitempty"`
	SuccessPolicy        json.RawMessage `json:"successPolicy,omitempty"`
	BackoffLimitPerIndex *int32          `json:"backoffLimitPerIndex,omitempty"`
	MaxFailedIndexes     *int32          `json:"maxFailedIndexes,omitempty"`
	ManagedBy            *string         `json:"managedBy,omitempty"`
}

// The values of JobSpec.CompletionMode.
const (
	NonIndexedCompletion = "NonIndexed"
	IndexedCompletion    = "Indexed"
)

// The values of JobSpec.PodReplacementPolicy.
const (
	TerminatingOrFailedPodReplacement = "TerminatingOrFailed"
	FailedPodReplacement              = "Failed"
)

// The labels and annotation a Job's pods carry. Kubernetes sets both the prefixed
// labels and the legacy bare ones on the template of a Job with a generated
// selector; the selector uses the prefixed uid label alone.
const (
	JobNameLabel             = "batch.kubernetes.io/job-name"
	ControllerUIDLabel       = "batch.kubernetes.io/controller-uid"
	LegacyJobNameLabel       = "job-name"
	LegacyControllerUIDLabel = "controller-uid"
	// JobCompletionIndexAnnotation holds an Indexed Job pod's index (also set as
	// a label of the same name).
	JobCompletionIndexAnnotation = "batch.kubernetes.io/job-completion-index"
)

// JobStatus is a Job's observed state.
type JobStatus struct {
	Conditions []JobCondition `json:"conditions,omitempty"`
	// StartTime is when the Job started (or last resumed); CompletionTime is set
	// only when it completes successfully.
	StartTime      *Time `json:"startTime,omitempty"`
	CompletionTime *Time `json:"completionTime,omitempty"`
	Active         int32 `json:"active,omitempty"`
	Succeeded      int32 `json:"succeeded,omitempty"`
	Failed         int32 `json:"failed,omitempty"`
	// Terminating counts pods that are being deleted; nil when not tracked.
	Terminating *int32 `json:"terminating,omitempty"`
	// CompletedIndexes lists an Indexed Job's succeeded indexes as ranges: "1,3-5,7".
	CompletedIndexes string  `json:"completedIndexes,omitempty"`
	FailedIndexes    *string `json:"failedIndexes,omitempty"`
	// UncountedTerminatedPods holds the uids of finished pods not yet counted.
	UncountedTerminatedPods *UncountedTerminatedPods `json:"uncountedTerminatedPods,omitempty"`
	// Ready counts active pods whose Ready condition is true.
	Ready *int32 `json:"ready,omitempty"`
}

// UncountedTerminatedPods are the uids of pods that finished but are not yet in
// the status counters.
type UncountedTerminatedPods struct {
	Succeeded []string `json:"succeeded,omitempty"`
	Failed    []string `json:"failed,omitempty"`
}

// JobCondition is one aspect of a Job's state.
type JobCondition struct {
	Type               string `json:"type"`
	Status             string `json:"status"`
	LastProbeTime      *Time  `json:"lastProbeTime,omitempty"`
	LastTransitionTime *Time  `json:"lastTransitionTime,omitempty"`
	Reason             string `json:"reason,omitempty"`
	Message            string `json:"message,omitempty"`
}

// The Job condition types.
const (
	JobSuspended          = "Suspended"
	JobComplete           = "Complete"
	JobFailed             = "Failed"
	JobFailureTarget      = "FailureTarget"
	JobSuccessCriteriaMet = "SuccessCriteriaMet"
)

// The reasons of the Failed and Complete conditions.
const (
	JobReasonBackoffLimitExceeded = "BackoffLimitExceeded"
	JobReasonDeadlineExceeded     = "DeadlineExceeded"
	JobReasonCompletionsReached   = "CompletionsReached"
)

func init() {
	register(&Resource{
		Kind: "Job", Plural: "jobs", Singular: "job",
		Group: "batch", Version: "v1", Namespaced: true, HasStatus: true,
		New: func() Object { return &Job{TypeMeta: TypeMeta{APIVersion: "batch/v1", Kind: "Job"}} },
	})
}
