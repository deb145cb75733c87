package api

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
)

// The framed exec protocol (berth-stream/1) runs on the raw connection after a
// "101 Switching Protocols": every frame is [1 byte channel][4 byte big-endian
// length][payload]. Both directions share one connection, so the channel byte says
// which stream a payload belongs to.

// StreamProtocol is the Upgrade token of the framed exec protocol.
const StreamProtocol = "berth-stream/1"

// The channels of the framed exec protocol.
const (
	ChannelStdin  byte = 0 // client → agent; a zero-length frame is stdin's EOF
	ChannelStdout byte = 1 // agent → client
	ChannelStderr byte = 2 // agent → client
	ChannelStatus byte = 3 // agent → client, last: an ExitStatus
	ChannelResize byte = 4 // client → agent: a TerminalSize
)

// MaxFramePayload bounds one frame's payload, so that a corrupt or hostile length
// cannot make a reader allocate gigabytes. Writers split larger data.
const MaxFramePayload = 1 << 20

// chunkSize is how much of a stream one frame carries when writers split data: small
// enough to keep interactive output flowing, big enough to keep overhead low.
const chunkSize = 32 << 10

// Errors of the framed exec protocol.
var (
	// ErrFrameTooLarge means a frame's length is above MaxFramePayload.
	ErrFrameTooLarge = errors.New("api: stream frame too large")
	// ErrStreamNoStatus means the stream ended before the agent sent the exit status.
	ErrStreamNoStatus = errors.New("api: exec stream ended without an exit status")
	// ErrStreamBadStatus means a status frame holds neither an exit code nor a Status.
	ErrStreamBadStatus = errors.New("api: bad exec status frame")
	// ErrExecNoCommand means an exec without a command.
	ErrExecNoCommand = errors.New("api: exec needs a command")
	// ErrNotUpgrade means an exec request lacks the Connection/Upgrade headers.
	ErrNotUpgrade = errors.New("api: exec needs Connection: Upgrade and Upgrade: " + StreamProtocol)
)

// ExitStatus is the payload of the status frame: the command's exit code, or the
// error that kept it from running (then ExitCode is meaningless).
type ExitStatus struct {
	ExitCode int
	Error    *Status
}

// MarshalJSON writes {"exitCode":N}, or the Status itself on error (contract 7).
func (e ExitStatus) MarshalJSON() ([]byte, error) {
	if e.Error != nil {
		return json.Marshal(e.Error)
	}
	return json.Marshal(struct {
		ExitCode int `json:"exitCode"`
	}{e.ExitCode})
}

// UnmarshalJSON reads either form MarshalJSON writes.
func (e *ExitStatus) UnmarshalJSON(data []byte) error {
	var probe struct {
		ExitCode *int   `json:"exitCode"`
		Kind     string `json:"kind"`
		Status   string `json:"status"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return fmt.Errorf("%w: %w", ErrStreamBadStatus, err)
	}
	switch {
	case probe.Kind == "Status" || probe.Status == "Failure":
		var st Status
		if err := json.Unmarshal(data, &st); err != nil {
			return fmt.Errorf("%w: %w", ErrStreamBadStatus, err)
		}
		*e = ExitStatus{Error: &st}
	case probe.ExitCode != nil:
		*e = ExitStatus{ExitCode: *probe.ExitCode}
	default:
		return fmt.Errorf("%w: %.100q", ErrStreamBadStatus, data)
	}
	return nil
}

// TerminalSize is the payload of a resize frame.
type TerminalSize struct {
	Width  uint16 `json:"width"`
	Height uint16 `json:"height"`
}

// StreamConn reads and writes frames on one connection. WriteFrame is safe for
// concurrent use (stdout and stderr pumps share the connection); ReadFrame is not:
// one goroutine reads.
type StreamConn struct {
	r   io.Reader
	hdr [5]byte // ReadFrame's header buffer

	wmu sync.Mutex
	w   io.Writer
}

// NewStreamConn frames rw.
func NewStreamConn(rw io.ReadWriter) *StreamConn {
	return &StreamConn{r: rw, w: rw}
}

// WriteFrame sends p on channel ch as one frame, written in one Write so frames of
// concurrent writers never interleave.
func (c *StreamConn) WriteFrame(ch byte, p []byte) error {
	if len(p) > MaxFramePayload {
		return fmt.Errorf("%w: %d bytes", ErrFrameTooLarge, len(p))
	}
	buf := make([]byte, 5+len(p))
	buf[0] = ch
	binary.BigEndian.PutUint32(buf[1:5], uint32(len(p)))
	copy(buf[5:], p)
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err := c.w.Write(buf)
	return err
}

// ReadFrame reads the next frame. A clean end of stream between frames is io.EOF;
// one inside a frame is io.ErrUnexpectedEOF.
func (c *StreamConn) ReadFrame() (byte, []byte, error) {
	if _, err := io.ReadFull(c.r, c.hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(c.hdr[1:5])
	if n > MaxFramePayload {
		return 0, nil, fmt.Errorf("%w: %d bytes", ErrFrameTooLarge, n)
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(c.r, p); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, err
	}
	return c.hdr[0], p, nil
}

// channelWriter is an io.Writer whose bytes go out as frames on one channel.
type channelWriter struct {
	c  *StreamConn
	ch byte
}

func (w channelWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		n := min(len(p), chunkSize)
		if err := w.c.WriteFrame(w.ch, p[:n]); err != nil {
			return written, err
		}
		written += n
		p = p[n:]
	}
	return written, nil
}

// ChannelWriter returns a writer that sends what is written as frames on ch. It may
// be used concurrently with other writers of c.
func (c *StreamConn) ChannelWriter(ch byte) io.Writer { return channelWriter{c: c, ch: ch} }

// RunExec is the client's side of an exec session on an upgraded connection: it
// sends stdin as frames (an empty frame at its EOF; at once when stdin is nil),
// sends each size from resize, writes stdout and stderr frames to their writers (nil
// discards) and returns the exit code when the status frame arrives. An error the
// agent reports comes back as *Error. Reading stdin may outlive the call (a terminal
// read cannot be interrupted); its goroutine sends nothing after RunExec returns.
func RunExec(conn io.ReadWriter, stdin io.Reader, stdout, stderr io.Writer, resize <-chan TerminalSize) (int, error) {
	sc := NewStreamConn(conn)
	done := make(chan struct{})
	defer close(done)
	go pumpStdin(sc, stdin, done)
	if resize != nil {
		go pumpResize(sc, resize, done)
	}
	for {
		ch, p, err := sc.ReadFrame()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return -1, ErrStreamNoStatus
			}
			return -1, fmt.Errorf("api: exec stream: %w", err)
		}
		var w io.Writer
		switch ch {
		case ChannelStdout:
			w = stdout
		case ChannelStderr:
			w = stderr
		case ChannelStatus:
			var st ExitStatus
			if err := json.Unmarshal(p, &st); err != nil {
				return -1, err
			}
			if st.Error != nil {
				return -1, &Error{Status: *st.Error}
			}
			return st.ExitCode, nil
		}
		if w != nil && len(p) > 0 {
			if _, err := w.Write(p); err != nil {
				return -1, fmt.Errorf("api: exec output: %w", err)
			}
		}
	}
}

// pumpStdin copies stdin into stdin frames and marks its end with an empty frame. A
// read error ends stdin the same way: the command sees EOF rather than hanging.
func pumpStdin(sc *StreamConn, stdin io.Reader, done <-chan struct{}) {
	if stdin != nil {
		buf := make([]byte, chunkSize)
		for {
			n, err := stdin.Read(buf)
			select {
			case <-done:
				return
			default:
			}
			if n > 0 {
				if sc.WriteFrame(ChannelStdin, buf[:n]) != nil {
					return
				}
			}
			if err != nil {
				break
			}
		}
	}
	_ = sc.WriteFrame(ChannelStdin, nil)
}

func pumpResize(sc *StreamConn, resize <-chan TerminalSize, done <-chan struct{}) {
	for {
		select {
		case <-done:
			return
		case sz, ok := <-resize:
			if !ok {
				return
			}
			b, _ := json.Marshal(sz)
			if sc.WriteFrame(ChannelResize, b) != nil {
				return
			}
		}
	}
}

// ExecHandler runs a command for ServeExec. stdin ends (io.EOF) when the client's
// stdin does; resize carries the client's terminal sizes and is closed when the
// connection ends. The returned error, if any, is sent to the client instead of the
// exit code: an *Error keeps its code and reason, anything else is an internal error.
type ExecHandler func(stdin io.Reader, stdout, stderr io.Writer, resize <-chan TerminalSize) (int, error)

// ServeExec is the agent's side of an exec session on an upgraded connection: it runs
// handler with the client's streams and sends the exit status last. The caller closes
// conn after ServeExec returns; that also ends the goroutine reading client frames.
func ServeExec(conn io.ReadWriter, handler ExecHandler) error {
	sc := NewStreamConn(conn)
	stdinR, stdinW := io.Pipe()
	// Resizes are few and only the latest matters; a full buffer drops one rather
	// than stall stdin behind a handler that ignores sizes.
	resize := make(chan TerminalSize, 4)
	go readClientFrames(sc, stdinW, resize)
	code, err := handler(stdinR, sc.ChannelWriter(ChannelStdout), sc.ChannelWriter(ChannelStderr), resize)
	// Unblock the frame reader if it is stuck handing stdin to a handler that is done.
	_ = stdinR.Close()
	st := ExitStatus{ExitCode: code}
	if err != nil {
		var apiErr *Error
		if !errors.As(err, &apiErr) {
			apiErr = NewError(ReasonInternalError, "%v", err)
		}
		st = ExitStatus{Error: &apiErr.Status}
	}
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("api: encode exit status: %w", err)
	}
	return sc.WriteFrame(ChannelStatus, b)
}

// readClientFrames routes stdin and resize frames until the connection ends; other
// channels are ignored so a newer client's extra frames do no harm.
func readClientFrames(sc *StreamConn, stdin *io.PipeWriter, resize chan<- TerminalSize) {
	defer close(resize)
	for {
		ch, p, err := sc.ReadFrame()
		if err != nil {
			_ = stdin.CloseWithError(err)
			return
		}
		switch ch {
		case ChannelStdin:
			if len(p) == 0 {
				_ = stdin.Close()
				continue
			}
			// A write after the handler closed stdin fails; keep reading for resizes.
			_, _ = stdin.Write(p)
		case ChannelResize:
			var sz TerminalSize
			if json.Unmarshal(p, &sz) != nil {
				continue
			}
			select {
			case resize <- sz:
			default:
			}
		}
	}
}
