package httpapi

import "net/http"

// Probe paths served by gateway nodes (and the emulator) besides
// /api/health.
const (
	// LivezPath answers 200 while the process serves HTTP, whatever the
	// bus's state: a load balancer's or orchestrator's liveness check, so
	// a node that cannot reach Redis for a while keeps its clients
	// instead of being replaced.
	LivezPath = "/livez"
	// ReadyzPath answers 200 while the node can take new connections (the
	// bus answers and the node is not draining), 503 otherwise.
	ReadyzPath = "/readyz"
)

// livezBody is the liveness answer.
type livezBody struct {
	Status string `json:"status"`
}

// Probes serves GET and HEAD on LivezPath and ReadyzPath. Liveness answers
// {"status":"alive"} with 200 as long as the process answers HTTP at all
// (it ends with the listener); readiness is the /api/health answer (the
// bus ping and every check, such as a draining gateway), 200 or 503. No
// token is needed.
func Probes(p Pinger, checks ...HealthCheck) http.Handler {
	live := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, livezBody{Status: "alive"})
	})
	ready := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		body, err := checkHealth(r.Context(), p, checks)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, body)
	})
	mux := http.NewServeMux()
	mux.Handle("GET "+LivezPath, live)
	mux.Handle("HEAD "+LivezPath, live)
	mux.Handle("GET "+ReadyzPath, ready)
	mux.Handle("HEAD "+ReadyzPath, ready)
	return mux
}
