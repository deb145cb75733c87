package api

import (
	"encoding/json"
	"time"
)

// TypeMeta names an object's kind and schema version on the wire.
type TypeMeta struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind,omitempty"`
}

// GetTypeMeta lets every kind satisfy Object through embedding.
func (t *TypeMeta) GetTypeMeta() *TypeMeta { return t }

// ObjectMeta is the metadata every stored object carries, with Kubernetes' field names.
// The server decides UID, ResourceVersion, Generation and CreationTimestamp; what a
// user sends in those fields on create is ignored.
type ObjectMeta struct {
	Name      string `json:"name,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	UID       string `json:"uid,omitempty"`
	// ResourceVersion is the Raft index of the object's last change, as a decimal string.
	// On update it is a precondition: a stale value fails with a conflict; empty means
	// "whatever is current".
	ResourceVersion string `json:"resourceVersion,omitempty"`
	// Generation counts changes to the desired state (spec); status writes leave it alone.
	Generation        int64             `json:"generation,omitempty"`
	Labels            map[string]string `json:"labels,omitempty"`
	Annotations       map[string]string `json:"annotations,omitempty"`
	OwnerReferences   []OwnerReference  `json:"ownerReferences,omitempty"`
	Finalizers        []string          `json:"finalizers,omitempty"`
	CreationTimestamp *Time             `json:"creationTimestamp,omitempty"`
	DeletionTimestamp *Time             `json:"deletionTimestamp,omitempty"`
	// GenerateName asks the server for a unique name with this prefix when Name is empty.
	GenerateName string `json:"generateName,omitempty"`
	// DeletionGracePeriodSeconds is the grace period of a pending graceful deletion.
	DeletionGracePeriodSeconds *int64 `json:"deletionGracePeriodSeconds,omitempty"`
	// SelfLink and ManagedFields are accepted so `kubectl get -o yaml` output applies;
	// Berth neither sets nor reads them.
	SelfLink      string          `json:"selfLink,omitempty"`
	ManagedFields json.RawMessage `json:"managedFields,omitempty"`
}

// GetObjectMeta lets every kind satisfy Object through embedding.
func (m *ObjectMeta) GetObjectMeta() *ObjectMeta { return m }

// OwnerReference points at the object that owns this one (garbage collection follows it).
type OwnerReference struct {
	APIVersion         string `json:"apiVersion"`
	Kind               string `json:"kind"`
	Name               string `json:"name"`
	UID                string `json:"uid"`
	Controller         *bool  `json:"controller,omitempty"`
	BlockOwnerDeletion *bool  `json:"blockOwnerDeletion,omitempty"`
}

// ListMeta is the metadata of a list: the resourceVersion it was read at, to watch from.
type ListMeta struct {
	ResourceVersion string `json:"resourceVersion,omitempty"`
	Continue        string `json:"continue,omitempty"`
}

// Object is what every kind implements: a TypeMeta and an ObjectMeta, reached by pointer.
type Object interface {
	GetTypeMeta() *TypeMeta
	GetObjectMeta() *ObjectMeta
}

// Time is a timestamp that travels as RFC 3339 in UTC with second precision, as in
// Kubernetes. The zero Time encodes as null.
type Time struct {
	time.Time
}

// NewTime truncates t to the second, the precision the wire keeps.
func NewTime(t time.Time) *Time {
	return &Time{t.UTC().Truncate(time.Second)}
}

// MarshalJSON encodes RFC 3339, or null for the zero time.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.UTC().Format(time.RFC3339))
}

// UnmarshalJSON accepts RFC 3339 (with or without fractional seconds) or null.
func (t *Time) UnmarshalJSON(b []byte) error {
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
	t.Time = pt.UTC().Truncate(time.Second)
	return nil
}
