package config

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// Logger builds the slog.Logger of a binary: level debug, info, warn or
// error; format json or text.
func Logger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("%w: log level %q: use debug, info, warn or error", ErrInvalid, level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch strings.ToLower(format) {
	case "json", "":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("%w: log format %q: use json or text", ErrInvalid, format)
}
