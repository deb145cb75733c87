package api

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestIntOrStringJSON(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    IntOrString
		wantErr bool
	}{
		{"int", `8080`, FromInt(8080), false},
		{"string", `"http"`, FromString("http"), false},
		{"percent", `"25%"`, FromString("25%"), false},
		{"null", `null`, IntOrString{}, false},
		{"float", `1.5`, IntOrString{}, true},
		{"too big", `3000000000`, IntOrString{}, true},
		{"bool", `true`, IntOrString{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v IntOrString
			err := json.Unmarshal([]byte(tt.in), &v)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidIntOrString) {
					t.Fatalf("err = %v, want ErrInvalidIntOrString", err)
				}
				return
			}
			if err != nil || v != tt.want {
				t.Fatalf("got %+v, %v; want %+v", v, err, tt.want)
			}
			if tt.in != "null" {
				out, _ := json.Marshal(v)
				if string(out) != tt.in {
					t.Errorf("marshal = %s, want %s", out, tt.in)
				}
			}
		})
	}
}

func TestIntOrStringScaledValue(t *testing.T) {
	tests := []struct {
		name    string
		v       IntOrString
		total   int
		roundUp bool
		want    int
		wantErr bool
	}{
		{"int ignores total", FromInt(3), 10, false, 3, false},
		{"25% of 10 down", FromString("25%"), 10, false, 2, false},
		{"25% of 10 up", FromString("25%"), 10, true, 3, false},
		{"exact", FromString("50%"), 10, true, 5, false},
		{"0%", FromString("0%"), 10, true, 0, false},
		{"100%", FromString("100%"), 7, false, 7, false},
		{"1% of 1 up", FromString("1%"), 1, true, 1, false},
		{"not a percentage", FromString("25"), 10, false, 0, true},
		{"garbage", FromString("x%"), 10, false, 0, true},
		{"negative", FromString("-5%"), 10, false, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.v.ScaledValue(tt.total, tt.roundUp)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("got %d, %v; want %d, err %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
	if FromString("42").IntValue() != 42 || FromInt(7).String() != "7" {
		t.Error("IntValue/String wrong")
	}
}
