package api

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// IntOrString is a field that holds an int32 or a string: a port number or a port
// name, a pod count or a percentage ("25%"). It travels as a JSON number or string.
type IntOrString struct {
	Type   IntOrStringType
	IntVal int32
	StrVal string
}

// IntOrStringType says which member of an IntOrString is set.
type IntOrStringType int

// The two kinds an IntOrString can hold.
const (
	TypeInt    IntOrStringType = iota // IntVal is set
	TypeString                        // StrVal is set
)

// FromInt makes an IntOrString that holds an int (clamped to int32).
func FromInt(i int) IntOrString {
	if i > math.MaxInt32 {
		i = math.MaxInt32
	} else if i < math.MinInt32 {
		i = math.MinInt32
	}
	return IntOrString{Type: TypeInt, IntVal: int32(i)}
}

// FromString makes an IntOrString that holds a string.
func FromString(s string) IntOrString { return IntOrString{Type: TypeString, StrVal: s} }

// String prints either member.
func (v IntOrString) String() string {
	if v.Type == TypeString {
		return v.StrVal
	}
	return strconv.Itoa(int(v.IntVal))
}

// IntValue is IntVal, or StrVal parsed as an integer (0 when it is not one).
func (v IntOrString) IntValue() int {
	if v.Type == TypeString {
		i, _ := strconv.Atoi(v.StrVal)
		return i
	}
	return int(v.IntVal)
}

// IsZero reports the zero value (an unset int).
func (v IntOrString) IsZero() bool { return v.Type == TypeInt && v.IntVal == 0 }

// ScaledValue resolves an int or a percentage ("25%") against total, rounding a
// percentage up or down. A string that is not a percentage is an error.
func (v IntOrString) ScaledValue(total int, roundUp bool) (int, error) {
	if v.Type == TypeInt {
		return int(v.IntVal), nil
	}
	s, ok := strings.CutSuffix(v.StrVal, "%")
	if !ok {
		return 0, fmt.Errorf("%w: %q is not a percentage", ErrInvalidIntOrString, v.StrVal)
	}
	pct, err := strconv.Atoi(s)
	if err != nil || pct < 0 {
		return 0, fmt.Errorf("%w: %q is not a percentage", ErrInvalidIntOrString, v.StrVal)
	}
	n := int64(pct) * int64(total)
	if roundUp {
		return int((n + 99) / 100), nil
	}
	return int(n / 100), nil
}

// MarshalJSON writes a number or a string.
func (v IntOrString) MarshalJSON() ([]byte, error) {
	if v.Type == TypeString {
		return json.Marshal(v.StrVal)
	}
	return json.Marshal(v.IntVal)
}

// UnmarshalJSON reads a string, an int32 number, or null (zero).
func (v *IntOrString) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	switch {
	case s == "null":
		*v = IntOrString{}
		return nil
	case strings.HasPrefix(s, `"`):
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return fmt.Errorf("%w: %s", ErrInvalidIntOrString, err.Error())
		}
		*v = FromString(str)
		return nil
	}
	i, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return fmt.Errorf("%w: %s is not an int32 or a string", ErrInvalidIntOrString, s)
	}
	*v = IntOrString{Type: TypeInt, IntVal: int32(i)}
	return nil
}
