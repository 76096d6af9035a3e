package upstream

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/heraldrt/herald/shared/hubproto"
)

// Response is the outcome of one upstream call for a blocking invocation,
// the input of ReplyFrame.
type Response struct {
	// StatusCode is the HTTP status; 0 when there was no response.
	StatusCode int
	// Body is the response body, read up to the size limit.
	Body []byte
	// TooLarge reports a body larger than the limit; Body is then unset.
	TooLarge bool
	// Err is why the call failed without a usable response: a transport
	// error, a timeout (wrapping context.DeadlineExceeded or a net.Error
	// whose Timeout is true), a shutdown (wrapping ErrClosed or
	// context.Canceled), or a failure reading the body.
	Err error
}

// ReplyFrame returns the bytes to write to the client for a blocking
// invocation that got r from the upstream, a complete record in codec's
// protocol (the caller adds the transport framing):
//
//   - 200 with a body: the body verbatim, which the function (Azure Functions
//     SignalR trigger or package serverless) returns as a framed Completion
//     in the client's protocol. It must decode with codec as complete
//     records, else the client gets ErrTextInvalidResponse: a stray body
//     would corrupt the client's message stream.
//   - 200 with an empty body, or 204: a Completion without a result.
//   - 200 with a body over the limit: ErrTextTooLarge.
//   - any other status: StatusErrorText(status), e.g.
//     "Invocation failed, status code 500".
//   - no response: ErrTextTimeout, ErrTextShuttingDown or ErrTextUnreachable.
//
// The error completions are Completion messages carrying the text as their
// error. ReplyFrame is pure; it fails only if codec cannot encode a
// Completion.
func ReplyFrame(codec hubproto.Codec, invocationID string, r Response) ([]byte, error) {
	frame, _, err := replyFrame(codec, invocationID, r)
	return frame, err
}

// replyFrame is ReplyFrame that also returns the error text the client
// gets ("" when the function's answer is passed on), for the failure log.
func replyFrame(codec hubproto.Codec, invocationID string, r Response) ([]byte, string, error) {
	var errText string
	switch {
	case r.Err != nil:
		errText = transportErrorText(r.Err)
	case r.StatusCode == http.StatusNoContent:
	case r.StatusCode != http.StatusOK:
		errText = StatusErrorText(r.StatusCode)
	case r.TooLarge:
		errText = ErrTextTooLarge
	case len(r.Body) == 0:
	default:
		msgs, rest, err := codec.Decode(r.Body)
		if err == nil && len(rest) == 0 && len(msgs) > 0 {
			return r.Body, "", nil
		}
		errText = ErrTextInvalidResponse
	}
	frame, err := completion(codec, invocationID, errText)
	return frame, errText, err
}

// ErrorFrame returns a Completion for invocationID carrying errText, as one
// record in codec's protocol.
func ErrorFrame(codec hubproto.Codec, invocationID, errText string) ([]byte, error) {
	return completion(codec, invocationID, errText)
}

func completion(codec hubproto.Codec, id, errText string) ([]byte, error) {
	m := hubproto.Message{Type: hubproto.TypeCompletion, InvocationID: id, Error: errText}
	b, err := codec.Append(nil, &m)
	if err != nil {
		return nil, fmt.Errorf("upstream: encode completion: %w", err)
	}
	return b, nil
}

// transportErrorText classifies an error of a call without a usable
// response.
func transportErrorText(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, ErrClosed), errors.Is(err, context.Canceled):
		return ErrTextShuttingDown
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return ErrTextTimeout
	default:
		return ErrTextUnreachable
	}
}

// unframe removes the protocol framing of one record: the trailing record
// separator of JSON, or the VarInt length prefix of MessagePack (binary
// protocols).
func unframe(binary bool, rec []byte) ([]byte, error) {
	if !binary {
		if len(rec) == 0 || rec[len(rec)-1] != hubproto.RecordSeparator {
			return nil, errors.New("upstream: JSON record without separator")
		}
		return rec[:len(rec)-1], nil
	}
	var n uint64
	for i := 0; i < len(rec) && i < 5; i++ {
		n |= uint64(rec[i]&0x7f) << (7 * i)
		if rec[i]&0x80 == 0 {
			body := rec[i+1:]
			if uint64(len(body)) != n {
				return nil, errors.New("upstream: binary record length mismatch")
			}
			return body, nil
		}
	}
	return nil, errors.New("upstream: bad binary record length prefix")
}
