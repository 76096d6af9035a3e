package httpapi

import (
	"net/http"
	"path"
	"strings"
)

// jsonMux routes with a net/http.ServeMux but answers unknown paths and
// methods with JSON errors instead of plain text, and refuses non-canonical
// paths (empty segments, "." or "..") with 404 instead of redirecting them:
// a redirect would turn a POST into a GET in some clients.
//
// ServeMux matches the escaped path segment by segment and unescapes each
// wildcard, so an SDK-escaped id such as "a%2Fb" arrives as "a/b". One
// limitation remains: an id that is exactly "/" (escaped "%2F") is taken
// for a trailing slash and does not match.
type jsonMux struct {
	mux *http.ServeMux
}

func (m *jsonMux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !canonical(r.URL.EscapedPath()) {
		writeError(w, &apiError{status: http.StatusNotFound, code: codeNotFound, msg: "Not found: the path is not canonical."})
		return
	}
	h, pattern := m.mux.Handler(r)
	if pattern != "" {
		m.mux.ServeHTTP(w, r)
		return
	}
	// No route: let ServeMux decide between 404 and 405 (and compute Allow),
	// then answer in JSON.
	rec := &statusRecorder{header: http.Header{}}
	h.ServeHTTP(rec, r)
	if rec.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", rec.header.Get("Allow"))
		writeError(w, &apiError{status: http.StatusMethodNotAllowed, code: codeMethodNotAllowed,
			msg: "Method " + r.Method + " is not allowed here; allowed: " + rec.header.Get("Allow") + "."})
		return
	}
	writeError(w, &apiError{status: http.StatusNotFound, code: codeNotFound, msg: "Not found: no route for " + r.Method + " " + r.URL.Path + "."})
}

// canonical reports whether p is already in the form ServeMux would clean
// it to.
func canonical(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c == p
}

// statusRecorder captures the status and headers ServeMux's built-in
// 404/405 handlers write; the body is dropped.
type statusRecorder struct {
	header http.Header
	status int
}

func (s *statusRecorder) Header() http.Header { return s.header }

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.WriteHeader(http.StatusOK)
	return len(b), nil
}
