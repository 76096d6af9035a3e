// Package config is the configuration model of Herald's binaries: one
// options type per binary family, Node (gateway/ and local/) and
// Functions (the Lambda functions and functions/chathub), each field
// naming its environment variable, flags, default and meaning in struct
// tags. Load fills one from, in increasing precedence, the defaults, an
// optional JSON options file, the environment and the command line, then
// validates it once; a HERALD_* variable the family does not read is
// reported with the closest known name. Markdown renders the same tags as
// docs/configuration.md, which a test keeps current, so a setting added
// once is a flag, a variable and a documented row at once. Libraries take
// typed Config structs and never read the environment themselves.
//
// Settings that reach a library unchanged are grouped in a tagged struct
// the library embeds or carries whole, so they are not copied field by
// field: GatewayTuning (the gateway's limits, timeouts and quotas, in
// gateway.Config through node.Config.Gateway) and HTTPLimits (every
// listener's, node.Config.HTTP). A field added there is a flag, a
// variable, a documented row, a template check and a setting of the
// running gateway or listener at once; its zero value means its tag
// default (WithDefaults), and shared/node's TestGatewayTuningReachesTheGateway
// fails if one does not arrive.
package config
