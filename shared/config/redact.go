package config

import "net/url"

// RedactURL hides the password of a URL (REDIS_URL) for logs.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
