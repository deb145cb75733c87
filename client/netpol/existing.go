package netpol

import (
	"bufio"
	"bytes"
	"strings"
)

// existing is what the host's filter table holds now, read from iptables-save:
// its chains, and the rules of each (the text after "-A CHAIN "), in order.
type existing struct {
	chains map[string]bool
	rules  map[string][]string
}

// parseSave reads the filter table of iptables-save output; other tables and
// lines it does not understand are skipped.
func parseSave(save []byte) *existing {
	e := &existing{chains: map[string]bool{}, rules: map[string][]string{}}
	inFilter := false
	sc := bufio.NewScanner(bytes.NewReader(save))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "*"):
			inFilter = line == "*filter"
		case !inFilter:
		case strings.HasPrefix(line, ":"):
			if name, _, _ := strings.Cut(line[1:], " "); name != "" {
				e.chains[name] = true
			}
		case strings.HasPrefix(line, "-A "):
			chain, spec, _ := strings.Cut(line[3:], " ")
			e.rules[chain] = append(e.rules[chain], spec)
		}
	}
	return e
}

// jumpTarget is the chain a rule spec jumps or goes to ("-j X" or "-g X" as
// its last target option).
func jumpTarget(spec string) string {
	f := strings.Fields(spec)
	for i := len(f) - 2; i >= 0; i-- {
		switch f[i] {
		case "-j", "--jump", "-g", "--goto":
			return f[i+1]
		}
	}
	return ""
}

// targets lists the chains that chain's rules jump to.
func (e *existing) targets(chain string) []string {
	var out []string
	for _, spec := range e.rules[chain] {
		if t := jumpTarget(spec); t != "" {
			out = append(out, t)
		}
	}
	return out
}
