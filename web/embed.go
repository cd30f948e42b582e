// Package web holds the built web console (web/dist, made by `make web`),
// embedded into the binary so that `kamonohashi server` serves it at /.
package web

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Assets returns the built console; Built reports whether it has been
// built into this binary (a `go build` without `make web` has only a
// placeholder).
func Assets() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the directory is embedded at compile time
	}
	return sub
}

// Built reports whether the console's index.html is present.
func Built() bool {
	_, err := fs.Stat(Assets(), "index.html")
	return err == nil
}
