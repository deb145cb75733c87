package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/berth-dev/berth/api"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// ExitCodeError makes Run exit with Code and print nothing: it carries the exit code
// of a remote command, which has already said what it had to say.
type ExitCodeError struct {
	Code int
}

func (e ExitCodeError) Error() string {
	return fmt.Sprintf("command terminated with exit code %d", e.Code)
}

// execFlags are the options of `berth exec`.
type execFlags struct {
	container string
	stdin     bool
	tty       bool
}

// newExecCommand is `berth exec POD [-c C] [-i] [-t] -- CMD ARGS...`.
func newExecCommand(g *globals) *cobra.Command {
	var fl execFlags
	cmd := &cobra.Command{
		Use:   "exec POD [-c CONTAINER] [-i] [-t] -- COMMAND [ARGS...]",
		Short: "Run a command in a container of a pod",
		Example: "  berth exec web -- ls -l /\n" +
			"  berth exec -it web -c app -- sh",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return fmt.Errorf("%w: exec needs a pod and a command: berth exec POD -- COMMAND [ARGS...]", ErrUsage)
			}
			if dash := cmd.ArgsLenAtDash(); dash > 1 {
				return fmt.Errorf("%w: only the pod name goes before --, the command after it", ErrUsage)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			pod, err := podArg(args[0])
			if err != nil {
				return err
			}
			c, err := g.client(cmd)
			if err != nil {
				return err
			}
			return runExec(cmd, c, g.namespace, pod, args[1:], fl)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&fl.container, "container", "c", "", "container name (needed when the pod has several)")
	f.BoolVarP(&fl.stdin, "stdin", "i", false, "pass stdin to the command")
	f.BoolVarP(&fl.tty, "tty", "t", false, "give the command a terminal (stdin must be one)")
	return cmd
}

func runExec(cmd *cobra.Command, c *api.Client, ns, pod string, command []string, fl execFlags) error {
	ctx, cancel := context.WithCancel(cmd.Context())
	defer cancel()
	opts := api.ExecOptions{
		Container: fl.container,
		Command:   command,
		Stdout:    cmd.OutOrStdout(),
		Stderr:    cmd.ErrOrStderr(),
	}
	if fl.stdin {
		opts.Stdin = cmd.InOrStdin()
	}
	if fl.tty {
		fd, ok := terminalFd(cmd.InOrStdin())
		if !ok {
			fmt.Fprintln(cmd.ErrOrStderr(), "Unable to use a TTY - input is not a terminal")
		} else {
			opts.TTY = true
			if fl.stdin {
				// Raw mode sends every key (Ctrl-C too) to the remote terminal, which
				// echoes and edits lines itself.
				state, err := term.MakeRaw(fd)
				if err != nil {
					return fmt.Errorf("cli: raw terminal: %w", err)
				}
				defer term.Restore(fd, state)
			}
			opts.Resize = watchTerminalSize(ctx, fd)
		}
	}
	code, err := c.Exec(ctx, ns, pod, opts)
	if err != nil {
		return err
	}
	if code != 0 {
		return ExitCodeError{Code: code}
	}
	return nil
}

// terminalFd returns the descriptor of in when it is a terminal.
func terminalFd(in io.Reader) (int, bool) {
	f, ok := in.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0, false
	}
	return int(f.Fd()), true
}

// watchTerminalSize sends the terminal's size now and after every SIGWINCH until ctx
// ends. The channel holds one size: a reader that falls behind gets the latest.
func watchTerminalSize(ctx context.Context, fd int) <-chan api.TerminalSize {
	out := make(chan api.TerminalSize, 1)
	send := func() {
		w, h, err := term.GetSize(fd)
		if err != nil || w <= 0 || h <= 0 {
			return
		}
		sz := api.TerminalSize{Width: uint16(w), Height: uint16(h)}
		select {
		case <-out: // drop a stale size nobody took
		default:
		}
		select {
		case out <- sz:
		default:
		}
	}
	send()
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, syscall.SIGWINCH)
	go func() {
		defer signal.Stop(winch)
		for {
			select {
			case <-ctx.Done():
				return
			case <-winch:
				send()
			}
		}
	}()
	return out
}
