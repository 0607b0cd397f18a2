// Package provider assembles the `command` resource provider.
package provider

import (
	"context"
	"strings"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi-go-provider/middleware/schema"

	"github.com/kubeadm-ha/command-provider/internal/local"
	"github.com/kubeadm-ha/command-provider/internal/remote"
)

// Name is the package name the engine and the SDK know the provider by.
const Name = "command"

// Version is the release of the `command` package this provider stands in for
// (the npm package @pulumi/command@1.2.1 asks for exactly this plugin version).
const Version = "1.2.1"

// New returns the provider.
func New() p.Provider {
	prov := infer.Provider(infer.Options{
		Metadata: schema.Metadata{
			DisplayName: "Command",
			Description: "Runs commands and scripts locally or over SSH as part of the Pulumi resource model " +
				"(kubeadm-ha's offline implementation of the command package).",
			Keywords:   []string{"pulumi", "command", "category/utility", "kind/native"},
			License:    "Apache-2.0",
			Publisher:  "kubeadm-ha",
			Homepage:   "https://pulumi.com",
			Repository: "https://github.com/pulumi/pulumi-command",
			LanguageMap: map[string]any{
				"nodejs": map[string]any{"respectSchemaVersion": true},
			},
		},
		Resources: []infer.InferredResource{
			infer.Resource(&local.Command{}),
			infer.Resource(&remote.Command{}),
			infer.Resource(&remote.CopyToRemote{}),
			infer.Resource(&remote.CopyFile{}),
		},
		Functions: []infer.InferredFunction{
			infer.Function(&local.Run{}),
		},
	})
	inferredDiff := prov.Diff
	prov.Diff = func(ctx context.Context, req p.DiffRequest) (p.DiffResponse, error) {
		resp, err := inferredDiff(ctx, req)
		if err != nil {
			return resp, err
		}
		return replaceOnTriggerChange(resp), nil
	}
	return prov
}

// replaceOnTriggerChange makes any change under `triggers` a replacement.
// The inferred diff reports a changed element as `triggers[0]`, which the
// schema's replaceOnChanges on `triggers` does not catch; the SDKs also ask
// the engine for `replaceOnChanges: ["triggers[*]"]`, but the provider should
// not depend on that.
func replaceOnTriggerChange(resp p.DiffResponse) p.DiffResponse {
	for k, d := range resp.DetailedDiff {
		if k != "triggers" && !strings.HasPrefix(k, "triggers[") && !strings.HasPrefix(k, "triggers.") {
			continue
		}
		switch d.Kind {
		case p.Add:
			d.Kind = p.AddReplace
		case p.Update:
			d.Kind = p.UpdateReplace
		case p.Delete:
			d.Kind = p.DeleteReplace
		}
		resp.DetailedDiff[k] = d
	}
	return resp
}
