package query

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// ErrMalformed is wrapped by every error of Parse.
var ErrMalformed = errors.New("malformed query")

// Error is a query pair Parse refused; Param names the parameter (its raw
// name when the name itself could not be decoded).
type Error struct {
	// Param is the parameter's name, decoded when possible.
	Param string
	// Problem says what is wrong with it.
	Problem string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: query parameter %q %s", ErrMalformed, e.Param, e.Problem)
}

// Unwrap returns ErrMalformed.
func (e *Error) Unwrap() error { return ErrMalformed }

// Message is the text for a 400 answer: which parameter, and what is wrong.
func (e *Error) Message() string {
	return fmt.Sprintf("Invalid query parameter '%s': %s.", e.Param, e.Problem)
}

// maxParamEcho bounds how much of an undecodable name an error repeats.
const maxParamEcho = 64

// Parse decodes raw (a URL's RawQuery) as url.ParseQuery does, but fails
// with an *Error on the first pair whose name or value is not valid
// percent-encoding, uses ';' as a separator, or does not decode to valid
// UTF-8. Empty pairs ("a=1&&b=2") are skipped, as url.ParseQuery does.
func Parse(raw string) (url.Values, error) {
	out := url.Values{}
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		rawKey, rawVal, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(rawKey)
		if err != nil {
			return nil, &Error{Param: clip(rawKey), Problem: "has a name that is not valid percent-encoding"}
		}
		if !utf8.ValidString(key) {
			return nil, &Error{Param: clip(strings.ToValidUTF8(key, "\uFFFD")), Problem: "has a name that is not valid UTF-8"}
		}
		if strings.Contains(rawKey, ";") || strings.Contains(rawVal, ";") {
			return nil, &Error{Param: clip(key), Problem: "contains ';' (use '&' between parameters and %3B inside values)"}
		}
		val, err := url.QueryUnescape(rawVal)
		if err != nil {
			return nil, &Error{Param: clip(key), Problem: "is not valid percent-encoding"}
		}
		if !utf8.ValidString(val) {
			return nil, &Error{Param: clip(key), Problem: "is not valid UTF-8"}
		}
		out[key] = append(out[key], val)
	}
	return out, nil
}

// Check is Parse without the values: nil when raw is well formed. A query
// with no '%' and no ';' that is valid UTF-8 is well formed as it stands
// (decoding only turns '+' into ' '), so the common case decodes nothing.
func Check(raw string) error {
	if !strings.ContainsAny(raw, "%;") && utf8.ValidString(raw) {
		return nil
	}
	_, err := Parse(raw)
	return err
}

func clip(s string) string {
	if len(s) <= maxParamEcho {
		return s
	}
	s = s[:maxParamEcho]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}
