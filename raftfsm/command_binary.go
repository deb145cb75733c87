package raftfsm

import (
	"encoding/binary"
	"fmt"
)

// The binary framing of a log entry (codec 2). The JSON body of codec 1 costs every
// server two scans of every object in an entry on top of the object's own decode (the
// validity check of the whole body and the copy of each raw object), and the leader
// one more to encode it: 9% of the leader's CPU and 15% of a follower's in the
// scheduling benchmark. Here objects travel as length-prefixed bytes, read in place.
//
//	entry   = binaryMarker type body
//	body    = str(kind) str(namespace) str(name) uvarint(resourceVersion) str(uid)
//	          bytes(object) uvarint(len(members)) { type body }…   (members have no members)
//	str, bytes = uvarint(length) then the bytes
//
// An entry in this framing is proposed only once every server reads it: a server of a
// version before it would not know the marker and skip the entry (see CodecBinary).

// binaryMarker is the first byte of a binary entry. It is not a command type, with or
// without FlagIgnorable, so no version reads it as a JSON entry.
const binaryMarker = 0x40

// Codecs a server advertises: the newest log entry framing it reads.
const (
	CodecJSON   = 1 // one type byte, then a JSON body
	CodecBinary = 2 // binaryMarker, a type byte, then the binary body
)

// maxBinaryMembers bounds a batch's member count before anything is allocated for it.
const maxBinaryMembers = 1 << 20

// EncodeCommandBinary renders c in the binary framing. It refuses what
// EncodeCommand refuses; it does not validate Object, which must be the JSON its
// caller encoded (DecodeCommandBinary does not either: a bad object fails its own
// command when applied, on every server alike).
func EncodeCommandBinary(c *Command) ([]byte, error) {
	if err := checkEncodable(c); err != nil {
		return nil, err
	}
	size := 2 + bodySize(c)
	for i := range c.Commands {
		size += 1 + bodySize(&c.Commands[i])
	}
	out := make([]byte, 0, size)
	out = append(out, binaryMarker, byte(c.Type))
	out = appendBody(out, c)
	out = binary.AppendUvarint(out, uint64(len(c.Commands)))
	for i := range c.Commands {
		m := &c.Commands[i]
		out = append(out, byte(m.Type))
		out = appendBody(out, m)
		out = binary.AppendUvarint(out, 0)
	}
	return out, nil
}

func bodySize(c *Command) int {
	return 5*binary.MaxVarintLen64 + len(c.Kind) + len(c.Namespace) + len(c.Name) + len(c.UID) + len(c.Object) + binary.MaxVarintLen64
}

func appendBody(out []byte, c *Command) []byte {
	out = appendStr(out, c.Kind)
	out = appendStr(out, c.Namespace)
	out = appendStr(out, c.Name)
	out = binary.AppendUvarint(out, c.ResourceVersion)
	out = appendStr(out, c.UID)
	out = binary.AppendUvarint(out, uint64(len(c.Object)))
	return append(out, c.Object...)
}

func appendStr(out []byte, s string) []byte {
	out = binary.AppendUvarint(out, uint64(len(s)))
	return append(out, s...)
}

// binReader reads a binary body; the first error sticks and every later read
// returns zero values.
type binReader struct {
	b   []byte
	err error
}

func (r *binReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: "+format, append([]any{ErrMalformedCommand}, args...)...)
	}
}

func (r *binReader) uvarint(what string) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("bad %s", what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *binReader) bytes(what string) []byte {
	n := r.uvarint(what + " length")
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.fail("%s of %d bytes, %d left", what, n, len(r.b))
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *binReader) byte1(what string) byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) == 0 {
		r.fail("no %s", what)
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *binReader) body(c *Command) {
	c.Kind = string(r.bytes("kind"))
	c.Namespace = string(r.bytes("namespace"))
	c.Name = string(r.bytes("name"))
	c.ResourceVersion = r.uvarint("resourceVersion")
	c.UID = string(r.bytes("uid"))
	if obj := r.bytes("object"); len(obj) > 0 {
		c.Object = obj
	}
}

// decodeBinary parses a binary entry (b[0] is binaryMarker) with DecodeCommand's rules
// for types: a known type loses FlagIgnorable, an unknown ignorable one is returned
// with only its type (Skipped), an unknown one fails with ErrUnknownCommand.
func decodeBinary(b []byte) (*Command, error) {
	r := &binReader{b: b[1:]}
	t := CommandType(r.byte1("type"))
	if r.err != nil {
		return nil, r.err
	}
	if !t.known() {
		if t&FlagIgnorable == 0 {
			return nil, fmt.Errorf("%w: %#x", ErrUnknownCommand, uint8(t))
		}
		return &Command{Type: t}, nil
	}
	t &^= FlagIgnorable
	c := &Command{Type: t}
	r.body(c)
	n := r.uvarint("member count")
	if r.err == nil && n > maxBinaryMembers {
		r.fail("%d members", n)
	}
	if r.err != nil {
		return nil, r.err
	}
	if err := checkShape(t, int(n)); err != nil {
		return nil, err
	}
	if n > 0 {
		c.Commands = make([]Command, 0, min(n, uint64(len(r.b))))
	}
	for i := range n {
		m, err := r.member()
		if err != nil {
			return nil, fmt.Errorf("batch member %d: %w", i, err)
		}
		c.Commands = append(c.Commands, m)
	}
	if r.err == nil && len(r.b) != 0 {
		r.fail("%d bytes after the entry", len(r.b))
	}
	if r.err != nil {
		return nil, r.err
	}
	return c, nil
}

func (r *binReader) member() (Command, error) {
	t := CommandType(r.byte1("member type"))
	var m Command
	r.body(&m)
	nested := r.uvarint("member count")
	if r.err != nil {
		return Command{}, r.err
	}
	switch {
	case t == 0:
		return Command{}, fmt.Errorf("%w: member without a type", ErrMalformedCommand)
	case !t.known() && t&FlagIgnorable == 0:
		return Command{}, fmt.Errorf("%w: %#x", ErrUnknownCommand, uint8(t))
	case !t.known():
		return Command{Type: t}, nil
	case t&^FlagIgnorable == CmdBatch || nested > 0:
		return Command{}, fmt.Errorf("%w: a batch inside a batch", ErrMalformedCommand)
	}
	m.Type = t &^ FlagIgnorable
	return m, nil
}
