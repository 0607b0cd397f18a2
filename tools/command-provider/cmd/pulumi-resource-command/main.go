// Command pulumi-resource-command is the `command` resource provider plugin.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/kubeadm-ha/command-provider/internal/provider"
)

// version may be stamped with -ldflags "-X main.version=..."; it must match
// the version the SDK requests, so it defaults to provider.Version.
var version = provider.Version

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "--version" || os.Args[1] == "-version") {
		fmt.Println(version)
		return
	}
	if err := provider.New().Run(context.Background(), provider.Name, version); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
