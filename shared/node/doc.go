// Package node is Herald's composition root: it assembles one process of
// a deployment from its parts (listeners, bus, gateway, negotiate and REST
// handlers, live trace, admin listener) according to its Role: RoleAll
// (everything on one listener: the local emulator), RoleGateway (client
// connections, the production gateway binary) or RoleFunctions (negotiate
// and REST). The gateway/ and local/ binaries and the end-to-end tests all
// build their process here, so what is tested is what is deployed.
package node
