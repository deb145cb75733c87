package main

import (
	"context"
	"errors"
	"os"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/workload/demo"
)

// newDemoCommand is `berth demo`, the test and tour workload of the berth/demo image.
func newDemoCommand() *cobra.Command {
	cfg := demo.DefaultConfig()
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the demo workload: an HTTP server that reports who answered, and a TCP echo",
		Long: `Run the demo workload (the default command of the berth/demo:dev image, built
by 'make images'). GET / answers with the hostname, pod IP and request details;
/healthz, /readyz and POST /fail/liveness, /fail/readiness, /recover drive probes;
/env, /file and POST /exit?code=N help tests. Never expose it: it reads and writes
files on request.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// The demo handles SIGTERM itself (--ignore-sigterm, --term-delay); the
			// root's context would end it on the first signal.
			err := demo.Run(context.WithoutCancel(cmd.Context()), cfg, cmd.OutOrStdout())
			var ee *demo.ExitError
			if errors.As(err, &ee) {
				// An exit code is the point of --exit-code and POST /exit, and the CLI
				// only knows 0 and 1.
				os.Exit(ee.Code)
			}
			return err
		},
	}
	f := cmd.Flags()
	f.IntVar(&cfg.Port, "port", cfg.Port, "HTTP port")
	f.IntVar(&cfg.TCPEchoPort, "tcp-echo-port", 0, "TCP echo port (0: no echo server)")
	f.StringVar(&cfg.Hostname, "hostname", "", "hostname to report (default: the kernel's)")
	f.StringVar(&cfg.ReadyFile, "ready-file", "", "file that exists while the demo is ready")
	f.BoolVar(&cfg.FailLiveness, "fail-liveness", false, "start with /healthz failing")
	f.BoolVar(&cfg.FailReadiness, "fail-readiness", false, "start with /readyz failing")
	f.DurationVar(&cfg.ExitAfter, "exit-after", 0, "exit with --exit-code after this long (0: never)")
	f.IntVar(&cfg.ExitCode, "exit-code", 0, "exit code for --exit-after")
	f.BoolVar(&cfg.IgnoreSIGTERM, "ignore-sigterm", false, "log SIGTERM and keep running")
	f.DurationVar(&cfg.TermDelay, "term-delay", 0, "keep serving this long after SIGTERM before exiting 0")
	f.DurationVar(&cfg.LogEvery, "log-every", 0, "print a numbered line this often (0: never)")
	return cmd
}
