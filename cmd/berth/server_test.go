package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServerSchedulerConfigFlag: a --scheduler-config that cannot be used stops
// `berth server` at start with an error naming the flag and the problem.
func TestServerSchedulerConfigFlag(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name string
		file string
		want []string
	}{
		{name: "missing file", file: filepath.Join(dir, "nope.yaml"), want: []string{"--scheduler-config", "nope.yaml"}},
		{name: "unknown field", file: write("typo.yaml", "plugins:\n  NodeResourceFit: {enabled: true}\n"),
			want: []string{"--scheduler-config", "NodeResourceFit", "typo.yaml"}},
		{name: "bad weight", file: write("weight.yaml", "plugins:\n  ImageLocality: {enabled: true, weight: 500}\n"),
			want: []string{"plugins.ImageLocality.weight", "500"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := newServerCommand()
			cmd.SetArgs([]string{"--scheduler-config", tt.file, "--data-dir", t.TempDir(), "--bootstrap-expect", "1"})
			cmd.SilenceUsage, cmd.SilenceErrors = true, true
			err := cmd.Execute()
			if err == nil {
				t.Fatal("the server started with a bad --scheduler-config")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
}
