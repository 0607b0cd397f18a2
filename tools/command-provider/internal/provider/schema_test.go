package provider

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	p "github.com/pulumi/pulumi-go-provider"
)

func TestDumpSchema(t *testing.T) {
	out := os.Getenv("DUMP_SCHEMA")
	if out == "" {
		t.Skip()
	}
	spec, err := p.GetSchema(context.Background(), Name, Version, New())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(spec, "", "  ")
	if err := os.WriteFile(out, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
