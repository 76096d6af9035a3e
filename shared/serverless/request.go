package serverless

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/heraldrt/herald/shared/hubproto"
	"github.com/heraldrt/herald/shared/upstream"
)

// MaxBodyBytes is the largest request body ParseRequest reads: 16 MiB.
const MaxBodyBytes = 16 << 20

// ParseRequest verifies and decodes an upstream request, in the order the
// Functions trigger checks it:
//
//  1. Content-Type must be application/json or application/x-msgpack
//     (ErrContentType).
//  2. X-ASRS-Connection-Id, X-ASRS-Hub, X-ASRS-Category and X-ASRS-Event
//     must be present (ErrMissingHeader).
//  3. One entry of X-ASRS-Signature must be the HMAC-SHA256 of the
//     connection id under one of keys (ErrSignature); entries are compared
//     in constant time and hex case is ignored. With no keys every request
//     fails.
//  4. The body must hold what the category and event call for
//     (ErrMalformed, ErrTooLarge, ErrUnsupportedProtocol): for messages an
//     Invocation whose target is the event (case-insensitively), for
//     disconnected the {"Type":11,"Error":...} object. Other bodies are not
//     read.
//
// Status maps the errors to HTTP statuses.
func ParseRequest(r *http.Request, keys []string) (*InvocationContext, error) {
	protocol, err := protocolOf(r.Header.Get("Content-Type"))
	if err != nil {
		return nil, err
	}
	inv := &InvocationContext{
		ConnectionID: r.Header.Get(upstream.HeaderConnectionID),
		Hub:          r.Header.Get(upstream.HeaderHub),
		Category:     r.Header.Get(upstream.HeaderCategory),
		Event:        r.Header.Get(upstream.HeaderEvent),
		UserID:       r.Header.Get(upstream.HeaderUserID),
		Headers:      r.Header,
		Protocol:     protocol,
	}
	var missing []string
	for _, h := range []struct{ name, value string }{
		{upstream.HeaderConnectionID, inv.ConnectionID}, {upstream.HeaderHub, inv.Hub},
		{upstream.HeaderCategory, inv.Category}, {upstream.HeaderEvent, inv.Event},
	} {
		if h.value == "" {
			missing = append(missing, h.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrMissingHeader, strings.Join(missing, ", "))
	}
	if !VerifySignature(r.Header.Get(upstream.HeaderSignature), inv.ConnectionID, keys) {
		return nil, ErrSignature
	}
	if c := r.Header.Get(upstream.HeaderUserClaims); c != "" {
		inv.Claims = ParseClaims(c)
	}
	if q := r.Header.Get(upstream.HeaderClientQuery); q != "" {
		inv.Query, _ = url.ParseQuery(strings.TrimPrefix(q, "?")) // keep what parses, as the trigger does
	}

	switch {
	case strings.EqualFold(inv.Category, upstream.CategoryMessages):
		body, err := readBody(r)
		if err != nil {
			return nil, err
		}
		if err := decodeInvocation(inv, body); err != nil {
			return nil, err
		}
	case strings.EqualFold(inv.Category, upstream.CategoryConnections) && strings.EqualFold(inv.Event, upstream.EventDisconnected):
		body, err := readBody(r)
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(body)) > 0 && protocol == ProtocolJSON {
			var m struct{ Error *string }
			if err := json.Unmarshal(body, &m); err != nil {
				return nil, fmt.Errorf("%w: disconnected: %w", ErrMalformed, err)
			}
			if m.Error != nil {
				inv.Error = *m.Error
			}
		}
	}
	return inv, nil
}

// protocolOf returns the hub protocol of a Content-Type.
func protocolOf(contentType string) (string, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	switch {
	case err != nil:
		return "", fmt.Errorf("%w: %q", ErrContentType, contentType)
	case mt == upstream.ContentTypeJSON:
		return ProtocolJSON, nil
	case mt == upstream.ContentTypeMessagePack:
		return ProtocolMessagePack, nil
	default:
		return "", fmt.Errorf("%w: %q", ErrContentType, mt)
	}
}

func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("serverless: read body: %w", err)
	}
	if len(body) > MaxBodyBytes {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, MaxBodyBytes)
	}
	return body, nil
}

// decodeInvocation fills the invocation fields of inv from an unframed
// Invocation record in inv.Protocol.
func decodeInvocation(inv *InvocationContext, body []byte) error {
	codec, err := codecOf(inv.Protocol)
	if err != nil {
		return err
	}
	m, err := decodeRecord(codec, body)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if m.Type != hubproto.TypeInvocation {
		return fmt.Errorf("%w: a %v message, want an Invocation", ErrMalformed, m.Type)
	}
	if !strings.EqualFold(m.Target, inv.Event) {
		return fmt.Errorf("%w: target %q differs from %s %q", ErrMalformed, m.Target, upstream.HeaderEvent, inv.Event)
	}
	args := []byte(m.Arguments)
	if codec.Binary() && len(args) > 0 {
		if args, err = hubproto.MsgpackToJSON(nil, args); err != nil {
			return fmt.Errorf("%w: arguments: %w", ErrMalformed, err)
		}
	}
	if len(args) > 0 {
		if err := json.Unmarshal(args, &inv.Arguments); err != nil {
			return fmt.Errorf("%w: arguments: %w", ErrMalformed, err)
		}
	}
	inv.InvocationID = m.InvocationID
	return nil
}

// VerifySignature reports whether one entry of an X-ASRS-Signature value
// ("sha256=<hex>" entries separated by ",") is the HMAC-SHA256 of
// connectionID keyed with one of keys. Entries are trimmed, the "sha256="
// prefix and the hex digits are case-insensitive, and the comparison is in
// constant time. It reports false when keys is empty.
func VerifySignature(header, connectionID string, keys []string) bool {
	if header == "" || len(keys) == 0 {
		return false
	}
	var got [][]byte
	for entry := range strings.SplitSeq(header, ",") {
		entry = strings.TrimSpace(entry)
		if len(entry) < len("sha256=") || !strings.EqualFold(entry[:len("sha256=")], "sha256=") {
			continue
		}
		mac, err := hex.DecodeString(entry[len("sha256="):])
		if err != nil || len(mac) != sha256.Size {
			continue
		}
		got = append(got, mac)
	}
	ok := false
	for _, key := range keys {
		if key == "" {
			continue
		}
		m := hmac.New(sha256.New, []byte(key))
		m.Write([]byte(connectionID))
		want := m.Sum(nil)
		for _, g := range got {
			if hmac.Equal(g, want) {
				ok = true
			}
		}
	}
	return ok
}
