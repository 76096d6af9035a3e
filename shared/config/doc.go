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
package config
