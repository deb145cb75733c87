package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/spf13/cobra"
)

// Errors of the CLI itself; errors from the server are *api.Error.
var (
	// ErrUnknownKind means a resource type the server does not serve.
	ErrUnknownKind = errors.New("cli: the server doesn't have a resource type")
	// ErrOutputFormat means -o names a format the command cannot print.
	ErrOutputFormat = errors.New("cli: unknown output format")
	// ErrNamespaceMismatch means a manifest names a namespace other than an explicit -n.
	ErrNamespaceMismatch = errors.New("cli: namespace mismatch")
	// ErrUsage means arguments that do not fit the command.
	ErrUsage = errors.New("cli: bad usage")
	// ErrNoManifests means -f found no objects to work on.
	ErrNoManifests = errors.New("cli: no objects passed")
)

// DefaultAddr is the API address when neither --addr nor BERTH_ADDR says otherwise.
const DefaultAddr = "http://127.0.0.1:6440"

// globals are the persistent flags every command shares.
type globals struct {
	addr           string
	token          string // --token or BERTH_TOKEN; "" leaves it to the context
	ca             string // --ca or BERTH_CA: the cluster CA's PEM file; "" leaves it to the context
	namespace      string
	output         string
	retryTimeout   time.Duration
	requestTimeout time.Duration
	// nsExplicit says -n was given, which makes a different namespace in a manifest
	// an error instead of a default that the manifest overrides.
	nsExplicit bool
}

// NewRoot builds the `berth` command tree without the server and agent commands,
// which cmd/berth adds.
func NewRoot() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:           "berth",
		Short:         "Berth runs containers on a cluster, speaking Kubernetes' API",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			if f := cmd.Flags().Lookup("namespace"); f != nil {
				g.nsExplicit = f.Changed
			}
		},
	}
	addr := os.Getenv("BERTH_ADDR")
	if addr == "" {
		addr = DefaultAddr
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.addr, "addr", addr, "address of a Berth server's HTTP API (env BERTH_ADDR; default: the current context's, see berth login)")
	pf.StringVar(&g.ca, "ca", "", "PEM file of the cluster CA to trust for https:// servers (env BERTH_CA; default: the current context's)")
	pf.StringVar(&g.token, "token", "", "bearer token for the API (env BERTH_TOKEN; default: the current context's)")
	pf.StringVarP(&g.namespace, "namespace", "n", "default", "namespace of the objects")
	pf.StringVarP(&g.output, "output", "o", "", "output format (each command lists its own)")
	pf.DurationVar(&g.retryTimeout, "retry-timeout", api.DefaultRetry,
		"how long to retry while the cluster has no leader or the server is unreachable")
	pf.DurationVar(&g.requestTimeout, "request-timeout", 0, "bound on each request (0: none)")
	root.AddCommand(
		newGetCommand(g), newDescribeCommand(g), newApplyCommand(g), newCreateCommand(g),
		newDeleteCommand(g), newMembersCommand(g), newOperatorCommand(g),
		newSnapshotCommand(g), newVersionCommand(),
	)
	root.AddCommand(newAuthCommand(g), newTokenCommand(g), newLoginCommand(g), newConfigCommand(g))
	root.AddCommand(newLogsCommand(g), newExecCommand(g))
	root.AddCommand(newRolloutCommand(g), newScaleCommand(g), newCordonCommand(g, true),
		newCordonCommand(g, false), newDrainCommand(g))
	return root
}

// Run executes root with args and returns the process exit code. Every failure,
// from the server or from cobra's own flag parsing, is one line on stderr.
func Run(root *cobra.Command, args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		var exit ExitCodeError
		if errors.As(err, &exit) && exit.Code > 0 {
			return exit.Code // a remote command's code; it printed its own output
		}
		fmt.Fprintln(root.ErrOrStderr(), FormatError(err))
		return 1
	}
	return 0
}

// FormatError renders an error as the single line a user sees, kubectl-style:
// `Error from server (NotFound): configmaps "x" not found` or `error: ...`.
func FormatError(err error) string {
	var apiErr *api.Error
	if errors.As(err, &apiErr) {
		reason := apiErr.Status.Reason
		if reason == "" {
			reason = api.ReasonInternalError
		}
		return fmt.Sprintf("Error from server (%s): %s", reason, oneLine(apiErr.Error()))
	}
	// The package prefix helps in logs and tests but means nothing to a user.
	msg := strings.TrimPrefix(oneLine(err.Error()), "cli: ")
	return "error: " + msg
}

// oneLine folds a multi-line message (cobra's "did you mean" hints) into one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// client builds an API client that prints the server's warnings to stderr.
func (g *globals) client(cmd *cobra.Command) (*api.Client, error) {
	stderr := cmd.ErrOrStderr()
	opts := []api.ClientOption{
		api.WithRetry(g.retryTimeout),
		api.WithWarningHandler(func(text string) { fmt.Fprintf(stderr, "Warning: %s\n", text) }),
	}
	if g.requestTimeout > 0 {
		opts = append(opts, api.WithTimeout(g.requestTimeout))
	}
	conn, err := g.connection(cmd)
	if err != nil {
		return nil, err
	}
	auth, err := conn.clientOptions()
	if err != nil {
		return nil, err
	}
	return api.NewClient(conn.server, append(opts, auth...)...)
}

// outputFormat returns -o, or def when unset, checked against the allowed formats.
func (g *globals) outputFormat(def string, allowed ...string) (string, error) {
	out := g.output
	if out == "" {
		out = def
	}
	for _, a := range allowed {
		if out == a {
			return out, nil
		}
	}
	return "", fmt.Errorf("%w %q (allowed: %s)", ErrOutputFormat, out, strings.Join(allowed, ", "))
}

// printer is where a command writes its normal output.
func printer(cmd *cobra.Command) io.Writer { return cmd.OutOrStdout() }
