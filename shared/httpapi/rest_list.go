package httpapi

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/heraldrt/herald/shared/bus"
)

// Page sizes of the group listing (2024-12-01 swagger: maxpagesize 1..200;
// the default is Herald's choice, the largest page).
const (
	maxListPageSize     = 200
	defaultListPageSize = maxListPageSize
	listAPIVersion      = "2024-12-01"
)

// groupMember is the GroupMember shape of the 2024-12-01 swagger; userId
// is optional there and omitted for anonymous connections.
type groupMember struct {
	ConnectionID string `json:"connectionId"`
	UserID       string `json:"userId,omitempty"`
}

// groupMemberPage is the GroupMemberPagedValues shape: nextLink is an
// absolute URL, absent on the last page.
type groupMemberPage struct {
	Value    []groupMember `json:"value"`
	NextLink string        `json:"nextLink,omitempty"`
}

// listGroupConnections pages through the connections of a group. The bus
// cursor travels as continuationToken. top caps the total: each page is
// capped at what remains, and nextLink carries top minus what this page
// returned (a client following nextLink verbatim gets at most top
// members); once nothing remains nextLink is omitted.
func (s *rest) listGroupConnections(c *call) (any, error) {
	lister, ok := s.bus.(bus.GroupLister)
	if !ok {
		return nil, &apiError{status: http.StatusNotImplemented, code: codeNotImplemented,
			msg: "Listing group connections is not supported by this deployment's bus."}
	}
	q := c.r.URL.Query()
	size := defaultListPageSize
	if v := q.Get("maxpagesize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxListPageSize {
			return nil, invalid("maxpagesize", "Invalid maxpagesize: it must be a whole number from 1 to 200.")
		}
		size = n
	}
	top := 0 // no cap
	if v := q.Get("top"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, invalid("top", "Invalid top: it must be a whole number, 1 or more.")
		}
		top = n
	}
	limit := size
	if top > 0 {
		limit = min(limit, top)
	}
	token := q.Get("continuationToken")
	ms, next, err := lister.GroupConnections(c.ctx(), c.hub, c.r.PathValue("group"), limit, token)
	if err != nil {
		if token != "" && errors.Is(err, bus.ErrInvalidArgument) {
			return nil, invalid("continuationToken", "Invalid continuationToken: pass the one of the previous page's nextLink.")
		}
		return nil, err
	}
	page := groupMemberPage{Value: make([]groupMember, len(ms))}
	for i, m := range ms {
		page.Value[i] = groupMember{ConnectionID: m.ConnectionID, UserID: m.UserID}
	}
	if top > 0 {
		top -= len(ms)
		if top <= 0 {
			next = ""
		}
	}
	if next != "" {
		page.NextLink = nextLink(c.r, q, next, size, top)
	}
	return page, nil
}

// nextLink is the absolute URL of the next page: the request's URL with
// continuationToken, maxpagesize and top (what remains, when capped)
// replaced, api-version kept (2024-12-01 when absent) and access_token
// dropped, so the link carries no credential.
func nextLink(r *http.Request, q url.Values, token string, size, top int) string {
	scheme, host := requestOrigin(r)
	q.Del("access_token")
	q.Set("continuationToken", token)
	q.Set("maxpagesize", strconv.Itoa(size))
	if top > 0 {
		q.Set("top", strconv.Itoa(top))
	}
	if q.Get("api-version") == "" {
		q.Set("api-version", listAPIVersion)
	}
	u := url.URL{Scheme: scheme, Host: host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: q.Encode()}
	return u.String()
}
