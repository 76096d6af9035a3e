// Command chathub is a sample upstream function: a chat hub written with
// package serverless, the Go counterpart of an Azure Functions app with
// SignalR triggers. Herald posts client invocations and connection events
// to it; it answers invocations and sends messages through Herald's REST
// API.
//
// The hub's methods are documented in package shared/chathub.
//
// Configuration (config.Functions, docs/configuration.md; variables,
// flags or an options file):
//
//	HERALD_CONNECTION_STRING  the service's connection string (required;
//	                          `make run` prints the local emulator's)
//	HERALD_ACCESS_KEYS        comma-separated keys upstream requests are
//	                          verified against (default: the connection
//	                          string's AccessKey)
//	ADDR                      listen address (default 127.0.0.1:7071)
//
// It serves POST /runtime/webhooks/signalr, the path of the Azure Functions
// SignalR extension, so the upstream template
// http://127.0.0.1:7071/runtime/webhooks/signalr (the Azure emulator's
// default) reaches it. Run it locally with `go run ./functions/chathub`.
//
// Inside AWS Lambda (AWS_LAMBDA_RUNTIME_API is set) it serves the same hub
// as a Lambda function behind the load balancer instead, configured like
// the other functions (shared/config Functions: HERALD_PUBLIC_URL and the
// AccessKeys, from the environment or Secrets Manager; see
// shared/lambdafn).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/heraldrt/herald/shared/buildinfo"
	"github.com/heraldrt/herald/shared/chathub"
	"github.com/heraldrt/herald/shared/config"
	"github.com/heraldrt/herald/shared/lambdafn"
	"github.com/heraldrt/herald/shared/serverless"
)

func main() {
	if buildinfo.PrintVersion("herald-chathub", os.Args[1:], os.Stdout) {
		return
	}
	if os.Getenv("AWS_LAMBDA_RUNTIME_API") != "" {
		if err := lambdafn.Run(lambdafn.ChatHub); err != nil {
			fmt.Fprintln(os.Stderr, "herald chathub:", err)
			os.Exit(1)
		}
		return
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(log); err != nil {
		log.Error("chathub stopped", "err", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger) error {
	var cfg config.Functions
	res, err := config.Load(&cfg, config.Production, config.Sources{Name: "chathub", Args: os.Args[1:], Environ: os.Environ(), Output: os.Stderr})
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, w := range res.Warnings {
		log.Warn("configuration", "warning", w)
	}
	raw := cfg.ConnectionString
	if raw == "" {
		return errors.New("HERALD_CONNECTION_STRING (--connection-string) is required (the local emulator prints it: make run)")
	}
	keys, addr := cfg.AccessKeys, cfg.Addr
	sender, err := serverless.NewSender(serverless.SenderConfig{ConnectionString: raw})
	if err != nil {
		return err
	}

	mux := http.NewServeMux()
	mux.Handle("POST "+lambdafn.WebhookPath, chathub.New(keys, sender, log))
	// Bounded like Herald's own listeners: an idle or slow caller cannot
	// hold a connection; a call may take the upstream's 100 s timeout.
	srv := &http.Server{
		Addr: addr, Handler: mux,
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 110 * time.Second, IdleTimeout: 130 * time.Second, MaxHeaderBytes: 64 << 10,
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("chathub listening", "url", "http://"+addr+lambdafn.WebhookPath)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	<-errc // http.ErrServerClosed
	log.Info("chathub stopped")
	return nil
}
