package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// The server's keyring endpoints (server/keyring_rotate.go).
const (
	keyringListPath   = "/v1/operator/keyring"
	keyringRotatePath = "/v1/operator/keyring/rotate"
)

// keyringStatus is what the keyring endpoints answer: key ids and their use, never
// key material.
type keyringStatus struct {
	Active string `json:"active"`
	Keys   []struct {
		ID      string    `json:"id"`
		Created time.Time `json:"created"`
		Secrets int       `json:"secrets"`
	} `json:"keys"`
	Unsealed int `json:"unsealed,omitempty"`
	Resealed int `json:"resealed,omitempty"`
}

func newKeyringCommand(g *globals) *cobra.Command {
	kr := &cobra.Command{Use: "keyring", Short: "Inspect and rotate the keys that encrypt Secrets at rest"}
	kr.AddCommand(
		newKeyringCall(g, "list", "List the keys and how many Secrets each encrypts", http.MethodGet, keyringListPath),
		newKeyringCall(g, "rotate", "Make a new key active and re-encrypt every Secret with it (old keys are kept)",
			http.MethodPost, keyringRotatePath),
	)
	return kr
}

func newKeyringCall(g *globals, use, short, method, path string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := g.outputFormat(outTable, outTable, outJSON, outYAML)
			if err != nil {
				return err
			}
			c, err := g.client(cmd)
			if err != nil {
				return err
			}
			resp, err := c.Raw(cmd.Context(), method, path, nil)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			var st keyringStatus
			if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
				return fmt.Errorf("reading the keyring answer: %w", err)
			}
			if format != outTable {
				return writeStructured(printer(cmd), format, st)
			}
			return printKeyring(cmd, st, method == http.MethodPost)
		},
	}
}

func printKeyring(cmd *cobra.Command, st keyringStatus, rotated bool) error {
	out := printer(cmd)
	if rotated {
		fmt.Fprintf(out, "Active key is now %s; re-encrypted %d secrets\n\n", st.Active, st.Resealed)
	}
	tw := tabwriter.NewWriter(out, 0, 8, 3, ' ', 0)
	fmt.Fprintln(tw, "KEY\tACTIVE\tCREATED\tSECRETS")
	for _, k := range st.Keys {
		created := "<not held by this server>"
		if !k.Created.IsZero() {
			created = k.Created.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%t\t%s\t%d\n", k.ID, k.ID == st.Active, created, k.Secrets)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if st.Unsealed > 0 {
		fmt.Fprintf(out, "\n%d secrets are not encrypted yet (the leader encrypts them)\n", st.Unsealed)
	}
	return nil
}
