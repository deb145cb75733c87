package gossip

import (
	"bytes"
	"context"
	"log"
	"log/slog"
	"strings"
)

// newMemberlistLogger returns a *log.Logger (what memberlist takes) whose
// lines land in l at the level memberlist wrote them with. While quiet
// returns true (nil: never), warnings and errors are demoted to debug:
// memberlist's goroutines complain about closed sockets for a moment after
// Shutdown, which is expected, not an error.
func newMemberlistLogger(l *slog.Logger, quiet func() bool) *log.Logger {
	return log.New(&slogWriter{log: l, quiet: quiet}, "", 0)
}

// slogWriter turns memberlist's "[LEVEL] memberlist: message" lines into slog
// records. log.Logger serialises its writes, so Write is never called
// concurrently by one logger; slogWriter keeps no state anyway.
type slogWriter struct {
	log   *slog.Logger
	quiet func() bool
}

func (w *slogWriter) Write(p []byte) (int, error) {
	for line := range bytes.SplitSeq(p, []byte{'\n'}) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		level, msg := parseMemberlistLine(string(line))
		if level > slog.LevelDebug && w.quiet != nil && w.quiet() {
			level = slog.LevelDebug
		}
		w.log.Log(context.Background(), level, msg)
	}
	return len(p), nil
}

// parseMemberlistLine splits "[WARN] memberlist: text" into a level and the
// text. A line without a known level tag is kept whole at Info, so nothing is
// lost when memberlist logs in another shape.
func parseMemberlistLine(line string) (slog.Level, string) {
	line = strings.TrimSpace(line)
	level := slog.LevelInfo
	if rest, ok := strings.CutPrefix(line, "["); ok {
		tag, after, found := strings.Cut(rest, "]")
		if lv, known := memberlistLevel(tag); found && known {
			level, line = lv, strings.TrimSpace(after)
		}
	}
	line = strings.TrimPrefix(line, "memberlist: ")
	return level, line
}

func memberlistLevel(tag string) (slog.Level, bool) {
	switch strings.ToUpper(tag) {
	case "TRACE", "DEBUG":
		return slog.LevelDebug, true
	case "INFO":
		return slog.LevelInfo, true
	case "WARN", "WARNING":
		return slog.LevelWarn, true
	case "ERR", "ERROR":
		return slog.LevelError, true
	}
	return slog.LevelInfo, false
}
