package serverless

import (
	"errors"
	"fmt"
	"net/http"
)

// Errors of ParseRequest. Each is returned wrapped with the detail; Status
// maps them to the HTTP status the Functions trigger answers with.
var (
	// ErrContentType means the Content-Type is neither application/json
	// nor application/x-msgpack (415).
	ErrContentType = errors.New("serverless: unsupported content type")
	// ErrUnsupportedProtocol means the body is in a hub protocol this
	// package cannot decode (415).
	ErrUnsupportedProtocol = errors.New("serverless: unsupported protocol")
	// ErrMissingHeader means X-ASRS-Connection-Id, X-ASRS-Hub,
	// X-ASRS-Category or X-ASRS-Event is missing or empty (400).
	ErrMissingHeader = errors.New("serverless: missing header")
	// ErrSignature means X-ASRS-Signature is missing or no entry matches
	// any configured AccessKey (401).
	ErrSignature = errors.New("serverless: invalid signature")
	// ErrMalformed means the body does not hold the message the category
	// and event call for (400).
	ErrMalformed = errors.New("serverless: malformed request body")
	// ErrTooLarge means the body is larger than MaxBodyBytes (413).
	ErrTooLarge = errors.New("serverless: request body too large")
)

// Status returns the HTTP status for an error of ParseRequest: 415, 400,
// 401 or 413 as documented on each sentinel, and 500 for any other error.
func Status(err error) int {
	switch {
	case errors.Is(err, ErrContentType), errors.Is(err, ErrUnsupportedProtocol):
		return http.StatusUnsupportedMediaType
	case errors.Is(err, ErrMissingHeader), errors.Is(err, ErrMalformed):
		return http.StatusBadRequest
	case errors.Is(err, ErrSignature):
		return http.StatusUnauthorized
	case errors.Is(err, ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	default:
		return http.StatusInternalServerError
	}
}

// StatusError is the error of a Sender call the service answered with a
// status other than 2xx.
type StatusError struct {
	// Method and Path identify the REST call (the path without its query).
	Method, Path string
	// StatusCode is the HTTP status of the response.
	StatusCode int
	// Code is the x-ms-error-code response header, when present.
	Code string
	// Body is the start of the response body, at most 512 bytes.
	Body string
}

// Error describes the failed call.
func (e *StatusError) Error() string {
	s := fmt.Sprintf("serverless: %s %s: status %d", e.Method, e.Path, e.StatusCode)
	if e.Code != "" {
		s += " (" + e.Code + ")"
	}
	if e.Body != "" {
		s += ": " + e.Body
	}
	return s
}
