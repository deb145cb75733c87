package integration

import (
	"fmt"
	"testing"
	"time"
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
		reportWrites(fmt.Sprintf("%s_%d_writers", name, writers), r, dur)
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
