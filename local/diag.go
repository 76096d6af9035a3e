package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/heraldrt/herald/shared/bus/redisbus"
	"github.com/heraldrt/herald/shared/diag"
	"github.com/heraldrt/herald/shared/node"
)

// diagUsage heads the diag subcommand's help.
const diagUsage = `usage: herald diag set|get|clear [flags]

Switches the resource logs of every node of a deployment at runtime, through
the deployment setting in Redis (<prefix>:{diag}:switches) that every node
reads every HERALD_DIAG_POLL (docs/diagnostics.md): no restart, no admin
listener, no redis-cli.

  herald diag set --connectivity=true --messaging diagnostic
  herald diag get
  herald diag clear      # every node returns to its environment's switches

set changes the switches it is given, over the setting in Redis (over all
off when there is none). Redis is REDIS_URL (--redis), the prefix
HERALD_REDIS_PREFIX (--redis-prefix), as for the nodes.

Flags:
`

// maxDiagBy bounds --by, so the stored setting stays far below the
// nodes' size limit.
const maxDiagBy = 200

// diagTimeout bounds the whole diag subcommand.
const diagTimeout = 10 * time.Second

// runDiag is the diag subcommand: it reads or writes the deployment's
// diagnostics switches in Redis, in the format the nodes read.
func runDiag(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprint(stderr, diagUsage)
		return errors.New("diag: say set, get or clear")
	}
	verb := args[0]
	fs := flag.NewFlagSet("diag "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, diagUsage)
		fs.PrintDefaults()
	}
	// Defaults from the environment are read after parsing: help must
	// not print a Redis URL with its password.
	redisURL := fs.String("redis", "", "Redis of the deployment (default: REDIS_URL)")
	prefix := fs.String("redis-prefix", "", "prefix of the deployment's Redis keys (default: HERALD_REDIS_PREFIX, else "+redisbus.DefaultKeyPrefix+")")
	var p diag.SwitchesPatch
	fs.BoolFunc("connectivity", "set: connectivity logs on (true) or off (false)", boolPatch(&p.Connectivity))
	fs.Func("messaging", "set: messaging logs: all, diagnostic (diagnostic clients only) or off", func(s string) error {
		m, err := diag.ParseMessagingMode(s)
		if err != nil {
			return err
		}
		p.Messaging = &m
		return nil
	})
	fs.BoolFunc("http", "set: HTTP request logs on (true) or off (false)", boolPatch(&p.HTTP))
	by := fs.String("by", defaultDiagBy(environ), "set: who is changing the switches, recorded in the setting and in each node's log")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("diag %s: unexpected argument %q", verb, fs.Arg(0))
	}
	if *redisURL == "" {
		*redisURL = lookupEnv(environ, "REDIS_URL")
	}
	if *prefix == "" {
		*prefix = lookupEnv(environ, "HERALD_REDIS_PREFIX")
	}
	if verb != "set" && (p != diag.SwitchesPatch{}) {
		return fmt.Errorf("diag %s: --connectivity, --messaging and --http are for set", verb)
	}
	switch {
	case verb != "set" && verb != "get" && verb != "clear":
		return fmt.Errorf("diag: unknown command %q: want set, get or clear", verb)
	case verb == "set" && (p == diag.SwitchesPatch{}):
		return errors.New("diag set: give at least one of --connectivity, --messaging, --http")
	case len(*by) > maxDiagBy:
		return fmt.Errorf("diag: --by is %d bytes, over %d", len(*by), maxDiagBy)
	case *redisURL == "":
		return errors.New("diag: no Redis: set REDIS_URL or --redis")
	}
	rdb, err := redisbus.NewClient(*redisURL)
	if err != nil {
		return fmt.Errorf("diag: --redis: %w", err)
	}
	defer rdb.Close()
	store, err := redisbus.NewSwitchesStore(rdb, *prefix)
	if err != nil {
		return fmt.Errorf("diag: --redis-prefix: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, diagTimeout)
	defer cancel()
	switch verb {
	case "set":
		_, v, err := node.WriteDeploymentSetting(ctx, store, diag.Switches{}, p, *by)
		if err != nil {
			return fmt.Errorf("diag set: %w", err)
		}
		fmt.Fprintf(stdout, "%s = %s\nEvery node follows within HERALD_DIAG_POLL (2 s by default).\n", store.Key(), v)
	case "get":
		_, v, err := node.ReadDeploymentSetting(ctx, store)
		if err != nil {
			return fmt.Errorf("diag get: %w", err)
		}
		if v == "" {
			fmt.Fprintf(stdout, "%s is not set: every node runs with its environment's switches.\n", store.Key())
			return nil
		}
		fmt.Fprintf(stdout, "%s = %s\n", store.Key(), v)
	case "clear":
		if err := store.SetDiagSwitches(ctx, nil); err != nil {
			return fmt.Errorf("diag clear: %w", err)
		}
		fmt.Fprintf(stdout, "%s removed: every node returns to its environment's switches within HERALD_DIAG_POLL.\n", store.Key())
	}
	return nil
}

// boolPatch is a flag.Func setter of one boolean switch.
func boolPatch(dst **bool) func(string) error {
	return func(s string) error {
		v, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("want true or false")
		}
		*dst = &v
		return nil
	}
}

// defaultDiagBy names the operator: herald diag, by $USER on the host.
func defaultDiagBy(environ []string) string {
	by := "herald diag"
	if u := lookupEnv(environ, "USER"); u != "" {
		by += " by " + u
	}
	if h, err := os.Hostname(); err == nil {
		by += " on " + h
	}
	return by
}

// lookupEnv returns the last value of name in environ ("NAME=value"
// entries), "" when absent.
func lookupEnv(environ []string, name string) string {
	v := ""
	for _, kv := range environ {
		if k, val, ok := strings.Cut(kv, "="); ok && k == name {
			v = val
		}
	}
	return v
}
