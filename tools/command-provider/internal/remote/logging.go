package remote

import (
	"github.com/pulumi/pulumi-go-provider/infer"

	"github.com/kubeadm-ha/command-provider/internal/shellrun"
)

// Logging selects which of the command's streams are streamed to the engine
// log. Both are always captured as outputs.
type Logging string

// Values lists the enum's members for the schema.
func (Logging) Values() []infer.EnumValue[Logging] {
	return []infer.EnumValue[Logging]{
		{Value: shellrun.LogStdout, Description: "Capture stdout in logs but not stderr"},
		{Value: shellrun.LogStderr, Description: "Capture stderr in logs but not stdout"},
		{Value: shellrun.LogStdoutAndStderr,
			Description: "Capture stdout and stderr in logs"},
		{Value: shellrun.LogNone, Description: "Capture no logs"},
	}
}

func (l *Logging) mode() *string {
	if l == nil {
		return nil
	}
	s := string(*l)
	return &s
}
