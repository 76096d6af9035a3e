package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/heraldrt/herald/shared/diag"
)

// DiagnosticsPath is the admin listener's route to the resource log
// switches (docs/diagnostics.md "Switching logs on at runtime"):
//
//	GET    /admin/diagnostics                     the switches in use, where they come from, the environment's and the deployment's
//	PUT    /admin/diagnostics                     change them on this node: {"connectivity":true,"messaging":"all|diagnostic|off","http":false}, fields left out keep their value
//	PUT    /admin/diagnostics?scope=deployment    change the deployment setting in Redis: every node follows within HERALD_DIAG_POLL
//	DELETE /admin/diagnostics                     end this node's change (back to the deployment's, else the environment's)
//	DELETE /admin/diagnostics?scope=deployment    remove the deployment setting: every node returns to its environment's
const DiagnosticsPath = "/admin/diagnostics"

// maxSwitchesBody bounds a PUT body.
const maxSwitchesBody = 4096

// diagState is the answer of the diagnostics route.
type diagState struct {
	diag.Switches
	// Source: environment, deployment or node.
	Source      string             `json:"source"`
	Environment diag.Switches      `json:"environment"`
	Deployment  *DeploymentSetting `json:"deployment"` // null: none set (or no Redis)
	// DeploymentError says why the deployment setting could not be read.
	DeploymentError string `json:"deploymentError,omitempty"`
}

// mountDiagnostics serves DiagnosticsPath on the admin mux.
func (s *Server) mountDiagnostics(mux *http.ServeMux) {
	mux.HandleFunc("GET "+DiagnosticsPath, s.getDiagnostics)
	mux.HandleFunc("PUT "+DiagnosticsPath, s.putDiagnostics)
	mux.HandleFunc("DELETE "+DiagnosticsPath, s.deleteDiagnostics)
}

// scope reads ?scope=: false for this node ("" or node), true for the
// deployment; an error for anything else or a deployment without Redis.
func (s *Server) scope(r *http.Request) (bool, int, error) {
	switch sc := r.URL.Query().Get("scope"); sc {
	case "", "node":
		return false, 0, nil
	case "deployment":
		if s.switches.store == nil {
			return false, http.StatusConflict, errors.New("no deployment setting without Redis: this node is the deployment; leave scope out")
		}
		return true, 0, nil
	default:
		return false, http.StatusBadRequest, fmt.Errorf("scope %.40q: use node or deployment", sc)
	}
}

// actor names who asked, for the change's log record.
func (s *Server) actor(r *http.Request) string {
	return "admin listener " + s.adminLn.Addr().String() + " from " + r.RemoteAddr
}

func (s *Server) getDiagnostics(w http.ResponseWriter, r *http.Request) {
	deployment, status, err := s.scope(r)
	if err != nil {
		http.Error(w, err.Error(), status)
		return
	}
	st := diagState{Switches: s.cfg.Tracer.Switches(), Source: s.switches.Source(), Environment: s.cfg.Tracer.Defaults()}
	if s.switches.store != nil {
		d, _, err := s.switches.deployment(r.Context())
		if err != nil {
			st.DeploymentError = err.Error()
		}
		st.Deployment = d
	}
	if deployment && st.Deployment == nil {
		if st.DeploymentError != "" {
			http.Error(w, st.DeploymentError, http.StatusServiceUnavailable)
			return
		}
		http.Error(w, "no deployment setting: every node runs with its environment's switches", http.StatusNotFound)
		return
	}
	writeJSON(w, st)
}

func (s *Server) putDiagnostics(w http.ResponseWriter, r *http.Request) {
	deployment, status, err := s.scope(r)
	if err != nil {
		http.Error(w, err.Error(), status)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSwitchesBody))
	if err != nil {
		http.Error(w, "body: "+err.Error(), http.StatusRequestEntityTooLarge)
		return
	}
	var p diag.SwitchesPatch
	if _, err := diag.ParseSwitches(body, diag.Switches{}); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	_ = json.Unmarshal(body, &p) // ParseSwitches accepted it
	if deployment {
		if _, err := s.switches.setDeployment(r.Context(), p, s.actor(r)); err != nil {
			s.log.Warn("diagnostics switches: the deployment setting was not written", "err", err)
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
	} else {
		s.switches.setNode(p, s.actor(r))
	}
	s.getDiagnostics(w, r)
}

func (s *Server) deleteDiagnostics(w http.ResponseWriter, r *http.Request) {
	deployment, status, err := s.scope(r)
	if err != nil {
		http.Error(w, err.Error(), status)
		return
	}
	if deployment {
		err = s.switches.clearDeployment(r.Context(), s.actor(r))
	} else {
		err = s.switches.resetNode(r.Context(), s.actor(r))
	}
	if err != nil {
		s.log.Warn("diagnostics switches: not reset", "err", err)
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	r.URL.RawQuery = "" // answer with this node's state
	s.getDiagnostics(w, r)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
