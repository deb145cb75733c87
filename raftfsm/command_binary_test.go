package raftfsm

import (
	"errors"
	"reflect"
	"testing"

	"pgregory.net/rapid"
)

// genEncodable draws any command EncodeCommand accepts: random strings (any bytes),
// preconditions, objects, ignorable flags and batches.
func genEncodable(t *rapid.T) Command {
	member := func(label string) Command {
		c := Command{
			Type:            rapid.SampledFrom([]CommandType{CmdCreate, CmdUpdate, CmdUpdateStatus, CmdDelete, CmdCreate | FlagIgnorable, 0x70 | FlagIgnorable}).Draw(t, label+"type"),
			Kind:            rapid.String().Draw(t, label+"kind"),
			Namespace:       rapid.String().Draw(t, label+"ns"),
			Name:            rapid.String().Draw(t, label+"name"),
			ResourceVersion: rapid.Uint64().Draw(t, label+"rv"),
			UID:             rapid.String().Draw(t, label+"uid"),
		}
		if rapid.Bool().Draw(t, label+"hasobj") {
			c.Object = objJSON("ConfigMap", "ns", rapid.StringMatching(`[a-z]{1,8}`).Draw(t, label+"objname"), nil)
		}
		return c
	}
	if !rapid.Bool().Draw(t, "batch") {
		return member("top")
	}
	b := Command{Type: CmdBatch}
	for i := range rapid.IntRange(0, 6).Draw(t, "members") {
		b.Commands = append(b.Commands, member(string(rune('a'+i))))
	}
	return b
}

// decoded is what a server reads back from c, the way DecodeCommand reports it.
func decodedForm(c Command) Command {
	norm := func(m Command) Command {
		if !m.Type.known() {
			return Command{Type: m.Type} // ignorable and unknown: skipped, body unread
		}
		m.Type &^= FlagIgnorable
		return m
	}
	out := norm(c)
	if c.Commands != nil {
		out.Commands = make([]Command, len(c.Commands))
		for i, m := range c.Commands {
			out.Commands[i] = norm(m)
		}
	}
	return out
}

// TestBinaryRoundTrip: every encodable command comes back from the binary framing
// as DecodeCommand reads it from the JSON one.
func TestBinaryRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := genEncodable(t)
		bin, err := EncodeCommandBinary(&c)
		if err != nil {
			t.Fatalf("EncodeCommandBinary: %v", err)
		}
		got, err := DecodeCommand(bin)
		if err != nil {
			t.Fatalf("DecodeCommand(binary): %v", err)
		}
		if want := decodedForm(c); !reflect.DeepEqual(*got, want) {
			t.Fatalf("binary round trip:\n got %+v\nwant %+v", *got, want)
		}
		js, err := EncodeCommand(&c)
		if err != nil {
			t.Fatalf("EncodeCommand: %v", err)
		}
		fromJSON, err := DecodeCommand(js)
		if err != nil {
			t.Fatalf("DecodeCommand(json): %v", err)
		}
		// JSON replaces invalid UTF-8 with U+FFFD; the binary framing keeps the bytes.
		if !reflect.DeepEqual(*got, *fromJSON) && validUTF8(c) {
			t.Fatalf("binary and JSON framings read differently:\nbinary %+v\njson   %+v", *got, *fromJSON)
		}
	})
}

func validUTF8(c Command) bool {
	ok := func(m Command) bool {
		for _, s := range []string{m.Kind, m.Namespace, m.Name, m.UID} {
			for _, r := range s {
				if r == '\uFFFD' {
					return false
				}
			}
		}
		return true
	}
	for _, m := range c.Commands {
		if !ok(m) {
			return false
		}
	}
	return ok(c)
}

// TestBinaryRefusals: malformed binary entries fail with the package's errors.
func TestBinaryRefusals(t *testing.T) {
	good, err := EncodeCommandBinary(&Command{Type: CmdBatch, Commands: []Command{*createCM("default", "a", "v")}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		entry []byte
		want  error
	}{
		{"marker only", []byte{binaryMarker}, ErrMalformedCommand},
		{"unknown type", []byte{binaryMarker, 0x31}, ErrUnknownCommand},
		{"truncated", good[:len(good)-3], ErrMalformedCommand},
		{"trailing bytes", append(append([]byte{}, good...), 0), ErrMalformedCommand},
		{"length past the end", []byte{binaryMarker, byte(CmdCreate), 0xff, 0xff, 0x03}, ErrMalformedCommand},
		{"members on a create", func() []byte {
			b, _ := EncodeCommandBinary(createCM("default", "a", "v"))
			return append(b[:len(b)-1], 1, byte(CmdCreate), 0, 0, 0, 0, 0, 0, 0)
		}(), ErrMalformedCommand},
		{"batch in a batch", []byte{binaryMarker, byte(CmdBatch), 0, 0, 0, 0, 0, 0, 1, byte(CmdBatch), 0, 0, 0, 0, 0, 0, 0}, ErrMalformedCommand},
		{"member without type", []byte{binaryMarker, byte(CmdBatch), 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}, ErrMalformedCommand},
		{"huge member count", []byte{binaryMarker, byte(CmdBatch), 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f}, ErrMalformedCommand},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := DecodeCommand(tt.entry); !errors.Is(err, tt.want) {
				t.Fatalf("DecodeCommand = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := EncodeCommandBinary(&Command{Type: CmdBatch, Commands: []Command{{Type: CmdBatch}}}); !errors.Is(err, ErrMalformedCommand) {
		t.Fatalf("EncodeCommandBinary of a nested batch = %v", err)
	}
}

// TestBinaryEntryAppliesAsJSON: a store fed binary entries ends as one fed the same
// commands as JSON.
func TestBinaryEntryAppliesAsJSON(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		log := genLog(t)
		viaJSON := applyAll(t, log)
		h := mustNewFSM(t, 1000)
		for i := range log {
			b, err := EncodeCommandBinary(&log[i])
			if err != nil {
				t.Fatal(err)
			}
			h.applyRaw(b)
		}
		if a, b := dump(t, viaJSON.f), dump(t, h.f); a != b {
			t.Fatalf("stores differ:\njson   %s\nbinary %s", a, b)
		}
	})
}
