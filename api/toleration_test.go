package api

import "testing"

func TestTolerationToleratesTaint(t *testing.T) {
	taint := &Taint{Key: "k", Value: "v", Effect: TaintNoExecute}
	tests := []struct {
		name string
		tol  Toleration
		want bool
	}{
		{"equal key value effect", Toleration{Key: "k", Operator: "Equal", Value: "v", Effect: TaintNoExecute}, true},
		{"empty operator is Equal", Toleration{Key: "k", Value: "v"}, true},
		{"other value", Toleration{Key: "k", Value: "w"}, false},
		{"exists ignores the value", Toleration{Key: "k", Operator: "Exists"}, true},
		{"empty key with Exists matches every key", Toleration{Operator: "Exists"}, true},
		{"other key", Toleration{Key: "x", Operator: "Exists"}, false},
		{"other effect", Toleration{Key: "k", Operator: "Exists", Effect: TaintNoSchedule}, false},
		{"unknown operator", Toleration{Key: "k", Operator: "Gt", Value: "v"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.tol.ToleratesTaint(taint); got != tt.want {
				t.Errorf("ToleratesTaint = %v, want %v", got, tt.want)
			}
		})
	}
}
