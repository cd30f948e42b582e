// Package charts carries the Helm charts in the binaries that install them:
// deploy-kamonohashi renders charts/kamonohashi from this file system, so
// the chart a binary installs is the one it was built with.
package charts

import "embed"

// FS holds the kamonohashi chart under "kamonohashi/" (helpers included).
//
//go:embed all:kamonohashi
var FS embed.FS

// Kamonohashi is the chart's directory in FS.
const Kamonohashi = "kamonohashi"
