package upstream

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
)

// Template is one upstream setting: where to send the events its three
// patterns select. The JSON names are those of the Azure SignalR emulator's
// settings.json (and of Azure's upstream settings); JSON names match
// case-insensitively.
//
// A pattern is "*" (any value), a comma-separated list whose items are
// trimmed ("connected, disconnected"), or one exact name; a list containing
// "*" matches any value. Herald compares names case-insensitively: hub names
// are case-insensitive in Herald (and arrive lower-cased), and the Azure
// Functions SignalR trigger dispatches case-insensitively too. (The emulator
// compares exactly; every setting that works there works the same here.)
// An empty pattern, or one that is absent from the JSON, means "*", as in
// the emulator.
type Template struct {
	// URLTemplate is the absolute http or https URL events are posted to.
	// The placeholders {hub}, {category} and {event} are replaced with the
	// event's values, URI-escaped. Required.
	URLTemplate string `json:"UrlTemplate"`
	// HubPattern selects hub names. Default "*".
	HubPattern string `json:"HubPattern,omitempty"`
	// CategoryPattern selects categories: "connections" (connected and
	// disconnected) and "messages" (client invocations). Default "*".
	CategoryPattern string `json:"CategoryPattern,omitempty"`
	// EventPattern selects events: "connected" and "disconnected" in the
	// connections category, the invocation target in the messages
	// category. Default "*".
	EventPattern string `json:"EventPattern,omitempty"`
}

// Settings is the ordered list of upstream templates. The zero value has
// none: no event is sent.
type Settings struct {
	// Templates are tried in order; the first one that matches an event
	// receives it.
	Templates []Template `json:"Templates"`
}

// settingsFile is the layout of the emulator's settings.json.
type settingsFile struct {
	UpstreamSettings *Settings `json:"UpstreamSettings"`
}

// ParseSettingsFile parses the Azure SignalR emulator's settings file,
//
//	{"UpstreamSettings":{"Templates":[{"UrlTemplate":"http://localhost:7071/runtime/webhooks/signalr",
//	  "HubPattern":"*","CategoryPattern":"*","EventPattern":"*"}]}}
//
// and validates it (Settings.Validate). Other top-level properties are
// ignored; a file without UpstreamSettings has no templates. Every error
// wraps ErrInvalidSettings and says what is wrong and where.
func ParseSettingsFile(data []byte) (Settings, error) {
	var f settingsFile
	if len(bytes.TrimSpace(data)) == 0 {
		return Settings{}, fmt.Errorf("%w: the file is empty", ErrInvalidSettings)
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return Settings{}, fmt.Errorf("%w: %w", ErrInvalidSettings, err)
	}
	if f.UpstreamSettings == nil {
		return Settings{}, nil
	}
	s := *f.UpstreamSettings
	if err := s.Validate(); err != nil {
		return Settings{}, err
	}
	return s, nil
}

// Validate checks every template: its URL template, with the placeholders
// replaced by sample values, must be an absolute http or https URL with a
// host. The error wraps ErrInvalidSettings and names the template by index.
func (s Settings) Validate() error {
	for i, t := range s.Templates {
		if err := t.validate(); err != nil {
			return fmt.Errorf("%w: Templates[%d]: %w", ErrInvalidSettings, i, err)
		}
	}
	return nil
}

func (t Template) validate() error {
	if t.URLTemplate == "" {
		return fmt.Errorf("UrlTemplate is missing")
	}
	_, err := parseUpstreamURL(expand(t.URLTemplate, "hub", CategoryMessages, "event"))
	return err
}

// parseUpstreamURL parses an expanded template and checks it is an absolute
// http or https URL with a host. The error never repeats the URL, which may
// carry a function key in its query.
func parseUpstreamURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("UrlTemplate is not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("UrlTemplate must be an absolute http or https URL")
	}
	if u.Host == "" {
		return nil, fmt.Errorf("UrlTemplate has no host")
	}
	return u, nil
}

// Static returns a Config.Settings function that always returns s.
func Static(s Settings) func() Settings {
	return func() Settings { return s }
}
