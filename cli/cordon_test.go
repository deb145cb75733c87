package cli

import "testing"

func TestCordonUncordon(t *testing.T) {
	lf := newLiveFake(t, fixtureNode)
	steps := []struct {
		name      string
		args      []string
		wantCode  int
		wantOut   string
		wantErr   string
		wantUnsch bool
	}{
		{"cordon", []string{"cordon", "n1"}, 0, "node/n1 cordoned\n", "", true},
		{"cordon again", []string{"cordon", "n1"}, 0, "node/n1 already cordoned\n", "", true},
		{"uncordon", []string{"uncordon", "n1"}, 0, "node/n1 uncordoned\n", "", false},
		{"uncordon again", []string{"uncordon", "n1"}, 0, "node/n1 already uncordoned\n", "", false},
		{"no such node", []string{"cordon", "n9"}, 1, "", "Error from server (NotFound): nodes \"n9\" not found\n", false},
		{"no node named", []string{"cordon"}, 1, "", "error: requires at least 1 arg(s), only received 0\n", false},
	}
	for _, s := range steps {
		r := runBerth(t, lf.fakeServer, "", s.args...)
		if r.code != s.wantCode || r.stdout != s.wantOut || r.stderr != s.wantErr {
			t.Errorf("%s: exit %d stdout %q stderr %q\nwant %d %q %q", s.name, r.code, r.stdout, r.stderr,
				s.wantCode, s.wantOut, s.wantErr)
		}
		n := lf.object("nodes", "", "n1")
		if got := n.boolean("spec", "unschedulable"); got != s.wantUnsch {
			t.Errorf("%s: spec.unschedulable = %v, want %v", s.name, got, s.wantUnsch)
		}
		if !s.wantUnsch && n.has("spec", "unschedulable") {
			t.Errorf("%s: uncordon left spec.unschedulable in place", s.name)
		}
	}
}
