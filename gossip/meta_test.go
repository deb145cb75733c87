package gossip

import (
	"errors"
	"strings"
	"testing"
)

func TestEncodeMeta(t *testing.T) {
	t.Parallel()
	// {"r":"server","id":"…"} plus the leaving mark must fit in MaxMetaSize.
	largestID := MaxMetaSize - len(`{"r":"server","id":""}`) - leavingOverhead
	full := Meta{Role: RoleServer, ID: "s1", HTTPAddr: "10.0.0.1:6440", RaftAddr: "10.0.0.1:6441",
		Version: "1.2.3", Bootstrapped: true, Expect: 3}
	tests := []struct {
		name    string
		meta    Meta
		wantErr error
	}{
		{name: "server", meta: full},
		{name: "client", meta: Meta{Role: RoleClient, ID: "n1"}},
		{name: "missing role", meta: Meta{ID: "x"}, wantErr: ErrInvalidMeta},
		{name: "unknown role", meta: Meta{Role: "boss"}, wantErr: ErrInvalidMeta},
		{name: "negative expect", meta: Meta{Role: RoleServer, Expect: -1}, wantErr: ErrInvalidMeta},
		{name: "largest accepted", meta: Meta{Role: RoleServer, ID: strings.Repeat("x", largestID)}},
		{name: "one byte over", meta: Meta{Role: RoleServer, ID: strings.Repeat("x", largestID+1)}, wantErr: ErrMetaTooLarge},
		{name: "far too large", meta: Meta{Role: RoleServer, ID: strings.Repeat("x", MaxMetaSize)}, wantErr: ErrMetaTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := encodeMeta(tt.meta, false)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("encodeMeta err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			got, leaving, err := decodeMeta(b)
			if err != nil || got != tt.meta || leaving {
				t.Fatalf("round trip = %+v, %v, %v; want %+v", got, leaving, err, tt.meta)
			}
			// The leaving form must fit too: Leave adds it later.
			b, err = encodeMeta(tt.meta, true)
			if err != nil || len(b) > MaxMetaSize {
				t.Fatalf("leaving form: %d bytes, %v", len(b), err)
			}
			if got, leaving, err := decodeMeta(b); err != nil || got != tt.meta || !leaving {
				t.Fatalf("leaving round trip = %+v, %v, %v", got, leaving, err)
			}
		})
	}
}

func TestDecodeMeta(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    Meta
		leaving bool
		wantErr error
	}{
		{name: "empty", in: "", want: Meta{}},
		{name: "unknown keys ignored", in: `{"r":"client","id":"n","zz":1}`, want: Meta{Role: RoleClient, ID: "n"}},
		{name: "leaving mark", in: `{"r":"server","l":true}`, want: Meta{Role: RoleServer}, leaving: true},
		{name: "garbage", in: "\x00\xffnot json", wantErr: ErrBadPeerMeta},
		{name: "wrong type", in: `{"e":"three"}`, wantErr: ErrBadPeerMeta},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, leaving, err := decodeMeta([]byte(tt.in))
			if !errors.Is(err, tt.wantErr) || got != tt.want || leaving != tt.leaving {
				t.Fatalf("decodeMeta = %+v, %v, %v; want %+v, %v, %v", got, leaving, err, tt.want, tt.leaving, tt.wantErr)
			}
		})
	}
}

func FuzzDecodeMeta(f *testing.F) {
	f.Add([]byte(`{"r":"server","id":"s1","b":true,"e":3}`))
	f.Add([]byte(`{`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, leaving, err := decodeMeta(b)
		if err != nil {
			return
		}
		// Whatever decodes must encode back within the limit or fail
		// cleanly, never panic.
		if out, err := encodeMeta(m, leaving); err == nil && len(out) > MaxMetaSize {
			t.Fatalf("encoded %d bytes, over the limit", len(out))
		}
	})
}

func TestMetaDelegateWithholdsOversized(t *testing.T) {
	t.Parallel()
	var d metaDelegate
	if got := d.NodeMeta(MaxMetaSize); got != nil {
		t.Errorf("unset NodeMeta = %q, want nil", got)
	}
	d.set([]byte(strings.Repeat("x", 10)))
	if got := d.NodeMeta(5); got != nil {
		t.Errorf("NodeMeta over limit = %q, want nil", got)
	}
	if got := d.NodeMeta(10); len(got) != 10 {
		t.Errorf("NodeMeta = %q, want 10 bytes", got)
	}
}
