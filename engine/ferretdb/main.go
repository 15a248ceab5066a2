// Command ferretdb-embedded runs FerretDB's embeddable package with its SQLite backend.
//
// We build FerretDB through this wrapper because `go install .../cmd/ferretdb` panics at start:
// its version package needs a version.txt that the module zip does not carry. When the main
// module is not FerretDB itself, that check is skipped.
//
// The process exits when its standard input closes, so a crashed parent never leaves it behind.
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
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on")
	dir := flag.String("sqlite-dir", "", "absolute directory for SQLite database files")
	watchStdin := flag.Bool("exit-on-stdin-close", false, "exit when standard input is closed")
	flag.Parse()

	if *dir == "" {
		fmt.Fprintln(os.Stderr, "ferretdb-embedded: -sqlite-dir is required")
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	if *watchStdin {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			stop()
		}()
	}

	db, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Handler:   "sqlite",
		SQLiteURL: "file:" + *dir + "/",
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb-embedded:", err)
		os.Exit(1)
	}

	fmt.Fprintln(os.Stderr, "ferretdb-embedded: listening on", *listen)
	db.Run(ctx)
}
