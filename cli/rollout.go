package cli

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/berth-dev/berth/api"
	"github.com/spf13/cobra"
)

// Errors of the workload commands (rollout, scale, cordon, drain).
var (
	// ErrTimeout means a command gave up waiting (--timeout passed).
	ErrTimeout = errors.New("cli: timed out waiting for the condition")
	// ErrRolloutFailed means a rollout cannot finish as it stands (progress deadline).
	ErrRolloutFailed = errors.New("cli: rollout failed")
	// ErrNoRevision means rollout history or undo cannot find the revision asked for.
	ErrNoRevision = errors.New("cli: revision not found")
	// ErrPrecondition means an object no longer matches what the user said it was
	// (scale --current-replicas, --resource-version), or is in a state the command
	// refuses (undo of a paused deployment).
	ErrPrecondition = errors.New("cli: precondition failed")
	// ErrDrain means drain refused or could not finish evicting a node's pods.
	ErrDrain = errors.New("cli: unable to drain node")
)

// wordedError carries a sentinel but prints only its own text, for the messages that
// kubectl words exactly (`error: deployment "web" exceeded its progress deadline`).
type wordedError struct {
	kind error
	msg  string
}

func (e *wordedError) Error() string { return "cli: " + e.msg }
func (e *wordedError) Unwrap() error { return e.kind }

func worded(kind error, format string, args ...any) error {
	return &wordedError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// newRolloutCommand is `berth rollout`, kubectl's verbs for a workload's rollouts.
func newRolloutCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rollout SUBCOMMAND",
		Short: "Watch, pause, resume, restart or undo the rollout of a workload",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newRolloutStatusCommand(g), newRolloutHistoryCommand(g), newRolloutUndoCommand(g),
		newRolloutPauseCommand(g, true), newRolloutPauseCommand(g, false), newRolloutRestartCommand(g))
	return cmd
}

// workloadRef is one object a workload command acts on.
type workloadRef struct {
	res       *api.Resource
	ns, name  string
	qualified string // "deployment.apps/web", as kubectl names it in messages
}

// parseWorkloads reads KIND/NAME... or KIND NAME... and checks every kind is one of
// kinds (Kind names); verb names the command in the error for another kind.
func (g *globals) parseWorkloads(args []string, verb string, kinds ...string) ([]workloadRef, error) {
	if len(args) == 0 {
		return nil, fmt.Errorf("%w: %s needs KIND/NAME or KIND NAME", ErrUsage, verb)
	}
	targets, err := parseTargets(args)
	if err != nil {
		return nil, err
	}
	var out []workloadRef
	for _, t := range targets {
		if !slices.Contains(kinds, t.res.Kind) {
			return nil, fmt.Errorf("%w: %s works on %s, not %s", ErrUsage, verb, kindList(kinds), t.res.Plural)
		}
		if len(t.names) == 0 {
			return nil, fmt.Errorf("%w: name the %s to %s", ErrUsage, t.res.Singular, verb)
		}
		for _, name := range t.names {
			out = append(out, workloadRef{res: t.res, ns: g.namespaceFor(t.res, false), name: name,
				qualified: qualifiedName(t.res, name)})
		}
	}
	return out, nil
}

// parseWorkload is parseWorkloads for the commands that take exactly one object.
func (g *globals) parseWorkload(args []string, verb string, kinds ...string) (workloadRef, error) {
	refs, err := g.parseWorkloads(args, verb, kinds...)
	if err != nil {
		return workloadRef{}, err
	}
	if len(refs) != 1 {
		return workloadRef{}, fmt.Errorf("%w: %s takes one object, got %d", ErrUsage, verb, len(refs))
	}
	return refs[0], nil
}

// kindList names kinds the way a user types them: "deployments, statefulsets".
func kindList(kinds []string) string {
	names := make([]string, 0, len(kinds))
	for _, k := range kinds {
		if res, ok := api.ResourceForKind(k); ok {
			names = append(names, res.Plural)
		} else {
			names = append(names, strings.ToLower(k)+"s")
		}
	}
	return strings.Join(names, ", ")
}
