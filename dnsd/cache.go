package dnsd

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// cache keeps upstream answers until their TTL runs out, at most max of them: when
// full, the oldest insertion goes first (a FIFO ring, which needs no per-hit
// bookkeeping; hot names come back on the next miss). Safe for concurrent use.
type cache struct {
	mu    sync.Mutex
	max   int
	items map[string]cacheEntry
	ring  []string // keys in insertion order, overwritten round-robin
	next  int
}

type cacheEntry struct {
	msg     *dns.Msg // never modified after insertion
	stored  time.Time
	expires time.Time
}

func newCache(max int) *cache {
	return &cache{max: max, items: make(map[string]cacheEntry, max), ring: make([]string, max)}
}

// cacheKey tells questions apart by name (any case), type, class and whether the
// client wants recursion.
func cacheKey(q dns.Question, rd bool) string {
	var b strings.Builder
	b.Grow(len(q.Name) + 12)
	b.WriteString(strings.ToLower(q.Name))
	b.WriteByte('/')
	b.WriteString(strconv.Itoa(int(q.Qtype)))
	b.WriteByte('/')
	b.WriteString(strconv.Itoa(int(q.Qclass)))
	if rd {
		b.WriteString("/rd")
	}
	return b.String()
}

// get returns a private copy of a live entry with its TTLs lowered by its age.
func (c *cache) get(k string, now time.Time) (*dns.Msg, bool) {
	c.mu.Lock()
	e, ok := c.items[k]
	if ok && !now.Before(e.expires) {
		delete(c.items, k)
		ok = false
	}
	c.mu.Unlock()
	if !ok {
		return nil, false
	}
	m := e.msg.Copy()
	age := uint32(now.Sub(e.stored) / time.Second)
	for _, sec := range [][]dns.RR{m.Answer, m.Ns, m.Extra} {
		for _, rr := range sec {
			if h := rr.Header(); h.Rrtype != dns.TypeOPT {
				h.Ttl -= min(h.Ttl, age)
			}
		}
	}
	return m, true
}

// put stores m for ttl, evicting the oldest insertion when full.
func (c *cache) put(k string, m *dns.Msg, ttl time.Duration, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[k]; !ok {
		if old := c.ring[c.next]; old != "" {
			delete(c.items, old)
		}
		c.ring[c.next] = k
		c.next = (c.next + 1) % c.max
	}
	c.items[k] = cacheEntry{msg: m, stored: now, expires: now.Add(ttl)}
}

// len is the number of entries, live or expired.
func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.items)
}
