package cli

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/api"
)

func newLoginCommand(g *globals) *cobra.Command {
	var server, ca, name string
	cmd := &cobra.Command{
		Use:   "login --server URL [--token TOKEN] [--ca FILE] [--context NAME]",
		Short: "Check a server and token, and save them as a context in ~/.berth/config",
		Long: `Check that the server answers and accepts the token (--token or BERTH_TOKEN), then
save server, CA file and token as a context ($BERTH_CONFIG, else ~/.berth/config,
readable by you only) and make it the current one. Later commands use it unless
--addr or --token say otherwise.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if server == "" {
				return fmt.Errorf("%w: --server URL is required", ErrUsage)
			}
			u, err := url.Parse(server)
			if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
				return fmt.Errorf("%w: --server %q: want http(s)://host:port", ErrUsage, server)
			}
			if name == "" {
				name = u.Host
			}
			if ca != "" {
				if ca, err = filepath.Abs(ca); err != nil {
					return err
				}
			}
			token := g.explicitToken()
			conn := connection{server: server, token: token, caFile: ca}
			opts, err := conn.clientOptions()
			if err != nil {
				return err
			}
			c, err := api.NewClient(server, append(opts, api.WithRetry(g.retryTimeout))...)
			if err != nil {
				return err
			}
			// Any authenticated user may ask a review; a bad token is 401 here.
			_, err = c.SelfSubjectAccessReview(cmd.Context(), api.SelfSubjectAccessReviewSpec{
				ResourceAttributes: &api.ResourceAttributes{Verb: "get", Resource: "namespaces"}})
			if err != nil {
				return fmt.Errorf("login to %s failed: %w", server, err)
			}
			path := configPath()
			cfg, err := loadConfig(path)
			if err != nil {
				return err
			}
			cfg.setContext(configContext{Name: name, Server: strings.TrimRight(server, "/"), CertificateAuthority: ca, Token: token})
			cfg.CurrentContext = name
			if err := cfg.save(path); err != nil {
				return err
			}
			fmt.Fprintf(printer(cmd), "Logged in to %s; context %q saved in %s and in use.\n", server, name, path)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&server, "server", "", "the API's URL (http(s)://host:port)")
	f.StringVar(&ca, "ca", "", "PEM file of the CA the server's certificate chains to (https)")
	f.StringVar(&name, "context", "", "name of the context (default: the server's host:port)")
	return cmd
}

func newConfigCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show and switch the contexts of ~/.berth/config",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "use-context NAME",
		Short: "Make NAME the current context",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := configPath()
			cfg, err := loadConfig(path)
			if err != nil {
				return err
			}
			if _, ok := cfg.context(args[0]); !ok {
				return fmt.Errorf("%w %q in %s", ErrNoContext, args[0], path)
			}
			cfg.CurrentContext = args[0]
			if err := cfg.save(path); err != nil {
				return err
			}
			fmt.Fprintf(printer(cmd), "Switched to context %q.\n", args[0])
			return nil
		},
	}, &cobra.Command{
		Use:   "get-contexts",
		Short: "List the contexts; * marks the current one",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(configPath())
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(printer(cmd), 0, 8, 3, ' ', 0)
			fmt.Fprintln(tw, "CURRENT\tNAME\tSERVER\tCA")
			for _, c := range cfg.Contexts {
				cur := ""
				if c.Name == cfg.CurrentContext {
					cur = "*"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", cur, c.Name, c.Server, c.CertificateAuthority)
			}
			return tw.Flush()
		},
	}, &cobra.Command{
		Use:   "current-context",
		Short: "Print the current context's name",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(configPath())
			if err != nil {
				return err
			}
			if cfg.CurrentContext == "" {
				return fmt.Errorf("%w: no current context is set (berth login)", ErrNoContext)
			}
			fmt.Fprintln(printer(cmd), cfg.CurrentContext)
			return nil
		},
	})
	return cmd
}
