// Package config reads the configuration of Herald's binaries from the
// environment, in one place, so this package is also the documented list of
// variables (README, "Configuration"). Mains call it; libraries take typed
// Config structs and never read the environment themselves.
package config
