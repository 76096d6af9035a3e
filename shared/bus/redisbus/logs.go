package redisbus

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"
)

// RouteClientLogs sends go-redis's own messages (a failed dial each time
// Redis is away, for instance) to log at debug level, in place of its
// global logger writing to stderr: the Bus reports outages itself. go-redis
// has one logger per process, so mains call this once.
func RouteClientLogs(log *slog.Logger) { redis.SetLogger(clientLogger{log}) }

type clientLogger struct{ log *slog.Logger }

func (l clientLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, fmt.Sprintf(format, v...), "component", "go-redis")
}
