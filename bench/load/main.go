// Command load sends a bounded number of GET requests to one loopback URL
// from a few concurrent clients and prints throughput and latency
// percentiles. It refuses any host that is not loopback.
//
//	go run ./bench/load -url http://127.0.0.1:8080/healthz -n 2000 -c 4 [-token T]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sync"
	"time"
)

func main() {
	target := flag.String("url", "", "URL to GET (loopback only)")
	n := flag.Int("n", 2000, "requests in all (at most 100000)")
	c := flag.Int("c", 4, "concurrent clients (at most 64)")
	token := flag.String("token", "", "bearer token")
	limit := flag.Duration("max", 60*time.Second, "stop after this long whatever is left")
	flag.Parse()
	if err := run(*target, *n, *c, *token, *limit); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func run(target string, n, c int, token string, limit time.Duration) error {
	u, err := url.Parse(target)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("%s is not a loopback address", u.Hostname())
	}
	if n < 1 || n > 100000 || c < 1 || c > 64 {
		return fmt.Errorf("-n must be 1..100000 and -c 1..64")
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c}}
	jobs := make(chan struct{}, n)
	for range n {
		jobs <- struct{}{}
	}
	close(jobs)
	var mu sync.Mutex
	var lat []time.Duration
	var failed int
	start := time.Now()
	var wg sync.WaitGroup
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				if ctx.Err() != nil {
					return
				}
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
				if token != "" {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				d := time.Since(t0)
				ok := err == nil && resp.StatusCode == http.StatusOK
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				mu.Lock()
				if ok {
					lat = append(lat, d)
				} else {
					failed++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if len(lat) == 0 {
		return fmt.Errorf("no request succeeded (%d failed)", failed)
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	fmt.Printf("%d ok %d failed %.0f req/s p50 %.2f ms p99 %.2f ms\n",
		len(lat), failed, float64(len(lat))/elapsed.Seconds(), pct(0.50), pct(0.99))
	return nil
}
