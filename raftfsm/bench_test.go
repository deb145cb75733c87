package raftfsm

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/raft"
)

func benchLogs(b *testing.B, h *harness, cmd func(i int) *Command) []*raft.Log {
	b.Helper()
	logs := make([]*raft.Log, b.N)
	for i := range logs {
		data, err := EncodeCommand(cmd(i))
		if err != nil {
			b.Fatal(err)
		}
		logs[i] = &raft.Log{Index: h.idx + uint64(i) + 1, Type: raft.LogCommand, Data: data}
	}
	return logs
}

// BenchmarkApplyCreate applies one create of a ConfigMap of about 256 bytes per op.
func BenchmarkApplyCreate(b *testing.B) {
	h := mustNewFSM(b, 0)
	h.mustApply(createNS("default"))
	value := strings.Repeat("v", 256-len(createCM("default", "cm-000000", "").Object))
	logs := benchLogs(b, h, func(i int) *Command { return createCM("default", fmt.Sprintf("cm-%06d", i), value) })
	b.ReportAllocs()
	b.ResetTimer()
	for _, l := range logs {
		if r := h.f.Apply(l).(*Response).Results[0]; r.Err != nil {
			b.Fatal(r.Err)
		}
	}
}

// BenchmarkApplyBatch64 applies one batch of 64 creates per op.
func BenchmarkApplyBatch64(b *testing.B) {
	h := mustNewFSM(b, 0)
	h.mustApply(createNS("default"))
	logs := benchLogs(b, h, func(i int) *Command {
		c := &Command{Type: CmdBatch}
		for j := range 64 {
			c.Commands = append(c.Commands, *createCM("default", fmt.Sprintf("cm-%06d-%02d", i, j), "v"))
		}
		return c
	})
	b.ReportAllocs()
	b.ResetTimer()
	for _, l := range logs {
		if r := h.f.Apply(l).(*Response).Results[63]; r.Err != nil {
			b.Fatal(r.Err)
		}
	}
}
