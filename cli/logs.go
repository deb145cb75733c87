package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/berth-dev/berth/api"
	"github.com/spf13/cobra"
)

// newLogsCommand is `berth logs POD [-c C] [-f] [--tail N] [--timestamps]`.
func newLogsCommand(g *globals) *cobra.Command {
	var opts api.LogOptions
	cmd := &cobra.Command{
		Use:     "logs POD",
		Short:   "Print the output of a container in a pod",
		Example: "  berth logs web\n  berth logs web -c sidecar -f --tail 20",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pod, err := podArg(args[0])
			if err != nil {
				return err
			}
			c, err := g.client(cmd)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			rc, err := c.Logs(ctx, g.namespace, pod, opts)
			if err != nil {
				return err
			}
			defer rc.Close()
			_, err = io.Copy(printer(cmd), rc)
			if err != nil && ctx.Err() != nil {
				return nil // Ctrl-C ends a followed log; that is not a failure
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Container, "container", "c", "", "container name (needed when the pod has several)")
	f.BoolVarP(&opts.Follow, "follow", "f", false, "keep streaming new output")
	f.IntVar(&opts.TailLines, "tail", -1, "lines from the end to show (-1: all)")
	f.BoolVar(&opts.Timestamps, "timestamps", false, "prefix each line with its time")
	return cmd
}

// podArg accepts NAME, pod/NAME or pods/NAME, as kubectl does.
func podArg(arg string) (string, error) {
	kind, name, found := strings.Cut(arg, "/")
	if !found {
		return arg, nil
	}
	switch kind {
	case "pod", "pods", "po":
		if name != "" {
			return name, nil
		}
	}
	return "", fmt.Errorf("%w: %q: want a pod name (or pod/NAME)", ErrUsage, arg)
}
