// Command negotiate is a Herald Lambda function behind the load balancer:
// the app-facing negotiate endpoint (the connection-info binding): POST or GET /api/negotiate?hub=H answers {url, accessToken} pointing the SignalR client at the gateways.
//
// It runs on provided.al2023 (make build puts its bootstrap in
// build/negotiate/); its environment is documented in shared/config (Functions)
// and its wiring in shared/lambdafn.
package main

import (
	"fmt"
	"os"

	"github.com/heraldrt/herald/shared/buildinfo"
	"github.com/heraldrt/herald/shared/lambdafn"
)

func main() {
	if buildinfo.PrintVersion("herald-negotiate", os.Args[1:], os.Stdout) {
		return
	}
	if err := lambdafn.Run(lambdafn.Negotiate); err != nil {
		fmt.Fprintln(os.Stderr, "herald negotiate:", err)
		os.Exit(1)
	}
}
