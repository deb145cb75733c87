package cli

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Version is the release of this build, set with
// -ldflags "-X github.com/berth-dev/berth/cli.Version=v1.2.3"; when empty the module
// version Go recorded is used.
var Version = ""

// BuildVersion is the version this binary reports.
func BuildVersion() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of berth",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(printer(cmd), "berth version %s\n", BuildVersion())
			return nil
		},
	}
}
