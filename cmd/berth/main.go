// Command berth is the one binary of Berth: the CLI, the server and the node agent.
package main

import (
	"os"

	"github.com/berth-dev/berth/cli"
)

func main() {
	root := cli.NewRoot()
	root.AddCommand(newServerCommand())
	root.AddCommand(newPauseCommand())
	root.AddCommand(newDemoCommand())
	root.AddCommand(newClientCommand())
	root.AddCommand(newDevCommand())
	os.Exit(cli.Run(root, os.Args[1:]))
}
