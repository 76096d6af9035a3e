package redisbus

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/heraldrt/herald/shared/bus"
)

// MaxPageSize is the largest page GroupConnections returns.
const MaxPageSize = bus.MaxPageSize

var _ bus.GroupLister = (*Bus)(nil)

// ConnectionExists reports whether the connection is registered on any
// node.
func (b *Bus) ConnectionExists(ctx context.Context, hub, connID string) (bool, error) {
	n, err := b.query(ctx, hub, func(hk hubKeys) (int64, error) {
		ok, err := b.rdb.HExists(ctx, hk.conns(), connID).Result()
		if ok {
			return 1, err
		}
		return 0, err
	}, "connection id", connID)
	if err != nil {
		return false, fmt.Errorf("check connection %q in hub %q: %w", connID, hub, err)
	}
	return n > 0, nil
}

// UserExists reports whether the user has a registered connection.
func (b *Bus) UserExists(ctx context.Context, hub, user string) (bool, error) {
	n, err := b.query(ctx, hub, func(hk hubKeys) (int64, error) {
		return b.rdb.Exists(ctx, hk.user(user)).Result()
	}, "user", user)
	if err != nil {
		return false, fmt.Errorf("check user %q in hub %q: %w", user, hub, err)
	}
	return n > 0, nil
}

// GroupExists reports whether a connection is in the group. A group of
// user-level memberships whose users have no connection does not exist.
func (b *Bus) GroupExists(ctx context.Context, hub, group string) (bool, error) {
	n, err := b.query(ctx, hub, func(hk hubKeys) (int64, error) {
		return b.rdb.Exists(ctx, hk.group(group)).Result()
	}, "group", group)
	if err != nil {
		return false, fmt.Errorf("check group %q in hub %q: %w", group, hub, err)
	}
	return n > 0, nil
}

// UserInGroup reports an unexpired user-level membership of the group, or
// a connection of the user in the group.
func (b *Bus) UserInGroup(ctx context.Context, hub, group, user string) (bool, error) {
	ok, err := b.userInGroup(ctx, hub, group, user)
	if err != nil {
		return false, fmt.Errorf("check user %q in group %q in hub %q: %w", user, group, hub, err)
	}
	return ok, nil
}

func (b *Bus) userInGroup(ctx context.Context, hub, group, user string) (bool, error) {
	if err := checkName("hub", hub); err != nil {
		return false, err
	}
	if err := bus.CheckNames("group", group, "user", user); err != nil {
		return false, err
	}
	if err := b.enter(ctx); err != nil {
		return false, err
	}
	hk := b.keys.hub(hub)
	n, err := scriptUserInGroup.Run(ctx, b.rdb, []string{hk.channel}, hk.base, group, user).Int()
	if err != nil {
		return false, b.failed(err)
	}
	return n > 0, nil
}

// ConnectionCount returns how many connections the hub has, on all nodes.
func (b *Bus) ConnectionCount(ctx context.Context, hub string) (int, error) {
	n, err := b.query(ctx, hub, func(hk hubKeys) (int64, error) {
		return b.rdb.HLen(ctx, hk.conns()).Result()
	})
	if err != nil {
		return 0, fmt.Errorf("count connections in hub %q: %w", hub, err)
	}
	return int(n), nil
}

// GroupCount returns how many connections are in the group.
func (b *Bus) GroupCount(ctx context.Context, hub, group string) (int, error) {
	n, err := b.query(ctx, hub, func(hk hubKeys) (int64, error) {
		return b.rdb.SCard(ctx, hk.group(group)).Result()
	}, "group", group)
	if err != nil {
		return 0, fmt.Errorf("count connections in group %q in hub %q: %w", group, hub, err)
	}
	return int(n), nil
}

// UserCount returns how many connections the user has.
func (b *Bus) UserCount(ctx context.Context, hub, user string) (int, error) {
	n, err := b.query(ctx, hub, func(hk hubKeys) (int64, error) {
		return b.rdb.SCard(ctx, hk.user(user)).Result()
	}, "user", user)
	if err != nil {
		return 0, fmt.Errorf("count connections of user %q in hub %q: %w", user, hub, err)
	}
	return int(n), nil
}

// query validates hub and the name/value pairs in args and runs one
// read of the hub's keys.
func (b *Bus) query(ctx context.Context, hub string, read func(hubKeys) (int64, error), args ...string) (int64, error) {
	if err := checkName("hub", hub); err != nil {
		return 0, err
	}
	if err := bus.CheckNames(args...); err != nil {
		return 0, err
	}
	if err := b.enter(ctx); err != nil {
		return 0, err
	}
	n, err := read(b.keys.hub(hub))
	if err != nil {
		return 0, b.failed(err)
	}
	return n, nil
}

// Member is a connection listed by GroupConnections: an alias of
// bus.Member.
type Member = bus.Member

// cursorPattern matches the cursors GroupConnections hands out.
var cursorPattern = regexp.MustCompile(`^[0-9]+:`)

// GroupConnections lists the connections of a group with their users, a
// page at a time: it returns at most max members (capped at MaxPageSize)
// and the cursor of the next page, "" when the listing is complete. Pass
// "" to start. Each call costs a few SSCAN batches of the group, never a
// scan of the hub or of the keyspace; a page may hold fewer than max
// members while more follow. Connections present during the whole listing
// are listed once; those that join or leave meanwhile may be listed or
// not. Cursors are opaque; a malformed one gives bus.ErrInvalidArgument.
func (b *Bus) GroupConnections(ctx context.Context, hub, group string, max int, cursor string) ([]Member, string, error) {
	ms, next, err := b.groupConnections(ctx, hub, group, max, cursor)
	if err != nil {
		return nil, "", fmt.Errorf("list connections of group %q in hub %q: %w", group, hub, err)
	}
	return ms, next, nil
}

func (b *Bus) groupConnections(ctx context.Context, hub, group string, max int, cursor string) ([]Member, string, error) {
	if err := checkName("hub", hub); err != nil {
		return nil, "", err
	}
	if err := bus.CheckNames("group", group); err != nil {
		return nil, "", err
	}
	if max < 1 {
		return nil, "", fmt.Errorf("%w: page size %d", bus.ErrInvalidArgument, max)
	}
	max = min(max, MaxPageSize)
	if cursor != "" && !cursorPattern.MatchString(cursor) {
		return nil, "", fmt.Errorf("%w: malformed cursor", bus.ErrInvalidArgument)
	}
	if err := b.enter(ctx); err != nil {
		return nil, "", err
	}
	hk := b.keys.hub(hub)
	res, err := scriptGroupPage.Run(ctx, b.rdb, []string{hk.channel}, hk.base, group, max, cursor).StringSlice()
	if err != nil {
		return nil, "", b.failed(err)
	}
	ms := make([]Member, 0, (len(res)-1)/2)
	for i := 1; i+1 < len(res); i += 2 {
		ms = append(ms, Member{ConnectionID: res[i], UserID: res[i+1]})
	}
	return ms, res[0], nil
}

// LiveNodes returns how many gateway nodes are alive: those whose last
// heartbeat is younger than their NodeTTL. Negotiate answers 503 when it
// is zero: no gateway would serve the URL it hands out. A Stateless Bus
// answers a positive count again for liveCacheTTL unless one of its
// calls failed since (see liveCache).
func (b *Bus) LiveNodes(ctx context.Context) (int, error) {
	if err := b.enter(ctx); err != nil {
		return 0, fmt.Errorf("count live nodes: %w", err)
	}
	var failures uint64
	if b.live != nil {
		var n int
		if n, failures = b.live.get(time.Now()); n > 0 {
			return n, nil
		}
	}
	n, err := scriptLive.Run(ctx, b.rdb, []string{b.keys.nodes()}).Int()
	if err != nil {
		return 0, fmt.Errorf("count live nodes: %w", b.failed(err))
	}
	if b.live != nil {
		b.live.put(n, time.Now(), failures)
	}
	return n, nil
}
