// Command ssogate is the ssogate server and command line; see
// internal/cli for the commands and internal/app for the server.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/ssogate/ssogate/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], &cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv})
	stop()
	os.Exit(code)
}
