// Command pulumi-tfgen-tls runs the bridge's tfgen on our mapping: it writes the
// Pulumi package schema (schema.json) and bridge-metadata.json for the plugin.
//
//	KHA_TLS_UPSTREAM_DIR=<module dir of terraform-provider-tls> \
//	  pulumi-tfgen-tls schema --skip-examples --out DIR
//
// KHA_TLS_UPSTREAM_DIR points tfgen at the upstream docs/ (for descriptions);
// without it tfgen would look the module up from a "provider" directory.
package main

import (
	"os"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"

	tlsprovider "kubeadm-ha/tls-provider"
)

func main() {
	info := tlsprovider.Provider([]byte("{}"))
	info.UpstreamRepoPath = os.Getenv("KHA_TLS_UPSTREAM_DIR")
	tfgen.Main("tls", info)
}
