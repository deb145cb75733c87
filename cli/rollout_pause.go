package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

// restartedAtAnnotation is the pod template annotation kubectl sets to restart a
// workload: any template change rolls every pod.
const restartedAtAnnotation = "kubectl.kubernetes.io/restartedAt"

// newRolloutPauseCommand is `rollout pause` (pause=true) or `rollout resume`: it sets
// spec.paused, which stops the deployment controller from rolling template changes.
func newRolloutPauseCommand(g *globals, pause bool) *cobra.Command {
	verb, done, state := "resume", "resumed", "is not paused"
	short := "Resume a paused deployment"
	if pause {
		verb, done, state = "pause", "paused", "is already paused"
		short = "Pause a deployment: template changes wait until it is resumed"
	}
	return &cobra.Command{
		Use:   verb + " deployment/NAME...",
		Short: short,
		RunE: func(cmd *cobra.Command, args []string) error {
			refs, err := g.parseWorkloads(args, "rollout "+verb, "Deployment")
			if err != nil {
				return err
			}
			c, err := g.client(cmd)
			if err != nil {
				return err
			}
			for _, ref := range refs {
				_, changed, err := editObject(cmd.Context(), c, ref.res, ref.ns, ref.name, func(u fields) error {
					if u.boolean("spec", "paused") == pause {
						return errUnchanged
					}
					if pause {
						u.set(true, "spec", "paused")
					} else {
						u.unset("spec", "paused")
					}
					return nil
				})
				if err != nil {
					return err
				}
				if !changed {
					return worded(ErrPrecondition, "%s.%s %q %s", ref.res.Plural, ref.res.Group, ref.name, state)
				}
				fmt.Fprintf(printer(cmd), "%s %s\n", ref.qualified, done)
			}
			return nil
		},
	}
}

// newRolloutRestartCommand is `rollout restart`: a new restartedAt annotation on the
// pod template makes the controller replace every pod, in its usual rolling way.
func newRolloutRestartCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "restart deployment/NAME... | statefulset/NAME... | daemonset/NAME...",
		Short: "Restart a workload's pods by rolling them out again",
		RunE: func(cmd *cobra.Command, args []string) error {
			refs, err := g.parseWorkloads(args, "rollout restart", "Deployment", "StatefulSet", "DaemonSet")
			if err != nil {
				return err
			}
			c, err := g.client(cmd)
			if err != nil {
				return err
			}
			for _, ref := range refs {
				now := time.Now().Format(time.RFC3339)
				_, _, err := editObject(cmd.Context(), c, ref.res, ref.ns, ref.name, func(u fields) error {
					if u.boolean("spec", "paused") {
						return worded(ErrPrecondition, "%s.%s %q can't restart paused deployment (run rollout resume first)",
							ref.res.Plural, ref.res.Group, ref.name)
					}
					u.set(now, "spec", "template", "metadata", "annotations", restartedAtAnnotation)
					return nil
				})
				if err != nil {
					return err
				}
				fmt.Fprintf(printer(cmd), "%s restarted\n", ref.qualified)
			}
			return nil
		},
	}
}
