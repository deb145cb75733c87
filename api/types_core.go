package api

import (
	"encoding/json"
	"time"
)

// Namespace is a scope for names; deleting it deletes everything in it.
type Namespace struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       NamespaceSpec   `json:"spec,omitempty"`
	Status     NamespaceStatus `json:"status,omitempty"`
}

// NamespaceSpec lists what must finish before a namespace is removed.
type NamespaceSpec struct {
	Finalizers []string `json:"finalizers,omitempty"`
}

// NamespaceStatus is Active or Terminating.
type NamespaceStatus struct {
	Phase      string               `json:"phase,omitempty"`
	Conditions []NamespaceCondition `json:"conditions,omitempty"`
}

// The values of NamespaceStatus.Phase.
const (
	NamespaceActive      = "Active"
	NamespaceTerminating = "Terminating"
)

// NamespaceCondition is one aspect of a namespace's state.
type NamespaceCondition struct {
	Type               string `json:"type"`
	Status             string `json:"status"`
	LastTransitionTime *Time  `json:"lastTransitionTime,omitempty"`
	Reason             string `json:"reason,omitempty"`
	Message            string `json:"message,omitempty"`
}

// ConfigMap holds configuration for pods, as text (Data) or bytes (BinaryData).
type ConfigMap struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	// Immutable, once true, forbids changing Data and BinaryData (and unsetting itself).
	Immutable  *bool             `json:"immutable,omitempty"`
	Data       map[string]string `json:"data,omitempty"`
	BinaryData map[string][]byte `json:"binaryData,omitempty"`
}

// Secret holds sensitive data for pods. Data is base64 on the wire; StringData is a
// write-only convenience merged into Data by Default.
type Secret struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Immutable  *bool             `json:"immutable,omitempty"`
	Data       map[string][]byte `json:"data,omitempty"`
	StringData map[string]string `json:"stringData,omitempty"`
	Type       string            `json:"type,omitempty"`
}

// The Secret types Kubernetes knows; any other non-empty type is allowed too.
const (
	SecretTypeOpaque              = "Opaque"
	SecretTypeServiceAccountToken = "kubernetes.io/service-account-token"
	SecretTypeDockercfg           = "kubernetes.io/dockercfg"
	SecretTypeDockerConfigJSON    = "kubernetes.io/dockerconfigjson"
	SecretTypeBasicAuth           = "kubernetes.io/basic-auth"
	SecretTypeSSHAuth             = "kubernetes.io/ssh-auth"
	SecretTypeTLS                 = "kubernetes.io/tls"
	SecretTypeBootstrapToken      = "bootstrap.kubernetes.io/token"
)

// ObjectReference points at any object, possibly at a field of it.
type ObjectReference struct {
	Kind            string `json:"kind,omitempty"`
	Namespace       string `json:"namespace,omitempty"`
	Name            string `json:"name,omitempty"`
	UID             string `json:"uid,omitempty"`
	APIVersion      string `json:"apiVersion,omitempty"`
	ResourceVersion string `json:"resourceVersion,omitempty"`
	FieldPath       string `json:"fieldPath,omitempty"`
}

// Event is a report of something that happened to an object (core/v1 shape).
type Event struct {
	TypeMeta           `json:",inline"`
	ObjectMeta         `json:"metadata,omitempty"`
	InvolvedObject     ObjectReference  `json:"involvedObject"`
	Reason             string           `json:"reason,omitempty"`
	Message            string           `json:"message,omitempty"`
	Source             EventSource      `json:"source,omitempty"`
	FirstTimestamp     *Time            `json:"firstTimestamp,omitempty"`
	LastTimestamp      *Time            `json:"lastTimestamp,omitempty"`
	Count              int32            `json:"count,omitempty"`
	Type               string           `json:"type,omitempty"`
	EventTime          *MicroTime       `json:"eventTime,omitempty"`
	Series             *EventSeries     `json:"series,omitempty"`
	Action             string           `json:"action,omitempty"`
	Related            *ObjectReference `json:"related,omitempty"`
	ReportingComponent string           `json:"reportingComponent"`
	ReportingInstance  string           `json:"reportingInstance"`
}

// The values of Event.Type.
const (
	EventTypeNormal  = "Normal"
	EventTypeWarning = "Warning"
)

// EventSource names the component (and host) that reported an event.
type EventSource struct {
	Component string `json:"component,omitempty"`
	Host      string `json:"host,omitempty"`
}

// EventSeries summarises repeats of an event.
type EventSeries struct {
	Count            int32      `json:"count,omitempty"`
	LastObservedTime *MicroTime `json:"lastObservedTime,omitempty"`
}

// MicroTime is a timestamp with microsecond precision, as Kubernetes' eventTime.
// The zero MicroTime encodes as null.
type MicroTime struct {
	time.Time
}

const microTimeLayout = "2006-01-02T15:04:05.000000Z07:00"

// NewMicroTime truncates t to the microsecond, the precision the wire keeps.
func NewMicroTime(t time.Time) *MicroTime {
	return &MicroTime{t.UTC().Truncate(time.Microsecond)}
}

// MarshalJSON encodes RFC 3339 with six fractional digits, or null.
func (t MicroTime) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.UTC().Format(microTimeLayout))
}

// UnmarshalJSON accepts RFC 3339 with any fractional precision, or null.
func (t *MicroTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		t.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s == "" {
		t.Time = time.Time{}
		return nil
	}
	pt, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return err
	}
	t.Time = pt.UTC().Truncate(time.Microsecond)
	return nil
}

// Condition is the generic condition of newer kinds (metav1.Condition).
type Condition struct {
	Type               string `json:"type"`
	Status             string `json:"status"`
	ObservedGeneration int64  `json:"observedGeneration,omitempty"`
	LastTransitionTime *Time  `json:"lastTransitionTime,omitempty"`
	Reason             string `json:"reason,omitempty"`
	Message            string `json:"message,omitempty"`
}

func init() {
	register(&Resource{
		Kind: "Namespace", Plural: "namespaces", Singular: "namespace", ShortNames: []string{"ns"},
		Version: "v1", HasStatus: true,
		New: func() Object { return &Namespace{TypeMeta: TypeMeta{APIVersion: "v1", Kind: "Namespace"}} },
	})
	register(&Resource{
		Kind: "ConfigMap", Plural: "configmaps", Singular: "configmap", ShortNames: []string{"cm"},
		Version: "v1", Namespaced: true,
		New: func() Object { return &ConfigMap{TypeMeta: TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}} },
	})
	register(&Resource{
		Kind: "Secret", Plural: "secrets", Singular: "secret",
		Version: "v1", Namespaced: true,
		New: func() Object { return &Secret{TypeMeta: TypeMeta{APIVersion: "v1", Kind: "Secret"}} },
	})
	register(&Resource{
		Kind: "Event", Plural: "events", Singular: "event", ShortNames: []string{"ev"},
		Version: "v1", Namespaced: true,
		New: func() Object { return &Event{TypeMeta: TypeMeta{APIVersion: "v1", Kind: "Event"}} },
	})
}
