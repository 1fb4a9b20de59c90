// Command kassa is the back office of a shop that sells over the counter and through
// Shopify: the daemon, the register terminal and the command line in one binary.
// main parses the command line and wires the parts together; the rules live in the
// domain packages.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
