// Package tlsprovider is kubeadm-ha's own mapping of the upstream Terraform TLS
// provider onto the Pulumi package "tls" (the tokens used by the npm SDK
// @pulumi/tls@5.6.1). It is shared by the tfgen step and the provider plugin.
package tlsprovider

import (
	"github.com/hashicorp/terraform-provider-tls/kubeadmhashim"
	pf "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
)

// Version is the version of the Pulumi package this plugin serves. It must
// equal the "pulumi.version" of node_modules/@pulumi/tls/package.json.
const Version = "5.6.1"

// Tokens of the Pulumi package, as the npm SDK spells them.
var (
	resourceTokens = map[string]string{
		"tls_private_key":         "tls:index/privateKey:PrivateKey",
		"tls_self_signed_cert":    "tls:index/selfSignedCert:SelfSignedCert",
		"tls_locally_signed_cert": "tls:index/locallySignedCert:LocallySignedCert",
		"tls_cert_request":        "tls:index/certRequest:CertRequest",
	}
	functionTokens = map[string]string{
		"tls_public_key":  "tls:index/getPublicKey:getPublicKey",
		"tls_certificate": "tls:index/getCertificate:getCertificate",
	}
)

// Provider returns the bridge mapping. bridgeMetadata is the bridge-metadata.json
// written by tfgen ("{}" while running tfgen itself).
func Provider(bridgeMetadata []byte) tfbridge.ProviderInfo {
	resources := map[string]*tfbridge.ResourceInfo{}
	for tf, tok := range resourceTokens {
		resources[tf] = &tfbridge.ResourceInfo{Tok: tfbridge.MakeResource("tls", "index", typeName(tok))}
	}
	functions := map[string]*tfbridge.DataSourceInfo{}
	for tf, tok := range functionTokens {
		functions[tf] = &tfbridge.DataSourceInfo{Tok: tfbridge.MakeDataSource("tls", "index", typeName(tok))}
	}
	return tfbridge.ProviderInfo{
		P:            pf.ShimProvider(kubeadmhashim.New()),
		Name:         "tls",
		Version:      Version,
		Description:  "A Pulumi package to create TLS resources in Pulumi programs (kubeadm-ha offline build).",
		Keywords:     []string{"pulumi", "tls"},
		License:      "Apache-2.0",
		Homepage:     "https://pulumi.io",
		Repository:   "https://github.com/pulumi/pulumi-tls",
		GitHubOrg:    "hashicorp",
		MetadataInfo: tfbridge.NewProviderMetadata(bridgeMetadata),
		Resources:    resources,
		DataSources:  functions,
		// States written before schema versions existed are version 0.
		EnableZeroDefaultSchemaVersion: true,
	}
}

// typeName returns the last component of a token ("tls:index/privateKey:PrivateKey" -> "PrivateKey").
func typeName(tok string) string {
	for i := len(tok) - 1; i >= 0; i-- {
		if tok[i] == ':' {
			return tok[i+1:]
		}
	}
	return tok
}
