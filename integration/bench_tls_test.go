package integration

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

// TestBenchWriteThroughputTLS: the 256-writer ConfigMap write benchmark against a
// secure cluster (TLS everywhere, authorization on) and against --insecure-dev, in
// one run, and their ratio: what security costs.
func TestBenchWriteThroughputTLS(t *testing.T) {
	benchOnly(t)
	const writers = 256
	dur := 5 * time.Second
	run := func(name string, c *cluster) writeRun {
		leader := c.waitLeader(15 * time.Second)
		r := benchWrites(leader.client(t), writers, dur)
		if r.writes == 0 {
			t.Fatalf("%s: no write succeeded (%d errors)", name, r.errs)
		}
		report(fmt.Sprintf("write_throughput_%s_%d_writers", name, writers), r.perSecond(dur), "writes/s")
		report(fmt.Sprintf("write_latency_p50_%s_%d_writers", name, writers), ms(r.p50), "ms")
		report(fmt.Sprintf("write_latency_p99_%s_%d_writers", name, writers), ms(r.p99), "ms")
		if r.errs > 0 {
			report(fmt.Sprintf("write_errors_%s_%d_writers", name, writers), float64(r.errs), "errors")
		}
		return r
	}
	// One cluster at a time: the machine is small and the two would compete.
	insecure := newCluster(t, 3, benchFlags()...)
	plain := run("insecure", insecure)
	insecure.stopAll()
	secure := newSecureCluster(t, 3, benchFlags()...)
	tls := run("tls", secure)
	report("tls_write_ratio", tls.perSecond(dur)/plain.perSecond(dur), "ratio")
	report("tls_write_p99_ratio", ms(tls.p99)/max(ms(plain.p99), 0.001), "ratio")
}

// writeRun is what one write benchmark measured.
type writeRun struct {
	writes, errs int64
	p50, p99     time.Duration
}

func (r writeRun) perSecond(dur time.Duration) float64 { return float64(r.writes) / dur.Seconds() }

// benchWrites has writers goroutines create 256-byte ConfigMaps through cl for dur.
func benchWrites(cl *api.Client, writers int, dur time.Duration) writeRun {
	payload := strings.Repeat("x", 256)
	prefix := fmt.Sprintf("tls%d", time.Now().UnixNano()%1e6)
	var writes, errs atomic.Int64
	lat := make([][]time.Duration, writers)
	deadline := time.Now().Add(dur)
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				cm := configMap("default", fmt.Sprintf("%s-%d-%d", prefix, w, i), map[string]string{"p": payload})
				start := time.Now()
				if _, err := cl.Create(context.Background(), cm); err != nil {
					errs.Add(1)
					continue
				}
				lat[w] = append(lat[w], time.Since(start))
				writes.Add(1)
			}
		}(w)
	}
	wg.Wait()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	r := writeRun{writes: writes.Load(), errs: errs.Load()}
	if len(all) > 0 {
		r.p50, r.p99 = all[len(all)/2], all[len(all)*99/100]
	}
	return r
}
