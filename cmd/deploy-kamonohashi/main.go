// Command deploy-kamonohashi installs KAMONOHASHI on a cluster of four
// machine roles (Kubernetes master, web system, storage, compute nodes) over
// SSH. The commands live in internal/deploy/cli.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/deploy/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, Getenv: os.Getenv, Now: time.Now})
	stop()
	os.Exit(code)
}
