// Command pulumi-resource-kubernetes is kubeadm-ha's own `kubernetes`
// resource provider plugin (see tools/kubernetes-provider/README.md).
package main

import (
	"fmt"
	"os"

	pprovider "github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	kp "github.com/kubeadm-ha/kubernetes-provider/internal/provider"
)

// version is stamped by tools/build-kubernetes.sh (-X main.version=...).
var version = "4.34.2"

func main() {
	if len(os.Args) == 2 && (os.Args[1] == "--version" || os.Args[1] == "-version") {
		fmt.Println(version)
		return
	}
	err := pprovider.Main("kubernetes", func(h *pprovider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return kp.New(h, version), nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
