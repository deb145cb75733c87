package raftfsm

import (
	"encoding/json"
	"fmt"
)

// A log entry is one type byte followed by a JSON body. The body of a batch lists its
// members with their type inside (wireCommand.Type), since a member has no byte of
// its own. Members cannot be batches: one level of nesting keeps Apply's cost and
// failure semantics obvious.

// wireCommand is the JSON body of a command. It mirrors Command, plus the type of a
// batch member; it is separate from Command so Command's JSON tags stay the contract
// the server sees and the wire format can grow on its own.
type wireCommand struct {
	Type            CommandType     `json:"type,omitempty"` // members only
	Kind            string          `json:"kind,omitempty"`
	Namespace       string          `json:"namespace,omitempty"`
	Name            string          `json:"name,omitempty"`
	ResourceVersion uint64          `json:"resourceVersion,omitempty"`
	UID             string          `json:"uid,omitempty"`
	Object          json.RawMessage `json:"object,omitempty"`
	Commands        []wireCommand   `json:"commands,omitempty"`
}

// known reports whether t (without FlagIgnorable) is a type this version applies.
func (t CommandType) known() bool {
	base := t &^ FlagIgnorable
	return base >= CmdCreate && base <= CmdBatch
}

// String names the type for logs.
func (t CommandType) String() string {
	switch t &^ FlagIgnorable {
	case CmdCreate:
		return "create"
	case CmdUpdate:
		return "update"
	case CmdUpdateStatus:
		return "updateStatus"
	case CmdDelete:
		return "delete"
	case CmdBatch:
		return "batch"
	}
	return fmt.Sprintf("unknown(%#x)", uint8(t))
}

// Skipped reports whether the FSM will skip c: an ignorable type this version does
// not know.
func (c *Command) Skipped() bool { return !c.Type.known() && c.Type&FlagIgnorable != 0 }

func toWire(c *Command, member bool) wireCommand {
	w := wireCommand{
		Kind: c.Kind, Namespace: c.Namespace, Name: c.Name,
		ResourceVersion: c.ResourceVersion, UID: c.UID, Object: c.Object,
	}
	if member {
		w.Type = c.Type
	}
	for i := range c.Commands {
		w.Commands = append(w.Commands, toWire(&c.Commands[i], true))
	}
	return w
}

func fromWire(w *wireCommand, t CommandType) Command {
	return Command{
		Type: t, Kind: w.Kind, Namespace: w.Namespace, Name: w.Name,
		ResourceVersion: w.ResourceVersion, UID: w.UID, Object: w.Object,
	}
}

// EncodeCommand renders c as a log entry: c.Type as the first byte, then the JSON
// body. It refuses what DecodeCommand would refuse, so a leader never proposes an
// entry its followers cannot read.
func EncodeCommand(c *Command) ([]byte, error) {
	if err := checkEncodable(c); err != nil {
		return nil, err
	}
	body, err := json.Marshal(toWire(c, false))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedCommand, err)
	}
	out := make([]byte, 0, 1+len(body))
	out = append(out, byte(c.Type))
	return append(out, body...), nil
}

// checkEncodable refuses what no decoder reads: a nil command, a bad shape, a
// member that is a batch or has no type.
func checkEncodable(c *Command) error {
	if c == nil {
		return fmt.Errorf("%w: nil command", ErrMalformedCommand)
	}
	if err := checkShape(c.Type, len(c.Commands)); err != nil {
		return err
	}
	for i := range c.Commands {
		m := &c.Commands[i]
		if m.Type&^FlagIgnorable == CmdBatch || len(m.Commands) > 0 {
			return fmt.Errorf("%w: batch member %d is a batch", ErrMalformedCommand, i)
		}
		if m.Type == 0 {
			return fmt.Errorf("%w: batch member %d has no type", ErrMalformedCommand, i)
		}
	}
	return nil
}

// checkShape refuses a type 0 and members on anything but a batch.
func checkShape(t CommandType, members int) error {
	if t == 0 {
		return fmt.Errorf("%w: type 0", ErrMalformedCommand)
	}
	if t.known() && t&^FlagIgnorable != CmdBatch && members > 0 {
		return fmt.Errorf("%w: %s with members", ErrMalformedCommand, t)
	}
	return nil
}

// DecodeCommand parses a log entry. A known type is returned with FlagIgnorable
// cleared. An unknown type fails with ErrUnknownCommand unless it carries
// FlagIgnorable; then the result is a Command with only Type set (Skipped reports
// true) and the body is not parsed, since its format is the newer server's. The same
// rules hold for batch members. Any other problem is ErrMalformedCommand; no input
// panics.
func DecodeCommand(b []byte) (*Command, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty entry", ErrMalformedCommand)
	}
	if b[0] == binaryMarker {
		return decodeBinary(b)
	}
	t := CommandType(b[0])
	if !t.known() {
		if t&FlagIgnorable == 0 {
			return nil, fmt.Errorf("%w: %#x", ErrUnknownCommand, b[0])
		}
		return &Command{Type: t}, nil
	}
	if len(b) < 3 { // the shortest body is "{}"
		return nil, fmt.Errorf("%w: %d bytes", ErrMalformedCommand, len(b))
	}
	t &^= FlagIgnorable
	var w wireCommand
	if err := json.Unmarshal(b[1:], &w); err != nil {
		return nil, fmt.Errorf("%w: %s body: %v", ErrMalformedCommand, t, err)
	}
	if w.Type != 0 {
		return nil, fmt.Errorf("%w: type inside a top-level body", ErrMalformedCommand)
	}
	if err := checkShape(t, len(w.Commands)); err != nil {
		return nil, err
	}
	c := fromWire(&w, t)
	if len(w.Commands) > 0 {
		c.Commands = make([]Command, 0, len(w.Commands))
	}
	for i := range w.Commands {
		m, err := decodeMember(&w.Commands[i])
		if err != nil {
			return nil, fmt.Errorf("batch member %d: %w", i, err)
		}
		c.Commands = append(c.Commands, m)
	}
	return &c, nil
}

func decodeMember(w *wireCommand) (Command, error) {
	t := w.Type
	if t == 0 {
		return Command{}, fmt.Errorf("%w: member without a type", ErrMalformedCommand)
	}
	if !t.known() {
		if t&FlagIgnorable == 0 {
			return Command{}, fmt.Errorf("%w: %#x", ErrUnknownCommand, uint8(t))
		}
		return Command{Type: t}, nil
	}
	t &^= FlagIgnorable
	if t == CmdBatch || len(w.Commands) > 0 {
		return Command{}, fmt.Errorf("%w: a batch inside a batch", ErrMalformedCommand)
	}
	return fromWire(w, t), nil
}
