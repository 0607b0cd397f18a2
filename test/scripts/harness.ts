// Runs host scripts for real with bash against a temporary root (KHA_ROOT) and a directory of
// stub commands first on PATH. Stubs record every call; a few behave like the real tool where
// the scripts depend on it (kubeadm init writes admin.conf, kubectl prints nodes, ...).

import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const SCRIPTS = path.join(__dirname, "..", "..", "components", "scripts");

const STUBS: Record<string, string> = {
  // generic: record and succeed
  // units started or restarted are active until stopped (is-active answers from that)
  systemctl: [
    'u="${*: -1}"',
    'case "$1" in start|restart) touch "$STUB_DIR/active-$u";; stop) rm -f "$STUB_DIR/active-$u";; is-active) [ -e "$STUB_DIR/active-$u" ] || exit 3;; esac',
  ].join("\n"),
  modprobe: 'exit "${STUB_MODPROBE_EXIT:-0}"',
  sysctl: "",
  swapoff: "",
  "apt-get": "",
  iptables: 'case "$*" in *" -C "*) exit "${STUB_IPTABLES_CHECK_EXIT:-1}";; esac',
  "iptables-save": "",
  "iptables-restore": "cat >/dev/null",
  containerd: "",
  conntrack: "",
  socat: "",
  // healthz answers; other URLs are served from $STUB_WWW by their last path element, as curl -f does
  curl: [
    'case "$*" in *healthz*) exit 0;; esac',
    // etcd's HTTP gateway (kubeadm-init.sh asks whether a cluster exists): an empty etcd unless told
    `case "$*" in *"/v3/kv/range"*) [ -z "\${STUB_ETCD_DOWN:-}" ] || exit 7; empty='{"header":{}}'; printf '%s' "\${STUB_ETCD_RANGE:-$empty}"; exit 0;; esac`,
    'out=""; url=""; while [ $# -gt 0 ]; do case "$1" in -o) out=$2; shift;; -*) ;; *) url=$1;; esac; shift; done',
    'src="${STUB_WWW:-/nonexistent}/${url##*/}"',
    '[ -f "$src" ] || exit 22',
    'if [ -n "$out" ]; then cp "$src" "$out"; else cat "$src"; fi',
  ].join("\n"),
  ip: 'case "$*" in "route show proto 177") printf "%s" "${STUB_ROUTES:-}";; esac',
  // KHA_KILL: a process of KHA_PROC ends; the kubelet starts its static pod again under another
  // process id (unless STUB_NO_RESTART)
  kill: [
    'pid=${*: -1}; c=$(cat "$KHA_PROC/$pid/comm" 2>/dev/null); rm -rf "${KHA_PROC:?}/$pid"',
    'if [ -n "$c" ] && [ -z "${STUB_NO_RESTART:-}" ]; then mkdir -p "$KHA_PROC/$((pid + 1000))"; echo "$c" > "$KHA_PROC/$((pid + 1000))/comm"; fi',
  ].join("\n"),
  ctr: [
    'case "$*" in *"images ls -q"*) printf "%s\\n" ${STUB_IMAGES:-};; esac',
    'case "$*" in *"images import "*) echo "unpacking registry.k8s.io/pause:3.10.1 (sha256:0123)...done";; esac',
  ].join("\n"),
  // a fake etcd cluster (stubs/etcdctl.sh says how it behaves)
  etcdctl: fs.readFileSync(path.join(__dirname, "stubs", "etcdctl.sh"), "utf8"),
  kubeadm: [
    'case "$1 $2" in',
    '  "init --config") mkdir -p "$KHA_ROOT/etc/kubernetes" && echo admin > "$KHA_ROOT/etc/kubernetes/admin.conf";;',
    '  "join --config") mkdir -p "$KHA_ROOT/etc/kubernetes" && echo kubelet > "$KHA_ROOT/etc/kubernetes/kubelet.conf"; grep -q token "$3" "$KHA_ROOT/etc/kubeadm-ha/discovery.conf" 2>/dev/null || exit 3;;',
    // a new manifest each time, for which the kubelet runs a new apiserver process (unless STUB_APISERVER_RESTARTS=0)
    // (STUB_MANIFEST_SAME=1: the settings make the same manifest again)
    '  "init phase") if [ "$3" = control-plane ]; then mkdir -p "$KHA_ROOT/etc/kubernetes/manifests" && { [ -n "${STUB_MANIFEST_SAME:-}" ] && echo same || date +%s%N; } > "$KHA_ROOT/etc/kubernetes/manifests/kube-apiserver.yaml"; if [ -z "${STUB_MANIFEST_SAME:-}" ] && [ "${STUB_APISERVER_RESTARTS:-1}" = 1 ]; then for d in "$KHA_PROC"/*; do [ "$(cat "$d/comm" 2>/dev/null)" != kube-apiserver ] || rm -rf "$d"; done; n=$RANDOM$RANDOM; mkdir -p "$KHA_PROC/$n" && echo kube-apiserver > "$KHA_PROC/$n/comm"; fi; fi;;',
    // like kubeadm: kubeconfigs, static pods and the kubelet's files go, and every certificate under
    // --cert-dir (default /etc/kubernetes/pki); its remove-etcd-member phase, without the cluster's
    // config, deletes /var/lib/etcd (kubeadm's fallback)
    '  "reset -f") case "$*" in *--skip-phases=remove-etcd-member*) ;; *) rm -rf "$KHA_ROOT/var/lib/etcd";; esac; rm -f "$KHA_ROOT"/etc/kubernetes/{admin,super-admin,kubelet,bootstrap-kubelet,controller-manager,scheduler}.conf; rm -rf "$KHA_ROOT/etc/kubernetes/manifests" "$KHA_ROOT/var/lib/kubelet"; d=$(echo "$*" | sed -n "s/.*--cert-dir \\([^ ]*\\).*/\\1/p"); rm -rf "${d:-$KHA_ROOT/etc/kubernetes/pki}"/*;;',
    '  "certs check-expiration") echo "CERTIFICATE EXPIRES"; echo "admin.conf Dec 06, 2027";;',
    '  "token create") echo "abcdef.0123456789abcdef";;',
    '  "token list") echo "TOKEN   TTL   EXPIRES   USAGES   DESCRIPTION   EXTRA GROUPS"; [ -f "$STUB_DIR/default-token-deleted" ] || echo "k8sdef.0123456789abcdef   23h   2026-12-02T04:00:00Z   authentication,signing   <none>   system:bootstrappers:kubeadm:default-node-token"; [ -f "$STUB_DIR/join-token-deleted" ] || echo "abcdef.0123456789abcdef   29m   2026-12-01T08:00:00Z   authentication,signing   kubeadm-ha join of w-1   system:bootstrappers:kubeadm:default-node-token";;',
    '  "token delete") case "${*: -1}" in abcdef) touch "$STUB_DIR/join-token-deleted";; *) touch "$STUB_DIR/default-token-deleted";; esac;;',
    "esac",
  ].join("\n"),
  kubectl: [
    'case "$*" in',
    '  *"get nodes"*) printf "%b" "${STUB_NODES:-}";;',
    '  *"get --raw /readyz"*) exit "${STUB_KUBECTL_API_EXIT:-0}";;',
    // a Node exists unless STUB_NODE_ABSENT; its Ready condition is STUB_NODE_READY (False)
    // its kubelet version is the installed kubelet's (as after a restart), or STUB_NODE_VERSION
    '  *"get node "*) [ -z "${STUB_NODE_ABSENT:-}" ] || exit 1; case "$*" in *kubeletVersion*) if [ -n "${STUB_NODE_VERSION:-}" ]; then printf %s "$STUB_NODE_VERSION"; else "$KHA_ROOT/usr/local/bin/kubelet" --version | cut -d" " -f2 | tr -d "\\n"; fi;; *unschedulable*) [ ! -e "$STUB_DIR/cordoned" ] || printf true;; *cordoned-for-upgrade*) [ ! -e "$STUB_DIR/annotated" ] || printf true;; *jsonpath*) printf %s "${STUB_NODE_READY:-False}";; esac;;',
    // cordon state and our annotation, as the apiserver would keep them
    '  *" cordon "*) touch "$STUB_DIR/cordoned";;',
    '  *" annotate node "*) case "$*" in *cordoned-for-upgrade-*) rm -f "$STUB_DIR/annotated";; *) touch "$STUB_DIR/annotated";; esac;;',
    '  *" drain "*) exit "${STUB_KUBECTL_DRAIN_EXIT:-0}";;',
    // the first STUB_UNCORDON_FAILS uncordons are refused, as by an apiserver still filling its caches
    '  *" uncordon "*) n=$(cat "$STUB_DIR/uncordon-fails" 2>/dev/null || echo "${STUB_UNCORDON_FAILS:-0}"); if [ "$n" -gt 0 ]; then echo $((n - 1)) > "$STUB_DIR/uncordon-fails"; echo "Error from server (Forbidden)" >&2; exit 1; fi; rm -f "$STUB_DIR/cordoned";;',
    "esac",
  ].join("\n"),
  // (STUB_SSH_STDOUT_FILE: what the remote program prints, e.g. a tar of a snapshot)
  journalctl: 'printf "%b" "${STUB_JOURNAL:-}"',
  ssh: 'cat > "$STUB_DIR/ssh.stdin"; if [ -n "${STUB_SSH_STDERR:-}" ]; then echo "$STUB_SSH_STDERR" >&2; fi; if [ -n "${STUB_SSH_STDOUT_FILE:-}" ] && [ "${STUB_SSH_EXIT:-0}" = 0 ]; then cat "$STUB_SSH_STDOUT_FILE"; fi; exit "${STUB_SSH_EXIT:-0}"',
};

export interface Sandbox {
  root: string;
  stubDir: string;
  run(script: string, env?: Record<string, string>, stdin?: string, args?: string[]): { status: number; stdout: string; stderr: string };
  calls(): string[];
  write(file: string, content: string, mode?: number): void;
  read(file: string): string;
  exists(file: string): boolean;
  cleanup(): void;
}

export function sandbox(): Sandbox {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "kha-script-"));
  const root = path.join(base, "root");
  const stubDir = path.join(base, "stubs");
  fs.mkdirSync(root);
  fs.mkdirSync(stubDir);
  const procDir = path.join(base, "proc");
  fs.mkdirSync(procDir);
  for (const [name, body] of Object.entries(STUBS)) {
    fs.writeFileSync(path.join(stubDir, name), `#!/usr/bin/env bash\necho "${name} $*" >> "$STUB_DIR/calls"\n${body}\n`, { mode: 0o755 });
  }
  return {
    root,
    stubDir,
    run(script, env = {}, stdin = "", args = []) {
      const result = spawnSync("bash", [path.join(SCRIPTS, script), ...args], {
        input: stdin,
        encoding: "utf8",
        timeout: 30000,
        // (KHA_PROC: the scripts look for processes there, never at this machine's own)
        env: {
          PATH: `${stubDir}:/usr/bin:/bin:/usr/sbin:/sbin`,
          HOME: base,
          KHA_ROOT: root,
          STUB_DIR: stubDir,
          KHA_PROC: procDir,
          KHA_KILL: path.join(stubDir, "kill"),
          ...env,
        },
      });
      return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
    },
    calls() {
      const file = path.join(stubDir, "calls");
      return fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim().split("\n") : [];
    },
    write(file, content, mode = 0o644) {
      const target = path.join(root, file);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, content, { mode });
    },
    read(file) {
      return fs.readFileSync(path.join(root, file), "utf8");
    },
    exists(file) {
      return fs.existsSync(path.join(root, file));
    },
    cleanup() {
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
}
