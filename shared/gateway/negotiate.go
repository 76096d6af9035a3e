package gateway

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/heraldrt/herald/shared/hubproto"
)

// Bits of the asrs.s.htt claim (HttpTransportType).
const (
	httWebSockets = 1
	httSSE        = 2
	httLongPoll   = 4
)

// negotiate answers the client's second negotiate hop (after the redirect):
// POST /client/negotiate?hub=H&negotiateVersion=1.
func (s *Server) negotiate(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		httpError(w, http.StatusMethodNotAllowed, "Negotiate requires POST.")
		return
	}
	q := r.URL.Query()
	hub, err := hubParam(q)
	if err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	claims, err := s.authenticate(r, hub)
	if err != nil {
		unauthorized(w, err)
		return
	}
	if s.draining.Load() {
		httpError(w, http.StatusServiceUnavailable, ReasonServiceReloading)
		return
	}
	if isDiagnostic(claims) && s.DiagnosticConnections() >= s.cfg.MaxDiagnosticConnections {
		// Early and visible to clients (they show a negotiate status); the
		// connect enforces the limit.
		httpError(w, http.StatusTooManyRequests, ErrTextTooManyDiagnostic)
		return
	}
	if !s.admitNegotiate(w, r, hub, claims.UserID()) {
		return
	}
	version, verr := negotiateVersion(q)
	if verr != "" {
		writeJSON(w, hubproto.ErrorResponse{Error: verr})
		return
	}
	id, raw := newConnectionID()
	expiry := s.cfg.Now().Add(s.cfg.ConnectWindow)
	htt := claims.String("asrs.s.htt")
	resp := hubproto.NegotiateResponse{
		NegotiateVersion:    version,
		ConnectionID:        id,
		AvailableTransports: transports(htt),
	}
	if version > 0 && s.statefulOn() && allowed(htt, httWebSockets) && queryTrue(q, "useStatefulReconnect") {
		resp.UseStatefulReconnect = true
		resp.ConnectionToken = s.tokens.issueStateful(raw, hub, claims.UserID(), expiry)
	} else {
		resp.ConnectionToken = s.tokens.issue(raw, hub, claims.UserID(), expiry)
	}
	if version == 0 {
		// Version 0 clients connect with the connectionId and are known by
		// it, so it is a verifiable token that names its own connection.
		resp.ConnectionID = s.tokens.issueSelfNamed(raw, hub, claims.UserID(), expiry)
		resp.ConnectionToken = ""
	}
	size := negotiateAnswerFixed + len(resp.ConnectionID) + len(resp.ConnectionToken)
	writeJSONBytes(w, resp.AppendJSON(make([]byte, 0, size)))
}

// negotiateAnswerFixed is the most a negotiate answer holds beside its
// connection id and token (all three transports, stateful reconnect).
const negotiateAnswerFixed = 320

// negotiateVersion reads the negotiateVersion parameter of query q (name
// case-insensitive): missing → 0, above 1 → 1. A non-integer yields an
// error text for the {"error":...} body.
func negotiateVersion(q url.Values) (int, string) {
	for k, vs := range q {
		if !strings.EqualFold(k, "negotiateVersion") || len(vs) == 0 {
			continue
		}
		v, err := strconv.Atoi(vs[0])
		if err != nil || v < 0 {
			return 0, "The negotiateVersion query parameter must be a non-negative integer."
		}
		return min(v, 1), ""
	}
	return 0, ""
}

// queryTrue reports whether the parameter name of query q
// (case-insensitive, as ASP.NET Core reads it) is "true" (any case).
func queryTrue(q url.Values, name string) bool {
	for k, vs := range q {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return strings.EqualFold(vs[0], "true")
		}
	}
	return false
}

// transports lists the transports this gateway serves, restricted by the
// token's asrs.s.htt bitmask when present. The lists are shared: callers
// must not modify them.
func transports(htt string) []hubproto.AvailableTransport {
	mask := httWebSockets | httSSE | httLongPoll
	if htt != "" {
		if v, err := strconv.Atoi(htt); err == nil {
			mask = v
		}
	}
	return transportLists[mask&(httWebSockets|httSSE|httLongPoll)]
}

// transportLists holds the answer of transports for each bitmask, made
// once instead of on every negotiate.
var transportLists = func() (lists [8][]hubproto.AvailableTransport) {
	for mask := range lists {
		out := []hubproto.AvailableTransport{}
		if mask&httWebSockets != 0 {
			out = append(out, hubproto.AvailableTransport{
				Transport:       hubproto.TransportWebSockets,
				TransferFormats: []string{hubproto.FormatText, hubproto.FormatBinary},
			})
		}
		if mask&httSSE != 0 {
			out = append(out, hubproto.AvailableTransport{
				Transport:       hubproto.TransportServerSentEvents,
				TransferFormats: []string{hubproto.FormatText},
			})
		}
		if mask&httLongPoll != 0 {
			out = append(out, hubproto.AvailableTransport{
				Transport:       hubproto.TransportLongPolling,
				TransferFormats: []string{hubproto.FormatText, hubproto.FormatBinary},
			})
		}
		lists[mask] = out
	}
	return lists
}()

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		httpError(w, http.StatusInternalServerError, "Internal server error.")
		return
	}
	writeJSONBytes(w, b)
}

// writeJSONBytes answers 200 with the JSON body b, not to be cached.
func writeJSONBytes(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}
