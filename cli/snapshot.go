package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
)

func newSnapshotCommand(g *globals) *cobra.Command {
	snap := &cobra.Command{Use: "snapshot", Short: "Save or restore the cluster's whole state"}
	snap.AddCommand(&cobra.Command{
		Use:   "save FILE",
		Short: "Save a snapshot of the cluster's state to FILE",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client(cmd)
			if err != nil {
				return err
			}
			n, err := saveSnapshot(args[0], func(f *os.File) (int64, error) {
				return c.SnapshotSave(cmd.Context(), f)
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(printer(cmd), "Saved snapshot to %s (%d bytes)\n", args[0], n)
			return nil
		},
	}, &cobra.Command{
		Use:   "restore FILE",
		Short: "Replace the cluster's whole state with the snapshot in FILE",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return fmt.Errorf("cli: %w", err)
			}
			defer f.Close()
			c, err := g.client(cmd)
			if err != nil {
				return err
			}
			if err := c.SnapshotRestore(cmd.Context(), f); err != nil {
				return err
			}
			fmt.Fprintf(printer(cmd), "Restored snapshot from %s\n", args[0])
			return nil
		},
	})
	return snap
}

// saveSnapshot writes through a temporary file beside path and renames it into place
// once complete and synced, so a failed save never leaves a truncated snapshot that
// looks like a good one.
func saveSnapshot(path string, write func(*os.File) (int64, error)) (int64, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return 0, fmt.Errorf("cli: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	n, err := write(tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return n, fmt.Errorf("cli: %w", err)
	}
	return n, nil
}
