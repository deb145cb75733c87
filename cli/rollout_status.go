package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/spf13/cobra"
)

type rolloutStatusCmd struct {
	g       *globals
	timeout time.Duration
	watch   bool
}

func newRolloutStatusCommand(g *globals) *cobra.Command {
	o := &rolloutStatusCmd{g: g}
	cmd := &cobra.Command{
		Use:   "status deployment/NAME | statefulset/NAME | daemonset/NAME",
		Short: "Wait for a rollout to finish, printing its progress",
		Long: "Wait for a rollout to finish, printing its progress. Fails when a deployment\n" +
			"exceeds its progress deadline, or when --timeout passes first.",
		RunE: o.run,
	}
	cmd.Flags().DurationVar(&o.timeout, "timeout", 0, "how long to wait before giving up (0: forever)")
	cmd.Flags().BoolVarP(&o.watch, "watch", "w", true, "wait for the rollout to finish; false prints the status once")
	return cmd
}

// statusViewer reads a workload's wire form and says, like kubectl, where its rollout
// stands: a line to print, whether it is done, or an error when it cannot finish.
type statusViewer func(u fields) (msg string, done bool, err error)

var statusViewers = map[string]statusViewer{
	"Deployment":  deploymentRolloutStatus,
	"StatefulSet": statefulSetRolloutStatus,
	"DaemonSet":   daemonSetRolloutStatus,
}

func (o *rolloutStatusCmd) run(cmd *cobra.Command, args []string) error {
	ref, err := o.g.parseWorkload(args, "rollout status", "Deployment", "StatefulSet", "DaemonSet")
	if err != nil {
		return err
	}
	c, err := o.g.client(cmd)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	if o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.timeout)
		defer cancel()
	}
	err = o.wait(ctx, c, ref, statusViewers[ref.res.Kind], printer(cmd))
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) && cmd.Context().Err() == nil {
		return ErrTimeout
	}
	return err
}

// wait prints the status of ref each time it changes until the viewer says done. It
// reads the object, then watches it from that version; a watch that ends or expires
// (410) is resumed from a fresh read, so a long rollout outlives server restarts of
// the stream.
func (o *rolloutStatusCmd) wait(ctx context.Context, c *api.Client, ref workloadRef, view statusViewer, w io.Writer) error {
	last := ""
	show := func(u fields) (bool, error) {
		msg, done, err := view(u)
		if err != nil {
			return false, err
		}
		if msg != last {
			fmt.Fprint(w, msg)
			last = msg
		}
		return done, nil
	}
	for {
		obj, err := c.Get(ctx, ref.res, ref.ns, ref.name, api.GetOptions{Consistent: true})
		if err != nil {
			return err
		}
		it, err := newItem(ref.res, obj)
		if err != nil {
			return err
		}
		if done, err := show(it.u); done || err != nil || !o.watch {
			return err
		}
		done, err := o.follow(ctx, c, ref, it.u.str("metadata", "resourceVersion"), show)
		if done || err != nil {
			return err
		}
		// A stream that ends at once again and again must not become a busy loop.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(watchResumeDelay):
		}
	}
}

// watchResumeDelay is the pause before a new read and watch when a stream ended.
const watchResumeDelay = 200 * time.Millisecond

// follow watches ref from rv and shows each change; done=false with no error means
// the stream ended and should be resumed from a fresh read.
func (o *rolloutStatusCmd) follow(ctx context.Context, c *api.Client, ref workloadRef, rv string,
	show func(fields) (bool, error)) (bool, error) {
	wt, err := c.Watch(ctx, ref.res, ref.ns, api.WatchOptions{
		ResourceVersion: rv, FieldSelector: "metadata.name=" + ref.name,
	})
	if err != nil {
		if api.ReasonOf(err) == api.ReasonGone {
			return false, nil
		}
		return false, err
	}
	defer wt.Close()
	for {
		ev, err := wt.Next()
		switch {
		case errors.Is(err, io.EOF):
			return false, nil
		case api.ReasonOf(err) == api.ReasonGone:
			return false, nil
		case err != nil:
			return false, err
		}
		switch ev.Type {
		case api.WatchDeleted:
			return false, fmt.Errorf("%w: %s was deleted while waiting for its rollout", ErrRolloutFailed, ref.qualified)
		case api.WatchAdded, api.WatchModified:
			it, err := newItem(ref.res, ev.Object)
			if err != nil {
				return false, err
			}
			if done, err := show(it.u); done || err != nil {
				return done, err
			}
		}
	}
}

// deploymentRolloutStatus follows kubectl's deployment status viewer, and is stricter
// in one way: a rollout is done only when status.replicas equals spec.replicas, so
// extra pods still being removed keep it waiting.
func deploymentRolloutStatus(u fields) (string, bool, error) {
	name := u.name()
	if u.num("metadata", "generation") > u.num("status", "observedGeneration") {
		return "Waiting for deployment spec update to be observed...\n", false, nil
	}
	for _, c := range u.list("status", "conditions") {
		if c.str("type") == api.DeploymentProgressing && c.str("reason") == "ProgressDeadlineExceeded" {
			return "", false, worded(ErrRolloutFailed, "deployment %q exceeded its progress deadline", name)
		}
	}
	want := desiredReplicas(u)
	updated, replicas := u.num("status", "updatedReplicas"), u.num("status", "replicas")
	available := u.num("status", "availableReplicas")
	prefix := fmt.Sprintf("Waiting for deployment %q rollout to finish: ", name)
	switch {
	case updated < want:
		return prefix + fmt.Sprintf("%d out of %d new replicas have been updated...\n", updated, want), false, nil
	case replicas > updated:
		return prefix + fmt.Sprintf("%d old replicas are pending termination...\n", replicas-updated), false, nil
	case available < updated:
		return prefix + fmt.Sprintf("%d of %d updated replicas are available...\n", available, updated), false, nil
	case replicas > want:
		return prefix + fmt.Sprintf("%d extra replicas are pending termination...\n", replicas-want), false, nil
	}
	return fmt.Sprintf("deployment %q successfully rolled out\n", name), true, nil
}

// statefulSetRolloutStatus follows kubectl's statefulset status viewer.
func statefulSetRolloutStatus(u fields) (string, bool, error) {
	if t := u.str("spec", "updateStrategy", "type"); t != "" && t != "RollingUpdate" {
		return "", false, fmt.Errorf("%w: rollout status is only available for RollingUpdate strategy type, not %s",
			ErrUsage, t)
	}
	if u.num("status", "observedGeneration") == 0 || u.num("metadata", "generation") > u.num("status", "observedGeneration") {
		return "Waiting for statefulset spec update to be observed...\n", false, nil
	}
	want := desiredReplicas(u)
	if ready := u.num("status", "readyReplicas"); ready < want {
		return fmt.Sprintf("Waiting for %d pods to be ready...\n", want-ready), false, nil
	}
	updated := u.num("status", "updatedReplicas")
	if u.has("spec", "updateStrategy", "rollingUpdate") {
		wantNew := want - u.num("spec", "updateStrategy", "rollingUpdate", "partition")
		if updated < wantNew {
			return fmt.Sprintf("Waiting for partitioned roll out to finish: %d out of %d new pods have been updated...\n",
				updated, wantNew), false, nil
		}
		return fmt.Sprintf("partitioned roll out complete: %d new pods have been updated...\n", updated), true, nil
	}
	if rev := u.str("status", "updateRevision"); rev != u.str("status", "currentRevision") {
		return fmt.Sprintf("waiting for statefulset rolling update to complete %d pods at revision %s...\n",
			updated, rev), false, nil
	}
	return fmt.Sprintf("statefulset rolling update complete %d pods at revision %s...\n",
		u.num("status", "currentReplicas"), u.str("status", "currentRevision")), true, nil
}

// daemonSetRolloutStatus follows kubectl's daemonset status viewer.
func daemonSetRolloutStatus(u fields) (string, bool, error) {
	name := u.name()
	if t := u.str("spec", "updateStrategy", "type"); t != "" && t != "RollingUpdate" {
		return "", false, fmt.Errorf("%w: rollout status is only available for RollingUpdate strategy type, not %s",
			ErrUsage, t)
	}
	if u.num("metadata", "generation") > u.num("status", "observedGeneration") {
		return "Waiting for daemon set spec update to be observed...\n", false, nil
	}
	desired := u.num("status", "desiredNumberScheduled")
	if updated := u.num("status", "updatedNumberScheduled"); updated < desired {
		return fmt.Sprintf("Waiting for daemon set %q rollout to finish: %d out of %d new pods have been updated...\n",
			name, updated, desired), false, nil
	}
	if available := u.num("status", "numberAvailable"); available < desired {
		return fmt.Sprintf("Waiting for daemon set %q rollout to finish: %d of %d updated pods are available...\n",
			name, available, desired), false, nil
	}
	return fmt.Sprintf("daemon set %q successfully rolled out\n", name), true, nil
}
