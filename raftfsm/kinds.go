package raftfsm

import (
	"reflect"

	"github.com/berth-dev/berth/api"
)

// kindInfo is what Apply needs to know about a kind beyond its api.Resource, worked
// out once in New: reflection and string building per command cost more than the
// rest of a small write.
type kindInfo struct {
	res        *api.Resource
	apiVersion string       // res.APIVersion(), which builds a string each call
	ptr        reflect.Type // the type res.New returns
	// status is the index of the Status field in *ptr; nil when the kind has no
	// plain, exported one (the by-name path then decides).
	status []int
	// nodeName is the index path of Spec.NodeName in *ptr; nil as for status.
	nodeName []int
}

func newKindInfo(res *api.Resource) *kindInfo {
	k := &kindInfo{res: res, apiVersion: res.APIVersion()}
	if res.New == nil {
		return k
	}
	k.ptr = reflect.TypeOf(res.New())
	if k.ptr == nil || k.ptr.Kind() != reflect.Pointer || k.ptr.Elem().Kind() != reflect.Struct {
		return k
	}
	t := k.ptr.Elem()
	if f, ok := t.FieldByName("Status"); ok && f.IsExported() && len(f.Index) == 1 {
		k.status = f.Index
	}
	spec, ok := t.FieldByName("Spec")
	if !ok || !spec.IsExported() || len(spec.Index) != 1 || spec.Type.Kind() != reflect.Struct {
		return k
	}
	if f, ok := spec.Type.FieldByName("NodeName"); ok && f.IsExported() && len(f.Index) == 1 &&
		f.Type.Kind() == reflect.String {
		k.nodeName = []int{spec.Index[0], f.Index[0]}
	}
	return k
}

// kindOf returns the kind of a stored record's resource. Every record has a kind this
// FSM knows; the fallback only keeps a mismatch from panicking.
func (f *FSM) kindOf(res *api.Resource) *kindInfo {
	if k, ok := f.byKind[res.Kind]; ok && k.res == res {
		return k
	}
	return newKindInfo(res)
}

// copyStatus sets dst's Status field to src's; false if the kind has none.
func (k *kindInfo) copyStatus(dst, src api.Object) bool {
	if k.status == nil || reflect.TypeOf(dst) != k.ptr || reflect.TypeOf(src) != k.ptr {
		return copyStatusByName(dst, src)
	}
	d, s := reflect.ValueOf(dst), reflect.ValueOf(src)
	if d.IsNil() || s.IsNil() {
		return copyStatusByName(dst, src)
	}
	d.Elem().FieldByIndex(k.status).Set(s.Elem().FieldByIndex(k.status))
	return true
}

// copyStatusByName is copyStatus for any pair of objects.
func copyStatusByName(dst, src api.Object) bool {
	d := reflect.ValueOf(dst).Elem().FieldByName("Status")
	s := reflect.ValueOf(src).Elem().FieldByName("Status")
	if !d.IsValid() || !s.IsValid() || d.Type() != s.Type() || !d.CanSet() {
		return false
	}
	d.Set(s)
	return true
}

// nodeNameOf reads spec.nodeName; "" (unbound, or no such field) leaves the pod out
// of the node index.
func (k *kindInfo) nodeNameOf(obj api.Object) string {
	if k.nodeName == nil || reflect.TypeOf(obj) != k.ptr {
		return nodeName(obj)
	}
	v := reflect.ValueOf(obj)
	if v.IsNil() {
		return ""
	}
	return v.Elem().FieldByIndex(k.nodeName).String()
}

// nodeName reads spec.nodeName by reflection by name, so the store needs no per-kind
// code, whatever the object's type.
func nodeName(obj api.Object) string {
	v := reflect.ValueOf(obj)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return ""
	}
	spec := v.Elem().FieldByName("Spec")
	if spec.Kind() == reflect.Pointer {
		if spec.IsNil() {
			return ""
		}
		spec = spec.Elem()
	}
	if spec.Kind() != reflect.Struct {
		return ""
	}
	n := spec.FieldByName("NodeName")
	if n.Kind() != reflect.String {
		return ""
	}
	return n.String()
}
