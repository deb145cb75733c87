package raftfsm

import (
	"errors"
	"reflect"
	"testing"
)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		cmd  Command
	}{
		{"create", *createCM("default", "a", "v")},
		{"update with preconditions", Command{Type: CmdUpdate, Kind: "ConfigMap", Namespace: "ns", Name: "a",
			ResourceVersion: 42, UID: "u", Object: objJSON("ConfigMap", "ns", "a", nil)}},
		{"delete", Command{Type: CmdDelete, Kind: "Namespace", Name: "ns"}},
		{"batch", Command{Type: CmdBatch, Commands: []Command{
			*createCM("default", "a", "v"),
			{Type: CmdDelete, Kind: "ConfigMap", Namespace: "default", Name: "b", ResourceVersion: 7},
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := EncodeCommand(&tt.cmd)
			if err != nil {
				t.Fatal(err)
			}
			if CommandType(b[0]) != tt.cmd.Type {
				t.Fatalf("type byte %d, want %d", b[0], tt.cmd.Type)
			}
			got, err := DecodeCommand(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tt.cmd) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", *got, tt.cmd)
			}
		})
	}
}

func TestDecodeCommandErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr error
		skipped bool
	}{
		{name: "empty", in: "", wantErr: ErrMalformedCommand},
		{name: "type only", in: "\x01", wantErr: ErrMalformedCommand},
		{name: "garbage body", in: "\x01{nope", wantErr: ErrMalformedCommand},
		{name: "body not an object", in: "\x01[1,2]", wantErr: ErrMalformedCommand},
		{name: "type zero", in: "\x00{}", wantErr: ErrUnknownCommand},
		{name: "unknown type", in: "\x33{}", wantErr: ErrUnknownCommand},
		{name: "unknown ignorable", in: "\xb3whatever a newer server wrote", skipped: true},
		{name: "unknown ignorable no body", in: "\xb3", skipped: true},
		{name: "members on a create", in: `` + "\x01" + `{"commands":[{"type":1}]}`, wantErr: ErrMalformedCommand},
		{name: "type in top-level body", in: "\x01" + `{"type":2}`, wantErr: ErrMalformedCommand},
		{name: "batch in batch", in: "\x05" + `{"commands":[{"type":5}]}`, wantErr: ErrMalformedCommand},
		{name: "ignorable batch in batch", in: "\x05" + `{"commands":[{"type":133}]}`, wantErr: ErrMalformedCommand},
		{name: "member with members", in: "\x05" + `{"commands":[{"type":1,"commands":[{"type":1}]}]}`, wantErr: ErrMalformedCommand},
		{name: "member without type", in: "\x05" + `{"commands":[{"kind":"ConfigMap"}]}`, wantErr: ErrMalformedCommand},
		{name: "unknown member", in: "\x05" + `{"commands":[{"type":51}]}`, wantErr: ErrUnknownCommand},
		{name: "huge member type", in: "\x05" + `{"commands":[{"type":9999}]}`, wantErr: ErrMalformedCommand},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := DecodeCommand([]byte(tt.in))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Skipped() != tt.skipped {
				t.Fatalf("Skipped %v, want %v", c.Skipped(), tt.skipped)
			}
		})
	}
}

func TestDecodeIgnorableKnownAndMember(t *testing.T) {
	c, err := DecodeCommand([]byte("\x85" + `{"commands":[{"type":179},{"type":129,"kind":"ConfigMap"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Type != CmdBatch || len(c.Commands) != 2 {
		t.Fatalf("got %+v", c)
	}
	if !c.Commands[0].Skipped() || c.Commands[1].Type != CmdCreate {
		t.Fatalf("members %+v", c.Commands)
	}
}

func TestEncodeCommandRefuses(t *testing.T) {
	tests := []struct {
		name string
		cmd  *Command
	}{
		{"nil", nil},
		{"type zero", &Command{Kind: "ConfigMap"}},
		{"members on create", &Command{Type: CmdCreate, Commands: []Command{{Type: CmdCreate}}}},
		{"batch in batch", &Command{Type: CmdBatch, Commands: []Command{{Type: CmdBatch}}}},
		{"member without type", &Command{Type: CmdBatch, Commands: []Command{{Kind: "ConfigMap"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := EncodeCommand(tt.cmd); !errors.Is(err, ErrMalformedCommand) {
				t.Fatalf("err %v, want ErrMalformedCommand", err)
			}
		})
	}
}

// FuzzDecodeCommand checks that no entry panics the decoder, that what decodes
// re-encodes to something that decodes the same, and that applying it to a store
// with a namespace does not panic either.
func FuzzDecodeCommand(f *testing.F) {
	seeds := []*Command{
		createCM("default", "a", "v"),
		createNS("other"),
		createPod("default", "p", "n1", "owner"),
		{Type: CmdUpdate, Kind: "ConfigMap", Namespace: "default", Name: "a", ResourceVersion: 2,
			Object: objJSON("ConfigMap", "default", "a", nil)},
		{Type: CmdUpdateStatus, Kind: "Pod", Namespace: "default", Name: "p",
			Object: podJSON("default", "p", "", "", "Running")},
		{Type: CmdDelete, Kind: "Namespace", Name: "default"},
		{Type: CmdBatch, Commands: []Command{*createCM("default", "b", "v"), {Type: CmdDelete, Kind: "ConfigMap", Namespace: "default", Name: "a"}}},
	}
	for _, c := range seeds {
		b, err := EncodeCommand(c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		if b, err = EncodeCommandBinary(c); err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("\xff"))
	f.Add([]byte("\x05{\"commands\":[{\"type\":5}]}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeCommand(b)
		if err != nil {
			return
		}
		encode := EncodeCommand
		if b[0] == binaryMarker {
			encode = EncodeCommandBinary // objects are not checked: applying them is
		}
		if !c.Skipped() {
			again, err := encode(c)
			if err != nil {
				t.Fatalf("decoded but cannot re-encode: %v", err)
			}
			// Encoding compacts objects, so compare the second encoding with the first.
			c2, err := DecodeCommand(again)
			if err != nil {
				t.Fatalf("re-decode: %v", err)
			}
			third, err := encode(c2)
			if err != nil || string(third) != string(again) {
				t.Fatalf("not stable: %v\n%q\n%q", err, again, third)
			}
		}
		h := mustNewFSM(t, 100)
		h.mustApply(createNS("default"))
		h.mustApply(createCM("default", "a", "v"))
		h.mustApply(createPod("default", "p", "n1", "owner"))
		resp := h.applyRaw(b)
		if resp == nil {
			t.Fatal("nil response")
		}
		if h.f.Index() != h.idx {
			t.Fatalf("index %d, want %d", h.f.Index(), h.idx)
		}
	})
}
