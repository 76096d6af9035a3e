package main

import (
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/heraldrt/herald/shared/conninfo"
	"github.com/heraldrt/herald/shared/connstr"
	"github.com/heraldrt/herald/shared/node"
	"github.com/heraldrt/herald/shared/token"
)

// devConnectionString is the connection string of an emulator started with
// the defaults (`make run`).
const devConnectionString = "Endpoint=http://localhost;Port=8888;AccessKey=" + node.DevAccessKey + ";Version=1.0;"

// tokenUsage heads the token subcommand's help.
const tokenUsage = `usage: herald token [flags]

Prints tokens signed with a connection string's AccessKey, as the Azure SDKs
make them: a REST token for one data-plane URL, a client access token for a
hub and user, and a ready curl line. Defaults fit the emulator of make run.

  TOKEN=$(bin/herald token --print rest)

Flags:
`

// runToken is the token subcommand: it prints tokens for humans and
// scripts, so trying the REST API needs no code.
func runToken(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, tokenUsage)
		fs.PrintDefaults()
	}
	cs := fs.String("connection-string", devConnectionString, "connection string whose Endpoint and AccessKey the tokens are for")
	hub := fs.String("hub", "chat", "hub of the client token and of the default REST URL")
	user := fs.String("user", "", "user id of the client token (the asrs.s.uid claim); empty: anonymous")
	rawURL := fs.String("url", "", "data-plane URL the REST token is for (default: the hub's broadcast, {endpoint}/api/hubs/{hub}/:send?api-version=2022-06-01)")
	method := fs.String("method", "POST", "HTTP method of the curl line")
	lifetime := fs.Duration("lifetime", time.Hour, "token lifetime")
	what := fs.String("print", "all", "what to print: all, rest (the REST token alone), client (the client token alone) or curl")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("token: unexpected argument %q", fs.Arg(0))
	}
	parsed, err := connstr.Parse(*cs)
	if err != nil {
		return fmt.Errorf("token: --connection-string: %w", err)
	}
	if parsed.Endpoint == nil || parsed.AccessKey == "" {
		return fmt.Errorf("token: --connection-string needs an Endpoint and an AccessKey")
	}
	target := *rawURL
	if target == "" {
		target = strings.TrimSuffix(parsed.ServerBase(), "/") + "/api/hubs/" + url.PathEscape(strings.ToLower(*hub)) + "/:send?api-version=2022-06-01"
	}
	u, err := url.Parse(target)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("token: --url %q is not an absolute http(s) URL", target)
	}
	iss, err := token.NewIssuer(token.IssuerConfig{Key: parsed.AccessKey, Lifetime: *lifetime})
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	// The SDKs sign the request's path on the Endpoint's scheme and host
	// (port and query dropped) as the audience.
	aud := strings.TrimSuffix(parsed.AudienceBase(), "/") + u.EscapedPath()
	rest, err := iss.Issue(aud, nil, *lifetime)
	if err != nil {
		return fmt.Errorf("token: REST token: %w", err)
	}
	b, err := conninfo.New(conninfo.Config{ConnectionString: parsed, Lifetime: *lifetime})
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	client, err := b.ConnectionInfo(conninfo.Request{Hub: *hub, UserID: *user})
	if err != nil {
		return fmt.Errorf("token: client token: %w", err)
	}
	curl := fmt.Sprintf("curl -i -X %s '%s' -H 'Authorization: Bearer %s'", *method, target, rest)
	if *method == "POST" || *method == "PUT" {
		curl += ` -H 'Content-Type: application/json' -d '{"target":"newMessage","arguments":["hello"]}'`
	}
	switch *what {
	case "rest":
		fmt.Fprintln(stdout, rest)
	case "client":
		fmt.Fprintln(stdout, client.AccessToken)
	case "curl":
		fmt.Fprintln(stdout, curl)
	case "all":
		fmt.Fprintf(stdout, "REST token for %s (valid %s):\n  %s\n\n", aud, *lifetime, rest)
		who := "anonymous"
		if *user != "" {
			who = "user " + *user
		}
		fmt.Fprintf(stdout, "Client access token for hub %s, %s (connect to %s with it):\n  %s\n\n", *hub, who, client.URL, client.AccessToken)
		fmt.Fprintf(stdout, "Try it:\n  %s\n", curl)
	default:
		return fmt.Errorf("token: --print %q: want all, rest, client or curl", *what)
	}
	return nil
}
