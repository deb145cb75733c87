package proxy

import (
	"bufio"
	"bytes"
	"strings"
)

// Existing is what the host's tables hold now, as read from iptables-save:
// the chains, and the rules of the built-in chains that jump to other chains.
type Existing struct {
	chainsOf map[string][]string       // table → chain names, in save order
	jumpsOf  map[string][]existingJump // table → jumps out of entry chains
}

// existingJump is one saved rule of an entry chain that ends in "-j TARGET".
type existingJump struct {
	chain, target string
	spec          string // the rule after "-A CHAIN "
}

// dockerUser is the chain Docker keeps first in FORWARD for its users' rules:
// Docker inserts its own bridge rules at the top of FORWARD whenever it makes a
// network, so a jump the proxy put there would soon come after Docker's ACCEPT.
const dockerUser = "DOCKER-USER"

// entry names the chains the proxy's jumps live in: the built-in ones and
// Docker's user chain.
var entry = map[string]bool{"PREROUTING": true, "INPUT": true, "OUTPUT": true, "FORWARD": true, "POSTROUTING": true, dockerUser: true}

// ParseSave reads the output of iptables-save (any tables). Lines it does not
// understand are skipped: the host's other rules are not the proxy's business.
func ParseSave(save []byte) *Existing {
	e := &Existing{chainsOf: map[string][]string{}, jumpsOf: map[string][]existingJump{}}
	seen := map[string]bool{} // "table chain"
	table := ""
	sc := bufio.NewScanner(bytes.NewReader(save))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "*"):
			table = line[1:]
		case table == "":
		case strings.HasPrefix(line, ":"):
			name, _, _ := strings.Cut(line[1:], " ")
			if name != "" && !seen[table+" "+name] {
				seen[table+" "+name] = true
				e.chainsOf[table] = append(e.chainsOf[table], name)
			}
		case strings.HasPrefix(line, "-A "):
			chain, spec, _ := strings.Cut(line[3:], " ")
			if !entry[chain] {
				continue
			}
			if target := jumpTarget(spec); target != "" {
				e.jumpsOf[table] = append(e.jumpsOf[table], existingJump{chain: chain, target: target, spec: spec})
			}
		}
	}
	return e
}

// jumpTarget is the chain a rule spec jumps to ("-j X" as its last option).
func jumpTarget(spec string) string {
	f := strings.Fields(spec)
	for i := len(f) - 2; i >= 0; i-- {
		if f[i] == "-j" || f[i] == "--jump" {
			return f[i+1]
		}
	}
	return ""
}

// has reports whether table has chain.
func (e *Existing) has(table, chain string) bool {
	for _, c := range e.chains(table) {
		if c == chain {
			return true
		}
	}
	return false
}

func (e *Existing) chains(table string) []string {
	if e == nil {
		return nil
	}
	return e.chainsOf[table]
}

// hasJump reports whether chain has a rule jumping to target.
func (e *Existing) hasJump(table, chain, target string) bool {
	if e == nil {
		return false
	}
	for _, j := range e.jumpsOf[table] {
		if j.chain == chain && j.target == target {
			return true
		}
	}
	return false
}

// cleanupPayload is the iptables-restore --noflush input that deletes every
// jump into, and then every chain whose name starts with prefix ("BERTH-"
// for all clusters, "BERTH-TAG-" for one); nil when there is none.
func (e *Existing) cleanupPayload(prefix string) []byte {
	var b strings.Builder
	found := false
	for _, table := range tables {
		var owned []string
		for _, c := range e.chains(table) {
			if strings.HasPrefix(c, prefix) {
				owned = append(owned, c)
			}
		}
		var dels []string
		if e != nil {
			for _, j := range e.jumpsOf[table] {
				if strings.HasPrefix(j.target, prefix) {
					dels = append(dels, "-D "+j.chain+" "+j.spec)
				}
			}
		}
		if len(owned) == 0 && len(dels) == 0 {
			continue
		}
		found = true
		b.WriteString("*" + table + "\n")
		for _, c := range owned {
			b.WriteString(":" + c + " - [0:0]\n") // flushes it, so no chain still jumps to another
		}
		for _, d := range dels {
			b.WriteString(d + "\n")
		}
		for _, c := range owned {
			b.WriteString("-X " + c + "\n")
		}
		b.WriteString("COMMIT\n")
	}
	if !found {
		return nil
	}
	return []byte(b.String())
}
