package lambdahttp

import (
	"bytes"
	"encoding/base64"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// recorder is the http.ResponseWriter a request is served into.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}} }

func (w *recorder) Header() http.Header { return w.header }

func (w *recorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *recorder) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}

// Flush does nothing: a Lambda answers once, when the handler returns.
func (w *recorder) Flush() {}

func (w *recorder) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// encodeBody returns the body as the event answer carries it: as is when
// it is UTF-8 text, base64 otherwise.
func (w *recorder) encodeBody() (string, bool) {
	b := w.body.Bytes()
	if len(b) == 0 {
		return "", false
	}
	if textual(w.header.Get("Content-Type")) && utf8.Valid(b) {
		return string(b), false
	}
	return base64.StdEncoding.EncodeToString(b), true
}

// textual reports whether a content type is text: text/*, JSON, XML,
// JavaScript or a form. A missing type counts as text (net/http would
// sniff it).
func textual(ct string) bool {
	if ct == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	switch {
	case strings.HasPrefix(mt, "text/"), strings.HasSuffix(mt, "+json"), strings.HasSuffix(mt, "+xml"):
		return true
	}
	switch mt {
	case "application/json", "application/xml", "application/javascript", "application/x-www-form-urlencoded":
		return true
	}
	return false
}

// alb renders the response for an ALB, in the header form of the request.
func (w *recorder) alb(multi bool) ALBResponse {
	body, b64 := w.encodeBody()
	status := w.code()
	resp := ALBResponse{
		StatusCode:        status,
		StatusDescription: strconv.Itoa(status) + " " + http.StatusText(status),
		Body:              body,
		IsBase64Encoded:   b64,
	}
	if multi {
		resp.MultiValueHeaders = make(map[string][]string, len(w.header))
		for k, vs := range w.header {
			resp.MultiValueHeaders[k] = vs
		}
		return resp
	}
	resp.Headers = make(map[string]string, len(w.header))
	for k, vs := range w.header {
		if k == "Set-Cookie" {
			resp.Headers[k] = vs[len(vs)-1] // one only: the single-value form cannot carry more
			continue
		}
		resp.Headers[k] = strings.Join(vs, ", ")
	}
	return resp
}

// v2 renders the response for payload format 2.0.
func (w *recorder) v2() V2Response {
	body, b64 := w.encodeBody()
	resp := V2Response{StatusCode: w.code(), Body: body, IsBase64Encoded: b64, Headers: map[string]string{}}
	for k, vs := range w.header {
		if k == "Set-Cookie" {
			resp.Cookies = append(resp.Cookies, vs...)
			continue
		}
		resp.Headers[k] = strings.Join(vs, ", ")
	}
	return resp
}
