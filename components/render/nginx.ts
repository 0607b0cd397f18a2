// The per-node apiserver proxy (Kubespray's nginx-proxy): nginx's stream module listens on
// localhost and forwards TCP to every apiserver; a connection that fails or times out moves on to
// the next apiserver, and a server that failed is skipped for a while (pure).

import { HOST_PATHS, HOST_VALUES } from "../hostLayout";
import { bareToken } from "./guard";

/** where the config is mounted inside the proxy container (not /etc/nginx: the image keeps its modules there) */
export const PROXY_CONTAINER_DIR = "/etc/kubeadm-ha-proxy";

export interface ProxySettings {
  /** apiserver addresses (control-plane private IPs) */
  upstreams: string[];
  apiPort: number;
  /** where the proxy listens; localhost only */
  listenPort: number;
  connectTimeout?: string;
  failTimeout?: string;
}

export function renderNginxProxyConf(s: ProxySettings): string {
  if (s.upstreams.length === 0) throw new Error("the apiserver proxy needs at least one apiserver");
  const connect = s.connectTimeout ?? "1s";
  const fail = s.failTimeout ?? "10s";
  const servers = [...s.upstreams]
    .sort()
    .map((ip) => `    server ${bareToken(ip, "an apiserver address")}:${s.apiPort} max_fails=1 fail_timeout=${fail};`);
  return [
    "# managed by kubeadm-ha: localhost -> every kube-apiserver",
    "# images that build the stream module as a loadable module (Debian's) enable it here;",
    "# images with it built in (nginx.org's) have no such directory, and the include matches nothing",
    "include /etc/nginx/modules-enabled/*.conf;",
    "daemon off;",
    "pid /tmp/kubeadm-ha-proxy.pid;",
    "error_log stderr notice;",
    "worker_processes 2;",
    "worker_rlimit_nofile 130048;",
    "events {",
    "  multi_accept on;",
    "  use epoll;",
    "  worker_connections 16384;",
    "}",
    "stream {",
    "  upstream kube_apiserver {",
    "    least_conn;",
    ...servers,
    "  }",
    "  server {",
    `    listen 127.0.0.1:${s.listenPort};`,
    "    proxy_pass kube_apiserver;",
    "    proxy_next_upstream on;",
    "    proxy_next_upstream_tries 0;",
    `    proxy_connect_timeout ${connect};`,
    "    proxy_timeout 10m;",
    "  }",
    "}",
    "http {",
    "  access_log off;",
    "  server {",
    `    listen 127.0.0.1:${HOST_VALUES.proxyHealthPort};`,
    "    location /healthz {",
    "      return 200 'ok';",
    "    }",
    "  }",
    "}",
    "",
  ].join("\n");
}

/**
 * A host service (not a static pod): it must serve before the node's kubelet has joined, since
 * the node joins through it. It runs the configured nginx image with containerd's `ctr`, so the
 * image can be preloaded on air-gapped hosts like every other image.
 */
export function renderProxyUnit(image: string): string {
  bareToken(image, "the apiserver proxy image");
  const ctr = "/usr/bin/env ctr -n k8s.io";
  const id = "kubeadm-ha-apiserver-proxy";
  return [
    "# managed by kubeadm-ha",
    "[Unit]",
    "Description=kubeadm-ha apiserver proxy (nginx: localhost -> every kube-apiserver)",
    "After=containerd.service network-online.target",
    "Requires=containerd.service",
    "",
    "[Service]",
    `ExecStartPre=-${ctr} task kill -s KILL ${id}`,
    `ExecStartPre=-${ctr} task delete ${id}`,
    `ExecStartPre=-${ctr} container delete ${id}`,
    `ExecStart=${ctr} run --rm --net-host --mount type=bind,src=${HOST_PATHS.proxyConfigDir},dst=${PROXY_CONTAINER_DIR},options=rbind:ro ${image} ${id} nginx -c ${PROXY_CONTAINER_DIR}/nginx.conf`,
    `ExecStop=-${ctr} task kill -s TERM ${id}`,
    "Restart=always",
    "RestartSec=2s",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}
