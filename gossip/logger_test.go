package gossip

import (
	"log/slog"
	"sync/atomic"
	"testing"
)

func TestParseMemberlistLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		line      string
		wantLevel slog.Level
		wantMsg   string
	}{
		{name: "debug", line: "[DEBUG] memberlist: Stream connection from=1.2.3.4:5", wantLevel: slog.LevelDebug, wantMsg: "Stream connection from=1.2.3.4:5"},
		{name: "info", line: "[INFO] memberlist: Suspect m2 has failed", wantLevel: slog.LevelInfo, wantMsg: "Suspect m2 has failed"},
		{name: "warn", line: "[WARN] memberlist: Refuting a dead message\n", wantLevel: slog.LevelWarn, wantMsg: "Refuting a dead message"},
		{name: "err", line: "[ERR] memberlist: Failed to send", wantLevel: slog.LevelError, wantMsg: "Failed to send"},
		{name: "error without prefix", line: "[ERROR] Failed to shutdown transport", wantLevel: slog.LevelError, wantMsg: "Failed to shutdown transport"},
		{name: "no tag", line: "plain text", wantLevel: slog.LevelInfo, wantMsg: "plain text"},
		{name: "unknown tag kept", line: "[WHAT] memberlist: x", wantLevel: slog.LevelInfo, wantMsg: "[WHAT] memberlist: x"},
		{name: "unclosed tag", line: "[WARN memberlist", wantLevel: slog.LevelInfo, wantMsg: "[WARN memberlist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			level, msg := parseMemberlistLine(tt.line)
			if level != tt.wantLevel || msg != tt.wantMsg {
				t.Fatalf("parse(%q) = %v %q; want %v %q", tt.line, level, msg, tt.wantLevel, tt.wantMsg)
			}
		})
	}
}

func TestMemberlistLoggerRoutesToSlog(t *testing.T) {
	t.Parallel()
	h := newRecordHandler()
	var quiet atomic.Bool
	l := newMemberlistLogger(slog.New(h), quiet.Load)
	l.Printf("[WARN] memberlist: one")
	l.Printf("[DEBUG] memberlist: two\n[ERR] memberlist: three")
	quiet.Store(true) // after Shutdown: errors are expected noise
	l.Printf("[ERR] memberlist: four")
	recs := h.records()
	want := []struct {
		level slog.Level
		msg   string
	}{{slog.LevelWarn, "one"}, {slog.LevelDebug, "two"}, {slog.LevelError, "three"}, {slog.LevelDebug, "four"}}
	if len(recs) != len(want) {
		t.Fatalf("got %d records, want %d", len(recs), len(want))
	}
	for i, w := range want {
		if recs[i].Level != w.level || recs[i].Message != w.msg {
			t.Errorf("record %d = %v %q, want %v %q", i, recs[i].Level, recs[i].Message, w.level, w.msg)
		}
	}
}
