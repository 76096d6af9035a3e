package bus

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
)

var _ GroupLister = (*Memory)(nil)

// memCursor encodes Memory's cursors: the last connection id returned,
// base64url without padding. Strict rejects non-canonical encodings.
var memCursor = base64.RawURLEncoding.Strict()

// GroupConnections lists the connections of a group in connection id
// order (byte-wise), a page at a time; see GroupLister. The cursor holds
// the last id returned, so connections removed between pages do not
// disturb the listing. Each call sorts the group's remaining ids: cheap
// for the group sizes of a single process.
func (m *Memory) GroupConnections(ctx context.Context, hub, group string, max int, cursor string) ([]Member, string, error) {
	ms, next, err := m.groupConnections(ctx, hub, group, max, cursor)
	if err != nil {
		return nil, "", fmt.Errorf("list connections of group %q in hub %q: %w", group, hub, err)
	}
	return ms, next, nil
}

func (m *Memory) groupConnections(ctx context.Context, hub, group string, max int, cursor string) ([]Member, string, error) {
	if err := CheckNames("hub", hub, "group", group); err != nil {
		return nil, "", err
	}
	if max < 1 {
		return nil, "", fmt.Errorf("%w: page size %d", ErrInvalidArgument, max)
	}
	max = min(max, MaxPageSize)
	after, started := "", cursor != ""
	if started {
		b, err := memCursor.DecodeString(cursor)
		if err != nil || len(b) == 0 {
			return nil, "", fmt.Errorf("%w: malformed cursor", ErrInvalidArgument)
		}
		after = string(b)
	}
	if err := m.lock(ctx); err != nil {
		return nil, "", err
	}
	var ms []Member
	if h := m.hubs[hub]; h != nil {
		for id, c := range h.groups[group] {
			if !started || id > after {
				ms = append(ms, Member{ConnectionID: id, UserID: c.user})
			}
		}
	}
	m.mu.Unlock()

	slices.SortFunc(ms, func(a, b Member) int { return strings.Compare(a.ConnectionID, b.ConnectionID) })
	next := ""
	if len(ms) > max {
		ms = ms[:max:max]
		next = memCursor.EncodeToString([]byte(ms[max-1].ConnectionID))
	}
	if ms == nil {
		ms = []Member{}
	}
	return ms, next, nil
}
