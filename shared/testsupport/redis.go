package testsupport

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// QuietRedis silences go-redis's own logger, which is global to the
// process: tests that stop or pause Redis would otherwise print every
// failed dial. Call it from TestMain, before the tests run.
func QuietRedis() { redis.SetLogger(quiet{}) }

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}
