// Command ferretdb-embedded runs FerretDB's embeddable package with its SQLite backend.
//
// We build FerretDB through this wrapper because `go install .../cmd/ferretdb` panics at start:
// its version package needs a version.txt that the module zip does not carry. When the main
// module is not FerretDB itself, that check is skipped.
//
// The process exits when its standard input closes, so a crashed parent never leaves it behind.
//
// It listens on a Unix domain socket only (no TCP): FerretDB has no authentication here, so the
// socket's directory permissions are the access control. Its umask is 077, so the socket and every
// file it creates (SQLite databases, WAL and shared-memory files) belong to its user alone.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	socket := flag.String("listen-unix", "", "Unix domain socket path to listen on")
	dir := flag.String("sqlite-dir", "", "absolute directory for SQLite database files")
	watchStdin := flag.Bool("exit-on-stdin-close", false, "exit when standard input is closed")
	flag.Parse()

	if *dir == "" || *socket == "" {
		fmt.Fprintln(os.Stderr, "ferretdb-embedded: -listen-unix and -sqlite-dir are required")
		os.Exit(2)
	}

	syscall.Umask(0o077)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	if *watchStdin {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			stop()
		}()
	}

	db, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{Unix: *socket},
		Handler:   "sqlite",
		SQLiteURL: "file:" + *dir + "/",
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb-embedded:", err)
		os.Exit(1)
	}

	fmt.Fprintln(os.Stderr, "ferretdb-embedded: listening on", *socket)
	db.Run(ctx)
}
