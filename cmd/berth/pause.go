package main

import (
	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/workload/pause"
)

// newPauseCommand is `berth pause`, the process of a pod's infra container. Hidden:
// only the node agent's berth/pause image runs it.
func newPauseCommand() *cobra.Command {
	return &cobra.Command{
		Use:    "pause",
		Short:  "Hold a pod's namespaces until SIGTERM, reaping orphaned children",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return pause.Run(cmd.Context())
		},
	}
}
