package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/api"
)

func newAuthCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "auth",
		Short: "Inspect what you may do",
	}
	cmd.AddCommand(newCanICommand(g))
	return cmd
}

func newCanICommand(g *globals) *cobra.Command {
	var allNamespaces, why bool
	var subresource string
	cmd := &cobra.Command{
		Use:   "can-i VERB RESOURCE [NAME] | can-i VERB /PATH",
		Short: "Ask the server whether you may do something; prints yes (exit 0) or no (exit 1)",
		Long: `Ask the server's own authorizer, through a SelfSubjectAccessReview, whether the
current credentials may do VERB (get, list, watch, create, update, patch, delete,
deletecollection, *) on RESOURCE (pods, pods/log, deployments.apps, ...) in the
namespace -n, or on a path outside the object API (/metrics, /v1/status).

  berth auth can-i create pods -n a
  berth auth can-i get pods/log -n a
  berth auth can-i list nodes
  berth auth can-i get /metrics`,
		Args: cobra.RangeArgs(2, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, err := accessReviewSpec(args, g.namespace, subresource, allNamespaces)
			if err != nil {
				return err
			}
			c, err := g.client(cmd)
			if err != nil {
				return err
			}
			review, err := c.SelfSubjectAccessReview(cmd.Context(), spec)
			if err != nil {
				return err
			}
			answer := "no"
			if review.Status.Allowed {
				answer = "yes"
			}
			if why && review.Status.Reason != "" {
				answer += " - " + review.Status.Reason
			}
			fmt.Fprintln(printer(cmd), answer)
			if !review.Status.Allowed {
				return ExitCodeError{Code: 1}
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&allNamespaces, "all-namespaces", "A", false, "ask about every namespace at once (the cluster scope)")
	cmd.Flags().StringVar(&subresource, "subresource", "", "a subresource (log, exec, status); RESOURCE/SUB says the same")
	cmd.Flags().BoolVar(&why, "why", false, "print the authorizer's reason after the answer")
	return cmd
}

// accessReviewSpec turns can-i's arguments into a review. RESOURCE may be any name
// the CLI knows (po, pods, deployments.apps) with an optional /subresource; a name
// it does not know is passed as it is ("widgets.example.com": group example.com).
func accessReviewSpec(args []string, namespace, subresource string, all bool) (api.SelfSubjectAccessReviewSpec, error) {
	verb, what := args[0], args[1]
	if strings.HasPrefix(what, "/") {
		if len(args) > 2 {
			return api.SelfSubjectAccessReviewSpec{}, fmt.Errorf("%w: a path takes no NAME", ErrUsage)
		}
		return api.SelfSubjectAccessReviewSpec{NonResourceAttributes: &api.NonResourceAttributes{Path: what, Verb: verb}}, nil
	}
	if r, sub, ok := strings.Cut(what, "/"); ok {
		if subresource != "" && subresource != sub {
			return api.SelfSubjectAccessReviewSpec{}, fmt.Errorf("%w: %s names subresource %q, --subresource %q", ErrUsage, what, sub, subresource)
		}
		what, subresource = r, sub
	}
	ra := &api.ResourceAttributes{Verb: verb, Subresource: subresource, Namespace: namespace}
	if res, ok := api.ResourceForName(what); ok && what != "*" {
		ra.Group, ra.Version, ra.Resource = res.Group, res.Version, res.Plural
	} else {
		ra.Resource, ra.Group, _ = strings.Cut(what, ".")
		if what == "*" {
			ra.Group = "*"
		}
	}
	if all {
		ra.Namespace = ""
	}
	if len(args) > 2 {
		ra.Name = args[2]
	}
	return api.SelfSubjectAccessReviewSpec{ResourceAttributes: ra}, nil
}
