package integration

import (
	"io"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"
)

// TestBenchIngress: requests/s and p99 latency of GET /healthz on a demo pod, through
// the client's ingress and straight to the pod IP, by the same load generator in the
// same run (32 keep-alive clients, 5 s each), and their ratio.
func TestBenchIngress(t *testing.T) {
	benchOnly(t)
	s := setupIngress(t)
	pod := waitReadyPods(t, s.c, s.ns, "app=app-a", 1, 10*time.Second)[0]
	const clients, dur = 32, 5 * time.Second
	direct := "http://" + pod.Status.PodIP + ":8080/healthz"
	viaIngress := "http://" + s.httpAddr + "/healthz"
	// A short warm-up of each path opens the keep-alive connections.
	httpLoad(t, direct, "", clients, time.Second)
	httpLoad(t, viaIngress, "a.example.test", clients, time.Second)
	directRPS, directP99 := httpLoad(t, direct, "", clients, dur)
	ingressRPS, ingressP99 := httpLoad(t, viaIngress, "a.example.test", clients, dur)
	report("ingress_rps", float64(int(ingressRPS)), "req/s")
	report("direct_rps", float64(int(directRPS)), "req/s")
	report("ingress_ratio", float64(int(ingressRPS/directRPS*1000))/1000, "ratio")
	report("ingress_p99", ms(ingressP99), "ms")
	report("direct_p99", ms(directP99), "ms")
}

// httpLoad runs clients keep-alive loops of GET url (with the Host header host, when
// set) for dur, and returns the completed requests per second and their p99
// latency. Any answer but 200 fails the test.
func httpLoad(t *testing.T, url, host string, clients int, dur time.Duration) (float64, time.Duration) {
	t.Helper()
	tr := &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients, DisableCompression: true}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	lat := make([][]time.Duration, clients)
	errs := make([]error, clients)
	deadline := time.Now().Add(dur)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				if host != "" {
					req.Host = host
				}
				t0 := time.Now()
				resp, err := hc.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if err == nil && resp.StatusCode != http.StatusOK {
						err = &httpStatusError{resp.StatusCode}
					}
				}
				if err != nil {
					errs[i] = err
					return
				}
				lat[i] = append(lat[i], time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for i := range clients {
		if errs[i] != nil {
			t.Fatalf("GET %s (Host %q): %v", url, host, errs[i])
		}
		all = append(all, lat[i]...)
	}
	if len(all) == 0 {
		t.Fatalf("GET %s: no request completed", url)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	return float64(len(all)) / elapsed.Seconds(), all[len(all)*99/100]
}

type httpStatusError struct{ code int }

func (e *httpStatusError) Error() string { return http.StatusText(e.code) }
