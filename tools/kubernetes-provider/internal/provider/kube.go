package provider

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
)

// clientConfig builds the client configuration from the provider settings
// without contacting the cluster. kubeconfig is the contents of a kubeconfig
// (YAML or JSON) or the path of one; empty means the default loading rules
// ($KUBECONFIG, ~/.kube/config).
func clientConfig(kubeconfig, contextName, cluster string) (clientcmd.ClientConfig, error) {
	overrides := &clientcmd.ConfigOverrides{CurrentContext: contextName}
	if cluster != "" {
		overrides.Context.Cluster = cluster
	}
	if strings.TrimSpace(kubeconfig) == "" {
		return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(clientcmd.NewDefaultClientConfigLoadingRules(), overrides), nil
	}
	data := []byte(kubeconfig)
	if s := strings.TrimSpace(kubeconfig); !strings.Contains(s, "\n") && !strings.HasPrefix(s, "{") {
		path := s
		if strings.HasPrefix(path, "~/") {
			if home, err := os.UserHomeDir(); err == nil {
				path = filepath.Join(home, path[2:])
			}
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("kubeconfig is one line, so it is taken for a path, and reading it failed: %w", err)
		}
		data = b
	}
	cfg, err := clientcmd.Load(data)
	if err != nil {
		return nil, fmt.Errorf("parsing kubeconfig: %w", err)
	}
	return clientcmd.NewDefaultClientConfig(*cfg, overrides), nil
}

// kubeClients are built on first use: never during a preview.
type kubeClients struct {
	dyn    dynamic.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
}

func newKubeClients(cc clientcmd.ClientConfig) (*kubeClients, error) {
	rc, err := cc.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	rc = rest.CopyConfig(rc)
	rc.QPS, rc.Burst = 50, 100
	if rc.Timeout == 0 {
		rc.Timeout = 60 * time.Second
	}
	rc.UserAgent = "pulumi-resource-kubernetes (kubeadm-ha)"
	dc, err := discovery.NewDiscoveryClientForConfig(rc)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		return nil, err
	}
	return &kubeClients{dyn: dyn, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))}, nil
}

// mapping finds the REST resource of a kind through discovery, refreshing the
// cached discovery once when the kind is unknown (a CRD created moments ago).
func (kc *kubeClients) mapping(k Kind) (*meta.RESTMapping, error) {
	gk := k.GVK.GroupKind()
	m, err := kc.mapper.RESTMapping(gk, k.GVK.Version)
	if err != nil && meta.IsNoMatchError(err) {
		kc.mapper.Reset()
		m, err = kc.mapper.RESTMapping(gk, k.GVK.Version)
	}
	if err != nil {
		return nil, fmt.Errorf("finding the API resource of %s: %w", k.GVK, err)
	}
	return m, nil
}

// unreachable reports errors that mean the cluster could not be reached at
// all (as opposed to an API error answered by the cluster).
func unreachable(err error) bool {
	if err == nil {
		return false
	}
	var ue *url.Error
	var oe *net.OpError
	var de *net.DNSError
	if errors.As(err, &ue) || errors.As(err, &oe) || errors.As(err, &de) {
		return true
	}
	var dfe *discovery.ErrGroupDiscoveryFailed
	if errors.As(err, &dfe) {
		return false
	}
	return strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "no such host") ||
		strings.Contains(err.Error(), "i/o timeout")
}

func isNotFound(err error) bool { return apierrors.IsNotFound(err) }

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
