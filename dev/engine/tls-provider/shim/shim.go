// Package kubeadmhashim exposes the upstream terraform-provider-tls
// (a terraform-plugin-framework provider) to the Pulumi bridge.
package kubeadmhashim

import (
	"github.com/hashicorp/terraform-plugin-framework/provider"
	upstream "github.com/hashicorp/terraform-provider-tls/internal/provider"
)

// New returns a fresh instance of the upstream TLS provider.
func New() provider.Provider {
	return upstream.New()
}
