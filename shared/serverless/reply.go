package serverless

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/heraldrt/herald/shared/hubproto"
	"github.com/heraldrt/herald/shared/upstream"
)

// WriteResult answers a blocking invocation with a Completion carrying
// result, marshalled with encoding/json (a json.RawMessage is used as it
// is; nil gives a null result) and converted to the caller's protocol: a
// 200 response whose body is the framed Completion the service forwards to
// the client verbatim. For a non-blocking invocation (no InvocationID) it
// writes an empty 200. If result cannot be marshalled it answers with an
// error Completion instead and returns the error.
func WriteResult(w http.ResponseWriter, inv *InvocationContext, result any) error {
	if inv.InvocationID == "" {
		w.WriteHeader(http.StatusOK)
		return nil
	}
	raw, err := json.Marshal(result)
	if err != nil {
		werr := WriteError(w, inv, "Invocation failed, the result cannot be serialized.")
		return fmt.Errorf("serverless: marshal result: %w (%w)", err, werr)
	}
	m := hubproto.Message{Type: hubproto.TypeCompletion, InvocationID: inv.InvocationID, HasResult: true, Result: raw}
	return writeCompletion(w, inv, &m)
}

// WriteError answers a blocking invocation with an error Completion
// carrying errText (what the client's invoke rejects with), in a 200
// response, as the Functions trigger answers a function that throws. For a
// non-blocking invocation it writes an empty 200.
func WriteError(w http.ResponseWriter, inv *InvocationContext, errText string) error {
	if inv.InvocationID == "" {
		w.WriteHeader(http.StatusOK)
		return nil
	}
	if errText == "" {
		errText = "Method execution failed."
	}
	m := hubproto.Message{Type: hubproto.TypeCompletion, InvocationID: inv.InvocationID, Error: errText}
	return writeCompletion(w, inv, &m)
}

func writeCompletion(w http.ResponseWriter, inv *InvocationContext, m *hubproto.Message) error {
	frame, err := completionFrame(inv.Protocol, m)
	if err != nil {
		http.Error(w, "cannot encode the completion", http.StatusInternalServerError)
		return err
	}
	contentType := upstream.ContentTypeJSON
	if inv.Protocol == ProtocolMessagePack {
		contentType = upstream.ContentTypeMessagePack
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(frame)))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(frame)
	return err
}

// completionFrame encodes m, whose Result is JSON, as one framed record in
// protocol.
func completionFrame(protocol string, m *hubproto.Message) ([]byte, error) {
	codec, err := codecOf(protocol)
	if err != nil {
		return nil, err
	}
	if codec.Binary() && m.HasResult {
		if m.Result, err = hubproto.JSONToMsgpack(nil, m.Result); err != nil {
			return nil, fmt.Errorf("serverless: convert result: %w", err)
		}
	}
	frame, err := codec.Append(nil, m)
	if err != nil {
		return nil, fmt.Errorf("serverless: encode completion: %w", err)
	}
	return frame, nil
}
