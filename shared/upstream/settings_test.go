package upstream_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/heraldrt/herald/shared/upstream"
)

func TestParseSettingsFile(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []upstream.Template
		wantErr string // substring; "" means success
	}{
		{
			name: "emulator default",
			in: `{"UpstreamSettings":{"Templates":[{"UrlTemplate":"http://localhost:7071/runtime/webhooks/signalr",
				"EventPattern":"*","HubPattern":"*","CategoryPattern":"*"}]}}`,
			want: []upstream.Template{{URLTemplate: "http://localhost:7071/runtime/webhooks/signalr",
				HubPattern: "*", CategoryPattern: "*", EventPattern: "*"}},
		},
		{
			name: "keys in any case, patterns optional",
			in:   `{"upstreamSettings":{"templates":[{"urlTemplate":"https://{hub}.example.com/api/{category}/{event}"}]}, "Logging":{}}`,
			want: []upstream.Template{{URLTemplate: "https://{hub}.example.com/api/{category}/{event}"}},
		},
		{name: "no upstream settings", in: `{"Logging":{}}`},
		{name: "no templates", in: `{"UpstreamSettings":{}}`},
		{name: "empty file", in: " \n", wantErr: "empty"},
		{name: "not JSON", in: `{"UpstreamSettings":`, wantErr: "invalid settings"},
		{name: "templates not a list", in: `{"UpstreamSettings":{"Templates":{}}}`, wantErr: "invalid settings"},
		{name: "missing URL", in: `{"UpstreamSettings":{"Templates":[{"HubPattern":"*"}]}}`, wantErr: "Templates[0]: UrlTemplate is missing"},
		{name: "relative URL", in: `{"UpstreamSettings":{"Templates":[{"UrlTemplate":"http://a/x"},{"UrlTemplate":"/runtime/webhooks/signalr"}]}}`,
			wantErr: "Templates[1]: UrlTemplate must be an absolute http or https URL"},
		{name: "other scheme", in: `{"UpstreamSettings":{"Templates":[{"UrlTemplate":"ftp://example.com/x"}]}}`,
			wantErr: "absolute http or https"},
		{name: "no host", in: `{"UpstreamSettings":{"Templates":[{"UrlTemplate":"http:///x"}]}}`, wantErr: "no host"},
		{name: "bad URL", in: `{"UpstreamSettings":{"Templates":[{"UrlTemplate":"http://exa mple.com/"}]}}`, wantErr: "not a valid URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := upstream.ParseSettingsFile([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !errors.Is(err, upstream.ErrInvalidSettings) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want ErrInvalidSettings containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Templates) != len(tt.want) {
				t.Fatalf("templates = %+v, want %+v", s.Templates, tt.want)
			}
			for i := range tt.want {
				if s.Templates[i] != tt.want[i] {
					t.Errorf("template %d = %+v, want %+v", i, s.Templates[i], tt.want[i])
				}
			}
		})
	}
}

func TestValidateDoesNotLeakURL(t *testing.T) {
	s := upstream.Settings{Templates: []upstream.Template{{URLTemplate: "ftp://example.com/?code=SECRET"}}}
	err := s.Validate()
	if !errors.Is(err, upstream.ErrInvalidSettings) {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "SECRET") {
		t.Errorf("error repeats the URL: %v", err)
	}
}
