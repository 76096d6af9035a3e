package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/heraldrt/herald/shared/bus"
)

// DefaultMaxBodyBytes is the request body limit when RESTConfig.MaxBodyBytes
// is zero: 1 MiB, as Azure documents for the REST API.
const DefaultMaxBodyBytes = 1 << 20

// ALBMaxBodyBytes is the REST body limit of the api function behind an
// Application Load Balancer: the ALB hands a Lambda target at most 1 MB
// (1,000,000 bytes) of request body, counted in the event, where a body
// that is not text (application/octet-stream, the Management SDK's binary
// payload) is base64-encoded, 4 bytes for 3. 750,000 bytes encode to
// exactly 1,000,000, so every body within the limit reaches the function,
// and a JSON body between the two limits gets Herald's 413 with a clear
// message instead of the load balancer's own error.
const ALBMaxBodyBytes = 750_000

const msgBodyRequired = "Message in request body is required."

// payload is the PayloadMessage body of a send. encoding/json matches keys
// case-insensitively, so the Management SDK's "Target"/"Arguments" work.
type payload struct {
	Target    *string         `json:"target"`
	Arguments json.RawMessage `json:"arguments"`
}

// readMessage reads and validates the body of a send request: a JSON
// PayloadMessage, or the Management SDK's binary payload (see
// readFramedMessage).
func readMessage(w http.ResponseWriter, r *http.Request, limit int64) (*bus.Message, error) {
	binary, err := checkContentType(r.Header.Get("Content-Type"))
	if err != nil {
		return nil, err
	}
	if r.ContentLength > limit {
		return nil, tooLarge(limit)
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge(limit)
		}
		return nil, invalid("body", "Could not read the request body.")
	}
	if binary {
		return readFramedMessage(data)
	}
	return readJSONMessage(data)
}

// readJSONMessage validates a JSON PayloadMessage.
func readJSONMessage(data []byte) (*bus.Message, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || bytes.Equal(data, []byte("null")) {
		return nil, invalid("body", msgBodyRequired)
	}
	if data[0] != '{' {
		return nil, invalid("body", "Invalid message body: expected a JSON object {\"target\": ..., \"arguments\": [...]}.")
	}
	var p payload
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, invalid("body", "Invalid message body: "+jsonProblem(err))
	}
	if p.Target == nil || *p.Target == "" {
		return nil, invalid("target", msgBodyRequired+" The \"target\" field must be a non-empty string.")
	}
	args := bytes.TrimSpace(p.Arguments)
	switch {
	case len(args) == 0 || bytes.Equal(args, []byte("null")):
		args = []byte("[]")
	case args[0] != '[':
		return nil, invalid("arguments", "Invalid message body: \"arguments\" must be a JSON array.")
	default:
		var buf bytes.Buffer
		if err := json.Compact(&buf, args); err == nil {
			args = buf.Bytes()
		}
	}
	return &bus.Message{Target: *p.Target, Arguments: args}, nil
}

// checkContentType accepts JSON bodies (a missing Content-Type counts as
// JSON) and application/octet-stream, the Management SDK's binary payload;
// binary reports the latter. Other MessagePack media types are refused:
// their format is not documented.
func checkContentType(ct string) (binary bool, err error) {
	if ct == "" {
		return false, nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false, unsupportedMedia(ct)
	}
	switch {
	case mt == "application/json" || mt == "text/json" || strings.HasSuffix(mt, "+json"):
		return false, nil
	case mt == "application/octet-stream":
		return true, nil
	}
	return false, unsupportedMedia(mt)
}

func unsupportedMedia(mt string) *apiError {
	msg := "Unsupported Content-Type " + mt + "; send the message as application/json."
	if mt == "application/x-msgpack" || mt == "application/msgpack" {
		msg = "Unsupported Content-Type " + mt + "; send the message as application/json, or as " +
			"application/octet-stream in the Management SDK's format (a MessagePack map from protocol name to a framed invocation)."
	}
	return &apiError{status: http.StatusUnsupportedMediaType, code: codeUnsupportedMedia, msg: msg, target: "Content-Type"}
}

func tooLarge(limit int64) *apiError {
	return &apiError{status: http.StatusRequestEntityTooLarge, code: codeTooLarge,
		msg: "Request body too large: the limit is " + formatBytes(limit) + ".", target: "body"}
}

// jsonProblem describes a decoding error without echoing the body.
func jsonProblem(err error) string {
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) && ute.Field != "" {
		return "field \"" + ute.Field + "\" has the wrong type."
	}
	return "not valid JSON."
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
