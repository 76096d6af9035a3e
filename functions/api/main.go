// Command api is a Herald Lambda function behind the load balancer:
// the data-plane REST API (sends, groups, users, connections, :generateToken) and /api/health, under /api and /api/v1.
//
// It runs on provided.al2023 (make build puts its bootstrap in
// build/api/); its environment is documented in shared/config (Functions)
// and its wiring in shared/lambdafn.
package main

import (
	"fmt"
	"os"

	"github.com/heraldrt/herald/shared/buildinfo"
	"github.com/heraldrt/herald/shared/lambdafn"
)

func main() {
	if buildinfo.PrintVersion("herald-api", os.Args[1:], os.Stdout) {
		return
	}
	if err := lambdafn.Run(lambdafn.API); err != nil {
		fmt.Fprintln(os.Stderr, "herald api:", err)
		os.Exit(1)
	}
}
