package api

import (
	"errors"
	"strings"
	"testing"
)

func TestParseSelector(t *testing.T) {
	labels := map[string]string{"app": "web", "tier": "frontend", "gen": "3"}
	tests := []struct {
		name      string
		in        string
		canonical string
		matches   bool
	}{
		{"empty selects everything", "", "", true},
		{"equals", "app=web", "app=web", true},
		{"double equals", "app==web", "app==web", true},
		{"not equals", "app!=web", "app!=web", false},
		{"not equals on missing key", "zone!=a", "zone!=a", true},
		{"in", "tier in (frontend, backend)", "tier in (backend,frontend)", true},
		{"notin", "tier notin (frontend)", "tier notin (frontend)", false},
		{"notin missing key", "zone notin (a)", "zone notin (a)", true},
		{"exists", "app", "app", true},
		{"does not exist", "!app", "!app", false},
		{"does not exist missing", "!zone", "!zone", true},
		{"and, sorted by key", "tier=frontend, app=web", "app=web,tier=frontend", true},
		{"and fails", "app=web,tier=backend", "app=web,tier=backend", false},
		{"empty value", "zone=", "zone=", false},
		{"prefixed key", "app.kubernetes.io/name=web", "app.kubernetes.io/name=web", false},
		{"greater than", "gen>2", "gen>2", true},
		{"less than", "gen<2", "gen<2", false},
		{"spaces", "  app = web  ", "app=web", true},
		{"in with spaces around", "tier in(frontend)", "tier in (frontend)", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSelector(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if s.String() != tt.canonical {
				t.Errorf("String() = %q, want %q", s.String(), tt.canonical)
			}
			if s.Matches(labels) != tt.matches {
				t.Errorf("Matches = %v, want %v", !tt.matches, tt.matches)
			}
			again, err := ParseSelector(s.String())
			if err != nil || again.String() != s.String() {
				t.Errorf("canonical form does not round-trip: %v %v", again, err)
			}
			if s.Empty() != (tt.in == "") {
				t.Errorf("Empty() = %v", s.Empty())
			}
		})
	}
}

func TestParseSelectorErrors(t *testing.T) {
	tests := []struct{ in, part string }{
		{"a=b,,c=d", "empty requirement"},
		{"a=b,", "empty requirement"},
		{"a in (x", "missing ')'"},
		{"a in x", `expected '(' after "in"`},
		{"a in ()", "values set can't be empty"},
		{"a)", "unbalanced"},
		{"a=b c", `"a=b c"`},
		{"Bad Key=x", `"Bad Key=x"`},
		{"-a=b", `"-a=b"`},
		{"a=" + strings.Repeat("x", 64), "must be no more than 63 characters"},
		{"a>x", "must be an integer"},
		{"=b", "missing key"},
		{"a ~ b", `unexpected "~ b"`},
		{"!", `"!"`},
		{"a in ((x))", "nested"},
		{"a in (x,)", "empty value in the set"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseSelector(tt.in)
			if !errors.Is(err, ErrInvalidSelector) {
				t.Fatalf("err = %v, want ErrInvalidSelector", err)
			}
			if !strings.Contains(err.Error(), tt.part) {
				t.Errorf("error %q does not name %q", err, tt.part)
			}
		})
	}
}

func TestLabelSelectorAsSelector(t *testing.T) {
	labels := map[string]string{"app": "web", "tier": "frontend"}
	tests := []struct {
		name    string
		sel     *LabelSelector
		matches bool
		str     string
		wantErr bool
	}{
		{"nil selects nothing", nil, false, "", false},
		{"empty selects everything", &LabelSelector{}, true, "", false},
		{"matchLabels", &LabelSelector{MatchLabels: map[string]string{"app": "web"}}, true, "app=web", false},
		{"expressions", &LabelSelector{MatchExpressions: []LabelSelectorRequirement{
			{Key: "tier", Operator: "In", Values: []string{"frontend", "api"}},
			{Key: "canary", Operator: "DoesNotExist"},
		}}, true, "!canary,tier in (api,frontend)", false},
		{"both must hold", &LabelSelector{MatchLabels: map[string]string{"app": "web"},
			MatchExpressions: []LabelSelectorRequirement{{Key: "tier", Operator: "NotIn", Values: []string{"frontend"}}}}, false, "app=web,tier notin (frontend)", false},
		{"bad operator", &LabelSelector{MatchExpressions: []LabelSelectorRequirement{{Key: "a", Operator: "Gt", Values: []string{"1"}}}}, false, "", true},
		{"In without values", &LabelSelector{MatchExpressions: []LabelSelectorRequirement{{Key: "a", Operator: "In"}}}, false, "", true},
		{"bad label value", &LabelSelector{MatchLabels: map[string]string{"a": "b c"}}, false, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := tt.sel.AsSelector()
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidSelector) {
					t.Fatalf("err = %v, want ErrInvalidSelector", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Matches(labels) != tt.matches || s.String() != tt.str {
				t.Errorf("Matches=%v String=%q, want %v %q", s.Matches(labels), s.String(), tt.matches, tt.str)
			}
		})
	}
	if !Everything().Matches(nil) || Nothing().Matches(nil) || !SelectorFromSet(nil).Empty() {
		t.Error("Everything/Nothing/SelectorFromSet wrong")
	}
}

func TestFieldSelector(t *testing.T) {
	pod := &Pod{ObjectMeta: ObjectMeta{Name: "p", Namespace: "ns"},
		Spec:   PodSpec{NodeName: "n1", RestartPolicy: "Always", SchedulerName: DefaultSchedulerName},
		Status: PodStatus{Phase: PodRunning, PodIP: "10.244.0.5"}}
	node := &Node{ObjectMeta: ObjectMeta{Name: "n1"}, Spec: NodeSpec{Unschedulable: true}}
	ev := &Event{ObjectMeta: ObjectMeta{Name: "e", Namespace: "ns"}, Reason: "Scheduled", Type: "Normal",
		InvolvedObject: ObjectReference{Kind: "Pod", Name: "p", Namespace: "ns", UID: "u1"}, Source: EventSource{Component: "scheduler"}}
	sec := &Secret{ObjectMeta: ObjectMeta{Name: "s"}, Type: SecretTypeTLS}
	tests := []struct {
		name    string
		sel     string
		obj     Object
		matches bool
	}{
		{"empty", "", pod, true},
		{"name", "metadata.name=p", pod, true},
		{"namespace on a configmap", "metadata.namespace=ns", &ConfigMap{ObjectMeta: ObjectMeta{Namespace: "ns"}}, true},
		{"nodeName", "spec.nodeName=n1", pod, true},
		{"unscheduled pods", "spec.nodeName=", pod, false},
		{"double equals", "spec.nodeName==n1", pod, true},
		{"not equals", "status.phase!=Running", pod, false},
		{"and", "status.phase=Running,status.podIP=10.244.0.5,spec.schedulerName=default-scheduler,spec.restartPolicy=Always", pod, true},
		{"node unschedulable", "spec.unschedulable=true", node, true},
		{"event fields", "involvedObject.kind=Pod,involvedObject.name=p,involvedObject.namespace=ns,involvedObject.uid=u1,reason=Scheduled,type=Normal,source=scheduler", ev, true},
		{"secret type", "type=kubernetes.io/tls", sec, true},
		{"unsupported field never matches", "spec.nodeName=n1", node, false},
		{"escaped value", `metadata.name=a\,b`, &ConfigMap{ObjectMeta: ObjectMeta{Name: "a,b"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, err := ParseFieldSelector(tt.sel)
			if err != nil {
				t.Fatal(err)
			}
			if fs.Matches(tt.obj) != tt.matches {
				t.Errorf("Matches = %v, want %v", !tt.matches, tt.matches)
			}
			again, err := ParseFieldSelector(fs.String())
			if err != nil || again.String() != fs.String() {
				t.Errorf("String does not round-trip: %q %v", fs.String(), err)
			}
		})
	}
}

func TestFieldSelectorErrors(t *testing.T) {
	for _, in := range []string{"a", "=x", "a=b=c", `a=b\`, `a=\x`, "a b=c", "a=b,c"} {
		t.Run(in, func(t *testing.T) {
			if _, err := ParseFieldSelector(in); !errors.Is(err, ErrInvalidSelector) {
				t.Errorf("err = %v, want ErrInvalidSelector", err)
			}
		})
	}
}

func TestValidateFieldSelector(t *testing.T) {
	pods, _ := ResourceForKind("Pod")
	cms, _ := ResourceForKind("ConfigMap")
	tests := []struct {
		name    string
		res     *Resource
		sel     string
		wantErr string
	}{
		{"pod fields", pods, "spec.nodeName=n,status.phase=Running,metadata.name=x", ""},
		{"metadata on any kind", cms, "metadata.namespace=x", ""},
		{"unsupported", cms, "spec.nodeName=n", "field label not supported: spec.nodeName"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, err := ParseFieldSelector(tt.sel)
			if err != nil {
				t.Fatal(err)
			}
			err = ValidateFieldSelector(tt.res, fs)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr || ReasonOf(err) != ReasonBadRequest {
				t.Errorf("err = %v, want BadRequest %q", err, tt.wantErr)
			}
		})
	}
}
