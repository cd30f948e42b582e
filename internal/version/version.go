// Package version reports the build's version, set at link time by
// `make build` (-ldflags "-X …/internal/version.Version=…").
package version

// Version is the release or commit this binary was built from.
var Version = "dev"
