package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Quantity is a Kubernetes resource quantity: "100m" CPUs, "1Gi" of memory, "2e3".
// It travels as its canonical string (the form Kubernetes prints: "0.5" becomes
// "500m", "1024Mi" becomes "1Gi") and accepts a JSON number too. Precision below
// 1n is rounded up, as Kubernetes does. The zero Quantity is 0.
//
// Quantity is a comparable value: two quantities of the same value and format are ==.
type Quantity struct {
	s     string // canonical form; "" means zero
	milli int64  // ceil(value*1000), saturated at the int64 range
	value int64  // ceil(value), saturated
}

// QuantityFormat is the suffix family a quantity prints with.
type QuantityFormat string

// The three formats of Kubernetes quantities.
const (
	DecimalSI       QuantityFormat = "DecimalSI"       // 1k, 500m
	BinarySI        QuantityFormat = "BinarySI"        // 1Ki, 1Gi
	DecimalExponent QuantityFormat = "DecimalExponent" // 1e3
)

// maxQuantityLen bounds the input so a hostile quantity cannot make big.Int work hard.
const maxQuantityLen = 128

var decimalSuffixes = map[string]int{"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
var binarySuffixes = map[string]uint{"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}

// ParseQuantity parses a quantity; the error wraps ErrInvalidQuantity and names it.
func ParseQuantity(str string) (Quantity, error) {
	if q, ok := parsedQuantities.Load(str); ok {
		return q.(Quantity), nil
	}
	r, format, err := parseQuantityRat(str)
	if err != nil {
		return Quantity{}, fmt.Errorf("%w %q: %s", ErrInvalidQuantity, str, err.Error())
	}
	q := quantityFromRat(r, format)
	if len(str) <= maxCachedQuantityLen && parsedQuantityCount.Load() < maxCachedQuantities {
		if _, loaded := parsedQuantities.LoadOrStore(str, q); !loaded {
			parsedQuantityCount.Add(1)
		}
	}
	return q, nil
}

// parsedQuantities remembers the quantities parsed so far, by their text: a cluster
// uses a handful ("100m", "64Mi") millions of times, and exact parsing goes through
// big.Rat. A Quantity is an immutable value, so sharing one is safe. The cache
// stops growing at maxCachedQuantities, so distinct hostile inputs cost memory once.
var (
	parsedQuantities    sync.Map // string → Quantity
	parsedQuantityCount atomic.Int64
)

const (
	maxCachedQuantities  = 4096
	maxCachedQuantityLen = 32
)

// NewQuantity is a whole value in a format (BinarySI for bytes, DecimalSI for counts).
func NewQuantity(value int64, format QuantityFormat) Quantity {
	return quantityFromRat(new(big.Rat).SetInt64(value), format)
}

// NewMilliQuantity is value/1000 (CPU in millicores), printed as DecimalSI.
func NewMilliQuantity(milli int64) Quantity {
	return quantityFromRat(big.NewRat(milli, 1000), DecimalSI)
}

// String is the canonical form.
func (q Quantity) String() string {
	if q.s == "" {
		return "0"
	}
	return q.s
}

// IsZero reports a zero quantity.
func (q Quantity) IsZero() bool { return q.milli == 0 && (q.s == "" || q.s == "0") }

// MilliValue is the value times 1000, rounded up ("100m" is 100, "1" is 1000).
func (q Quantity) MilliValue() int64 { return q.milli }

// Value is the value rounded up to a whole number ("100m" is 1, "1Ki" is 1024).
func (q Quantity) Value() int64 { return q.value }

// Cmp compares exactly: -1 if q < o, 0 if equal, 1 if q > o.
func (q Quantity) Cmp(o Quantity) int {
	return q.rat().Cmp(o.rat())
}

func (q Quantity) rat() *big.Rat {
	r, _, err := parseQuantityRat(q.String())
	if err != nil { // cannot happen: s is our own canonical output
		return new(big.Rat)
	}
	return r
}

// MarshalJSON writes the canonical string.
func (q Quantity) MarshalJSON() ([]byte, error) {
	return json.Marshal(q.String())
}

// UnmarshalJSON accepts a string, a number or null.
func (q *Quantity) UnmarshalJSON(b []byte) error {
	// The common case, a plain quoted string, without the general path's copies.
	if n := len(b); n >= 2 && b[0] == '"' && b[n-1] == '"' && bytes.IndexByte(b[1:n-1], '\\') < 0 && bytes.IndexByte(b[1:n-1], '"') < 0 {
		p, err := ParseQuantity(string(b[1 : n-1]))
		if err != nil {
			return err
		}
		*q = p
		return nil
	}
	s := strings.TrimSpace(string(b))
	if s == "null" {
		*q = Quantity{}
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("%w: %s", ErrInvalidQuantity, err.Error())
		}
	}
	p, err := ParseQuantity(s)
	if err != nil {
		return err
	}
	*q = p
	return nil
}

// parseQuantityRat returns the exact value and the format its suffix implies.
func parseQuantityRat(str string) (*big.Rat, QuantityFormat, error) {
	if str == "" {
		return nil, "", fmt.Errorf("empty")
	}
	if len(str) > maxQuantityLen {
		return nil, "", fmt.Errorf("longer than %d characters", maxQuantityLen)
	}
	i := 0
	neg := false
	if str[0] == '+' || str[0] == '-' {
		neg = str[0] == '-'
		i++
	}
	start, dot, digits := i, -1, 0
	for ; i < len(str); i++ {
		c := str[i]
		if c == '.' && dot < 0 {
			dot = i
			continue
		}
		if c < '0' || c > '9' {
			break
		}
		digits++
	}
	if digits == 0 {
		return nil, "", fmt.Errorf("no digits")
	}
	num := strings.Replace(str[start:i], ".", "", 1)
	scale := 0
	if dot >= 0 {
		scale = -(i - dot - 1)
	}
	mant, ok := new(big.Int).SetString(num, 10)
	if !ok {
		return nil, "", fmt.Errorf("bad number")
	}
	if neg {
		mant.Neg(mant)
	}
	r := new(big.Rat).SetInt(mant)
	suffix := str[i:]
	format, err := applySuffix(r, suffix, scale)
	return r, format, err
}

// applySuffix scales r by the decimal scale of its fraction and by its suffix.
func applySuffix(r *big.Rat, suffix string, scale int) (QuantityFormat, error) {
	if shift, ok := binarySuffixes[suffix]; ok {
		r.Mul(r, new(big.Rat).SetInt(new(big.Int).Lsh(big.NewInt(1), shift)))
		mulPow10(r, scale)
		return BinarySI, nil
	}
	if exp, ok := decimalSuffixes[suffix]; ok {
		mulPow10(r, scale+exp)
		return DecimalSI, nil
	}
	if suffix[0] == 'e' || suffix[0] == 'E' {
		exp, err := strconv.Atoi(suffix[1:])
		if err != nil || suffix[1:] == "" || exp < -100 || exp > 100 {
			return "", fmt.Errorf("bad exponent %q", suffix)
		}
		mulPow10(r, scale+exp)
		return DecimalExponent, nil
	}
	return "", fmt.Errorf("unknown suffix %q", suffix)
}

func mulPow10(r *big.Rat, exp int) {
	if exp == 0 {
		return
	}
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(exp))), nil)
	if exp > 0 {
		r.Mul(r, new(big.Rat).SetInt(p))
	} else {
		r.Quo(r, new(big.Rat).SetInt(p))
	}
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// quantityFromRat rounds to nano precision (up, away from zero) and canonicalises.
func quantityFromRat(r *big.Rat, format QuantityFormat) Quantity {
	nanos := ceilAbs(new(big.Rat).Mul(r, big.NewRat(1_000_000_000, 1))) // integer count of 1n
	sign := ""
	if nanos.Sign() < 0 {
		sign = "-"
	}
	a := new(big.Int).Abs(nanos)
	var s string
	switch {
	case a.Sign() == 0:
		s = "0"
	case format == BinarySI && binaryCanonical(a) != "":
		s = sign + binaryCanonical(a)
	default:
		s = sign + decimalCanonical(a, format == DecimalExponent)
	}
	exact := new(big.Rat).SetFrac(nanos, big.NewInt(1_000_000_000))
	return Quantity{
		s:     s,
		milli: saturate(ceilRat(new(big.Rat).Mul(exact, big.NewRat(1000, 1)))),
		value: saturate(ceilRat(exact)),
	}
}

// binaryCanonical prints a whole number of bytes ≥ 1024 with the largest exact binary
// suffix, or returns "" when the value must be printed in decimal instead.
func binaryCanonical(nanos *big.Int) string {
	whole, rem := new(big.Int).QuoRem(nanos, big.NewInt(1_000_000_000), new(big.Int))
	if rem.Sign() != 0 || whole.Cmp(big.NewInt(1024)) < 0 {
		return ""
	}
	names := []string{"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"}
	k := 0
	for k < 6 {
		q, m := new(big.Int).QuoRem(whole, big.NewInt(1024), new(big.Int))
		if m.Sign() != 0 {
			break
		}
		whole, k = q, k+1
	}
	return whole.String() + names[k]
}

// decimalCanonical prints with the largest power of 1000 that keeps the mantissa whole.
func decimalCanonical(nanos *big.Int, exponent bool) string {
	exp := -9
	m := new(big.Int).Set(nanos)
	thousand := big.NewInt(1000)
	for exponent || exp < 18 {
		q, r := new(big.Int).QuoRem(m, thousand, new(big.Int))
		if r.Sign() != 0 {
			break
		}
		m, exp = q, exp+3
	}
	if exponent {
		if exp == 0 {
			return m.String()
		}
		return m.String() + "e" + strconv.Itoa(exp)
	}
	for suffix, e := range decimalSuffixes {
		if e == exp {
			return m.String() + suffix
		}
	}
	return m.String()
}

// ceilAbs rounds away from zero to an integer.
func ceilAbs(r *big.Rat) *big.Int {
	q, m := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	if m.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	} else if m.Sign() < 0 {
		q.Sub(q, big.NewInt(1))
	}
	return q
}

// ceilRat rounds toward positive infinity to an integer.
func ceilRat(r *big.Rat) *big.Int {
	q, m := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	if m.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	return q
}

func saturate(i *big.Int) int64 {
	if i.IsInt64() {
		return i.Int64()
	}
	if i.Sign() < 0 {
		return math.MinInt64
	}
	return math.MaxInt64
}

// ResourceList maps a resource name ("cpu", "memory") to a quantity.
type ResourceList map[string]Quantity

// Cpu is the "cpu" entry, zero when absent.
func (l ResourceList) Cpu() Quantity { return l[ResourceCPU] }

// Memory is the "memory" entry, zero when absent.
func (l ResourceList) Memory() Quantity { return l[ResourceMemory] }
