package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/token"
)

// Error codes sent in x-ms-error-code and in the body's "code". The
// existence codes are the ones the Management SDK compares against; the
// others follow Azure's Level.Scope.Kind shape but are Herald's choice
// (Azure does not document them).
const (
	codeConnNotExisted     = "Warning.Connection.NotExisted"
	codeUserNotExisted     = "Warning.User.NotExisted"
	codeGroupNotExisted    = "Warning.Group.NotExisted"
	codeUserNotInGroup     = "Info.User.NotInGroup"
	codeConnNotExistedErr  = "Error.Connection.NotExisted"
	codeInvalid            = "Error.Request.Invalid"
	codeConnGroupLimit     = "Error.Connection.GroupLimitReached"
	codeUserGroupLimit     = "Error.User.GroupLimitReached"
	codeUnauthorized       = "Error.Request.Unauthorized"
	codeNotFound           = "Error.Request.NotFound"
	codeMethodNotAllowed   = "Error.Request.MethodNotAllowed"
	codeTooLarge           = "Error.Request.TooLarge"
	codeUnsupportedMedia   = "Error.Request.UnsupportedMediaType"
	codeServiceUnavailable = "Error.Service.Unavailable"
	codeNotImplemented     = "Error.Service.NotImplemented"
	codeInternal           = "Error.Service.Internal"
)

// apiError is an error with its HTTP rendering. Handlers return it for
// outcomes the caller must see (validation, not found); everything else is
// mapped by toAPIError.
type apiError struct {
	status int
	code   string
	msg    string
	target string
	checks map[string]string // health answers only
	cause  error             // logged with the error, never sent
	auth   string            // a token.Reason* label when a token was refused
}

func (e *apiError) Error() string {
	if e.cause != nil {
		return e.msg + " (" + e.cause.Error() + ")"
	}
	return e.msg
}

// errorBody is the ErrorDetail shape of the 2022-06-01 API.
type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Target  string `json:"target,omitempty"`
	// Status and Checks are set on health answers only.
	Status string            `json:"status,omitempty"`
	Checks map[string]string `json:"checks,omitempty"`
}

func invalid(target, msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: codeInvalid, msg: msg, target: target}
}

func notFound(code, msg string) *apiError {
	return &apiError{status: http.StatusNotFound, code: code, msg: msg}
}

// toAPIError maps any error to the status, code and message the caller
// sees. It is the one place where Go errors become HTTP outcomes.
func toAPIError(err error) *apiError {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.Is(err, bus.ErrConnectionNotFound):
		return notFound(codeConnNotExistedErr, "Connection does not exist.")
	case errors.Is(err, bus.ErrUnavailable), errors.Is(err, bus.ErrClosed),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return &apiError{status: http.StatusServiceUnavailable, code: codeServiceUnavailable,
			msg: "The service is temporarily unavailable; the request was not applied. Retry later."}
	case errors.Is(err, bus.ErrInvalidArgument):
		// Handlers validate first; this is a backstop.
		return invalid("", "Invalid request: "+err.Error())
	case errors.Is(err, token.ErrTooLong):
		return &apiError{status: http.StatusRequestEntityTooLarge, code: codeTooLarge,
			msg: err.Error() + "; copy fewer or smaller claims into the token"}
	}
	return &apiError{status: http.StatusInternalServerError, code: codeInternal, msg: "Internal server error."}
}

// writeError renders err as an ErrorDetail JSON body with the
// x-ms-error-code header and returns what was written.
func writeError(w http.ResponseWriter, err error) *apiError {
	ae := toAPIError(err)
	h := w.Header()
	h.Set("x-ms-error-code", ae.code)
	if ae.status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", "Bearer")
	}
	body := errorBody{Code: ae.code, Message: ae.msg, Target: ae.target, Checks: ae.checks}
	if ae.checks != nil {
		body.Status = "unhealthy"
	}
	writeJSON(w, ae.status, body)
	return ae
}

// writeJSON writes v as the JSON body with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own response types reach here; they always marshal.
		b = []byte(`{}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
