package api

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"testing"
)

func TestParseQuantity(t *testing.T) {
	tests := []struct {
		in        string
		canonical string
		milli     int64
		value     int64
	}{
		{"100m", "100m", 100, 1},
		{"0.5", "500m", 500, 1},
		{".5", "500m", 500, 1},
		{"1", "1", 1000, 1},
		{"1.5", "1500m", 1500, 2},
		{"1000", "1k", 1000000, 1000},
		{"1200", "1200", 1200000, 1200},
		{"1Gi", "1Gi", 1 << 30 * 1000, 1 << 30},
		{"1024Mi", "1Gi", 1 << 30 * 1000, 1 << 30},
		{"1.5Gi", "1536Mi", 1536 << 20 * 1000, 1536 << 20},
		{"500Mi", "500Mi", 500 << 20 * 1000, 500 << 20},
		{"0.5Ki", "512", 512000, 512},
		{"2e3", "2e3", 2000000, 2000},
		{"2E3", "2e3", 2000000, 2000},
		{"12e2", "1200", 1200000, 1200},
		{"1e-3", "1e-3", 1, 1},
		{"2E", "2E", math.MaxInt64, 2000000000000000000},
		{"0", "0", 0, 0},
		{"-0", "0", 0, 0},
		{"+1k", "1k", 1000000, 1000},
		{"-100m", "-100m", -100, 0},
		{"1n", "1n", 1, 1},
		{"0.1n", "1n", 1, 1}, // below nano rounds up
		{"1u", "1u", 1, 1},
		{"128974848", "128974848", 128974848000, 128974848},
		{"129e6", "129e6", 129000000000, 129000000},
		{"123Mi", "123Mi", 123 << 20 * 1000, 123 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			q, err := ParseQuantity(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if q.String() != tt.canonical || q.MilliValue() != tt.milli || q.Value() != tt.value {
				t.Errorf("got %q milli %d value %d, want %q %d %d", q, q.MilliValue(), q.Value(), tt.canonical, tt.milli, tt.value)
			}
			again, err := ParseQuantity(q.String())
			if err != nil || again != q {
				t.Errorf("canonical form does not parse back to the same quantity: %v %v", again, err)
			}
		})
	}
}

func TestParseQuantityErrors(t *testing.T) {
	for _, in := range []string{"", "x", "1x", "1KiB", "1.2.3", "e3", "1e", "1e1000", "Mi", "1 Gi", " 1", "--1", "1ee3", "."} {
		t.Run(in, func(t *testing.T) {
			_, err := ParseQuantity(in)
			if !errors.Is(err, ErrInvalidQuantity) {
				t.Fatalf("err = %v, want ErrInvalidQuantity", err)
			}
		})
	}
}

func TestQuantityJSON(t *testing.T) {
	tests := []struct {
		name, in, out string
		wantErr       bool
	}{
		{"string", `"250m"`, `"250m"`, false},
		{"number", `1`, `"1"`, false},
		{"fraction number", `0.5`, `"500m"`, false},
		{"exponent number", `1e3`, `"1e3"`, false},
		{"null", `null`, `"0"`, false},
		{"bad string", `"abc"`, ``, true},
		{"bool", `true`, ``, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var q Quantity
			err := json.Unmarshal([]byte(tt.in), &q)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if tt.wantErr {
				return
			}
			out, _ := json.Marshal(q)
			if string(out) != tt.out {
				t.Errorf("marshal = %s, want %s", out, tt.out)
			}
		})
	}
}

func TestQuantityCmpAndConstructors(t *testing.T) {
	a, _ := ParseQuantity("1")
	b, _ := ParseQuantity("1000m")
	c, _ := ParseQuantity("1001m")
	if a.Cmp(b) != 0 || a.Cmp(c) != -1 || c.Cmp(a) != 1 {
		t.Errorf("Cmp wrong: %d %d %d", a.Cmp(b), a.Cmp(c), c.Cmp(a))
	}
	if q := NewMilliQuantity(1500); q.String() != "1500m" {
		t.Errorf("NewMilliQuantity = %s", q)
	}
	if q := NewQuantity(8<<30, BinarySI); q.String() != "8Gi" || q.Value() != 8<<30 {
		t.Errorf("NewQuantity = %s", q)
	}
	if q := NewQuantity(4, DecimalSI); q.String() != "4" || q.MilliValue() != 4000 {
		t.Errorf("NewQuantity = %s", q)
	}
	var zero Quantity
	if !zero.IsZero() || zero.String() != "0" || zero.Cmp(NewQuantity(0, DecimalSI)) != 0 {
		t.Error("zero Quantity is not 0")
	}
}

func TestParseQuantityCacheIsBounded(t *testing.T) {
	for i := range maxCachedQuantities + 100 {
		if _, err := ParseQuantity(strconv.Itoa(i) + "m"); err != nil {
			t.Fatal(err)
		}
	}
	if n := parsedQuantityCount.Load(); n > maxCachedQuantities {
		t.Fatalf("%d quantities cached, want at most %d", n, maxCachedQuantities)
	}
	// Cached or not, the answer is the exact one.
	for _, s := range []string{"1", "4095m", "5000m", "0.5", "1Gi"} {
		a, err1 := ParseQuantity(s)
		b, err2 := ParseQuantity(s)
		if err1 != nil || err2 != nil || a != b {
			t.Fatalf("%q parsed twice: %v %v (%v %v)", s, a, b, err1, err2)
		}
	}
	var q Quantity
	if err := json.Unmarshal([]byte(`"1.5"`), &q); err != nil || q.String() != "1500m" {
		t.Fatalf(`"1.5" decoded to %v (%v)`, q, err)
	}
	if err := json.Unmarshal([]byte(`"1\u0030"`), &q); err != nil || q.String() != "10" {
		t.Fatalf(`an escaped quantity decoded to %v (%v)`, q, err)
	}
	if err := json.Unmarshal([]byte(`"10x"`), &q); err == nil {
		t.Fatal(`"10x" decoded without an error`)
	}
}

func BenchmarkQuantityUnmarshal(b *testing.B) {
	data := []byte(`{"cpu":"250m","memory":"64Mi"}`)
	for b.Loop() {
		var l ResourceList
		if err := json.Unmarshal(data, &l); err != nil {
			b.Fatal(err)
		}
	}
}
