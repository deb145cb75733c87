package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/pki"
)

// `berth token` manages user tokens (Token objects): `create --user`. Join tokens
// for servers and clients come with TLS as `create --join server|client` beside it.
func newTokenCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke bearer tokens of API users",
	}
	cmd.AddCommand(newTokenCreateCommand(g), newTokenListCommand(g), newTokenRevokeCommand(g))
	return cmd
}

func newTokenCreateCommand(g *globals) *cobra.Command {
	var user, description, name, join string
	var groups []string
	var ttl time.Duration
	cmd := &cobra.Command{
		Use:   "create (--user USER [--group GROUP]... | --join server|client) [--ttl DURATION]",
		Short: "Make a bearer token for a user and print it; it is shown only this once",
		Long: `Make a bearer token that authenticates as --user in the --group groups and print
it. The cluster keeps only its hash: save it now. Grant the user rights with a
RoleBinding or ClusterRoleBinding; a token in group system:masters is an
administrator's, one in system:nodes a node agent's.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case join != "" && join != api.JoinRoleServer && join != api.JoinRoleClient:
				return fmt.Errorf("%w: --join must be server or client", ErrUsage)
			case join != "" && (user != "" || len(groups) > 0):
				return fmt.Errorf("%w: a join token (--join) has no --user or --group: its role is in the certificate it gets", ErrUsage)
			case join != "":
				user = "system:join:" + join
			case user == "":
				return fmt.Errorf("%w: --user (a bearer token) or --join server|client (a join token) is required", ErrUsage)
			}
			if ttl < 0 {
				return fmt.Errorf("%w: --ttl must not be negative", ErrUsage)
			}
			format, err := g.outputFormat("token", "token", outJSON, outYAML)
			if err != nil {
				return err
			}
			tok := &api.Token{
				TypeMeta:   api.TypeMeta{APIVersion: api.AuthGroup + "/v1", Kind: "Token"},
				ObjectMeta: api.ObjectMeta{Name: name},
				Spec:       api.TokenSpec{User: user, Groups: groups, Description: description, Join: join},
			}
			if ttl > 0 {
				tok.Spec.ExpirationTimestamp = api.NewTime(time.Now().Add(ttl))
			}
			c, err := g.client(cmd)
			if err != nil {
				return err
			}
			obj, err := c.Create(cmd.Context(), tok)
			if err != nil {
				return err
			}
			if format != "token" {
				return writeStructured(printer(cmd), format, obj)
			}
			created, ok := obj.(*api.Token)
			if !ok || created.Status.Token == "" {
				return fmt.Errorf("the server answered no token")
			}
			fmt.Fprintln(printer(cmd), created.Status.Token)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&user, "user", "", "the user name the token authenticates as")
	f.StringVar(&join, "join", "", "make a join token for a new server or client (BERTH-1-...) instead of a bearer token")
	f.StringSliceVar(&groups, "group", nil, "a group the user is in; repeatable")
	f.DurationVar(&ttl, "ttl", 0, "how long the token works (0: until revoked)")
	f.StringVar(&description, "description", "", "what the token is for")
	f.StringVar(&name, "name", "", "the token's id (default: generated)")
	return cmd
}

func newTokenListCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the tokens (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client(cmd)
			if err != nil {
				return err
			}
			res, _ := api.ResourceForKind("Token")
			l, err := c.List(cmd.Context(), res, "", api.ListOptions{})
			if err != nil {
				return err
			}
			objs, err := l.Objects()
			if err != nil {
				return err
			}
			now := time.Now()
			tw := tabwriter.NewWriter(printer(cmd), 0, 8, 3, ' ', 0)
			fmt.Fprintln(tw, "ID\tUSER\tGROUPS\tEXPIRES\tAGE\tDESCRIPTION")
			for _, o := range objs {
				t, ok := o.(*api.Token)
				if !ok {
					continue
				}
				expires := "never"
				if e := t.Spec.ExpirationTimestamp; e != nil {
					expires = e.UTC().Format(time.RFC3339)
					if !now.Before(e.Time) {
						expires += " (expired)"
					}
				}
				age := ""
				if ct := t.CreationTimestamp; ct != nil {
					age = ageSince(ct.Time, now)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.Name, t.Spec.User, orNone(strings.Join(t.Spec.Groups, ",")),
					expires, age, t.Spec.Description)
			}
			return tw.Flush()
		},
	}
}

func newTokenRevokeCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID|TOKEN...",
		Short: "Revoke tokens: they stop working at once",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client(cmd)
			if err != nil {
				return err
			}
			res, _ := api.ResourceForKind("Token")
			for _, a := range args {
				id := a
				if name, _, ok := api.ParseToken(a); ok {
					id = name // the whole bearer string names its token too
				} else if _, secret, err := pki.ParseJoinToken(a); err == nil {
					id, _, _ = strings.Cut(secret, ".") // so does a join token
				}
				if _, err := c.Delete(cmd.Context(), res, "", id, api.DeleteOptions{}); err != nil {
					return err
				}
				fmt.Fprintf(printer(cmd), "token %q revoked\n", id)
			}
			return nil
		},
	}
}
