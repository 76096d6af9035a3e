package upstream

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// LogCallFailed is the message of the record an upstream call that failed
// leaves: a transport error, a timeout, a non-2xx status, or (blocking
// invocations) a body the client cannot be given. One record per call,
// at Warn (Info when the call was cut by a shutdown), with the resource
// logs' field names where they apply (docs/diagnostics.md): hubName,
// connectionId, userId, category, event, url (without query or
// credentials), status (0 without a response), message (the text the
// client got, for blocking invocations), error and durationMs.
const LogCallFailed = "upstream call failed"

// logFailure writes the one record of a failed call. errText is the text
// the client got ("" for events without a reply).
func (s *Session) logFailure(e event, r Response, errText string, elapsed time.Duration) {
	level := slog.LevelWarn
	if errors.Is(r.Err, ErrClosed) || errors.Is(r.Err, context.Canceled) {
		level = slog.LevelInfo // a shutdown, not the function's fault
	}
	category := CategoryConnections
	if e.kind == kindInvocation {
		category = CategoryMessages
	}
	switch {
	case errText != "":
	case r.Err != nil:
		errText = transportErrorText(r.Err)
	default:
		errText = "status code " + strconv.Itoa(r.StatusCode)
	}
	attrs := []slog.Attr{
		slog.String("hubName", s.info.Hub),
		slog.String("connectionId", s.info.ConnectionID),
		slog.String("userId", s.info.UserID),
		slog.String("category", category),
		slog.String("event", e.name),
		slog.String("url", logURL(e.url)),
		slog.Int("status", r.StatusCode),
		slog.String("message", errText),
		slog.Float64("durationMs", float64(elapsed.Microseconds())/1000),
	}
	if r.Err != nil {
		attrs = append(attrs, slog.String("error", errorText(r.Err, e.url)))
	}
	s.c.cfg.Logger.LogAttrs(context.Background(), level, LogCallFailed, attrs...)
}

// logURL returns raw without its user information, query and fragment:
// Azure Functions keys travel in the query (?code=), credentials in the
// user information.
func logURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "" // never repeat what cannot be cleaned
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	return u.String()
}

// errorText returns err's text with the request URL (which net/http
// quotes in its errors, query included) replaced by its logURL form.
func errorText(err error, raw string) string {
	t := err.Error()
	clean := logURL(raw)
	var ue *url.Error
	if errors.As(err, &ue) && ue.URL != "" {
		t = strings.ReplaceAll(t, ue.URL, clean)
	}
	if raw != "" {
		t = strings.ReplaceAll(t, raw, clean)
	}
	return t
}
