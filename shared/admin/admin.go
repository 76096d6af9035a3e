// Package admin is the handler of Herald's admin listener: Go's pprof
// profiles and the Prometheus metrics (Go runtime metrics included:
// goroutines, GC pauses, scheduler latency). It is served on its own
// address, off by default (HERALD_ADMIN_ADDR, local's --admin-addr), and
// must not be reachable from the internet: profiles reveal internals and
// cost CPU.
package admin

import (
	"net/http"
	"net/http/pprof"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/heraldrt/herald/shared/metrics"
)

// Handler serves:
//
//	GET /debug/pprof/            index of the profiles
//	GET /debug/pprof/{profile}   heap, goroutine, block, mutex, allocs, threadcreate
//	GET /debug/pprof/profile     CPU profile (?seconds=N, default 30)
//	GET /debug/pprof/trace       execution trace (?seconds=N)
//	GET /debug/pprof/cmdline, /debug/pprof/symbol
//	GET /metrics                 the Prometheus metrics of g
//
// It registers nothing on http.DefaultServeMux.
func Handler(g prometheus.Gatherer) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	if g != nil {
		mux.Handle("GET /metrics", metrics.Handler(g))
	}
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("Herald admin listener\n\n/debug/pprof/  profiles\n/metrics       Prometheus metrics\n/admin/diagnostics  resource log switches (GET, PUT, DELETE)\n"))
	})
	return mux
}
