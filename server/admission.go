package server

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"time"

	"github.com/google/uuid"

	"github.com/berth-dev/berth/api"
)

// maxObjectBytes is the largest object the store accepts, as JSON (DESIGN.md "Limits").
const maxObjectBytes = 1 << 20

// readBody reads a request body within the configured limit.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxRequestBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, api.NewError(api.ReasonRequestEntityTooBig,
			"request body is too large: the limit is %d bytes", s.cfg.MaxRequestBytes)
	}
	if err != nil {
		return nil, api.NewError(api.ReasonBadRequest, "reading the request body: %v", err)
	}
	if len(body) == 0 {
		return nil, api.NewError(api.ReasonBadRequest, "the request body is empty; send the object as JSON or YAML")
	}
	return body, nil
}

// decodeFor decodes a body strictly and checks it is the kind and namespace the path
// names. A missing namespace takes the path's.
func decodeFor(t target, body []byte) (api.Object, error) {
	obj, res, err := api.DecodeObject(body)
	if err != nil {
		return nil, err
	}
	if res != t.res {
		return nil, api.NewError(api.ReasonBadRequest,
			"the object's kind %q (%s) does not match the resource in the path (%s)",
			res.Kind, res.APIVersion(), t.res.Plural)
	}
	meta := obj.GetObjectMeta()
	if t.res.Namespaced {
		if meta.Namespace == "" {
			meta.Namespace = t.namespace
		}
		if meta.Namespace != t.namespace {
			return nil, api.NewError(api.ReasonBadRequest,
				"the namespace of the object (%s) does not match the namespace in the path (%s)", meta.Namespace, t.namespace)
		}
	}
	if t.name != "" && meta.Name != t.name {
		return nil, api.NewError(api.ReasonBadRequest,
			"the name of the object (%s) does not match the name in the path (%s)", meta.Name, t.name)
	}
	return obj, nil
}

// encodeChecked encodes obj and enforces the object size limit.
func encodeChecked(obj api.Object) ([]byte, error) {
	b, err := api.Encode(obj)
	if err != nil {
		return nil, api.NewError(api.ReasonInternalError, "encoding object: %v", err)
	}
	if len(b) > maxObjectBytes {
		m := obj.GetObjectMeta()
		return nil, api.NewError(api.ReasonRequestEntityTooBig,
			"%s %q is too large: %d bytes, the limit is %d (1 MiB)", obj.GetTypeMeta().Kind, m.Name, len(b), maxObjectBytes)
	}
	return b, nil
}

// stampNew sets what the leader decides for a new object: uid, creation time,
// generation, and a name for generateName.
func stampNew(res *api.Resource, obj api.Object, now time.Time) {
	tm := obj.GetTypeMeta()
	tm.APIVersion, tm.Kind = res.APIVersion(), res.Kind
	m := obj.GetObjectMeta()
	if m.Name == "" && m.GenerateName != "" {
		m.Name = m.GenerateName + randomSuffix()
	}
	if !res.Namespaced {
		m.Namespace = ""
	}
	m.UID = uuid.NewString()
	m.CreationTimestamp = api.NewTime(now)
	m.DeletionTimestamp, m.DeletionGracePeriodSeconds = nil, nil
	m.ResourceVersion = ""
	m.Generation = 1
	if pod, ok := obj.(*api.Pod); ok {
		// As Kubernetes' pod strategy does: a new pod's status is the server's, and
		// it starts Pending until a node reports on it.
		pod.Status = api.PodStatus{Phase: api.PodPending}
	}
}

// randomSuffix is five characters of the alphabet Kubernetes uses for generateName.
func randomSuffix() string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	b := make([]byte, 5)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// statusField returns the addressable Status field of obj, if its kind has one.
func statusField(obj api.Object) (reflect.Value, bool) {
	v := reflect.ValueOf(obj)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return reflect.Value{}, false
	}
	f := v.Elem().FieldByName("Status")
	return f, f.IsValid() && f.CanSet()
}

// copyStatus sets dst's status to src's (both the same kind).
func copyStatus(dst, src api.Object) {
	d, ok1 := statusField(dst)
	s, ok2 := statusField(src)
	if ok1 && ok2 && d.Type() == s.Type() {
		d.Set(s)
	}
}

// specChanged reports whether anything but metadata and status differs: a change to
// the desired state, which bumps metadata.generation.
func specChanged(a, b api.Object) bool {
	strip := func(o api.Object) map[string]json.RawMessage {
		raw, _ := json.Marshal(o)
		var m map[string]json.RawMessage
		json.Unmarshal(raw, &m)
		delete(m, "metadata")
		delete(m, "status")
		return m
	}
	return !reflect.DeepEqual(strip(a), strip(b))
}

// warnings sets a Warning header for every real Kubernetes field Berth ignores.
func setWarnings(w http.ResponseWriter, obj api.Object) {
	for _, msg := range api.Warnings(obj) {
		w.Header().Add("Warning", `299 - "`+sanitizeWarning(msg)+`"`)
	}
}

func sanitizeWarning(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			out = append(out, '\'')
		case r < 0x20 || r > 0x7e:
			out = append(out, '?')
		default:
			out = append(out, r)
		}
	}
	return string(out)
}
