#!/usr/bin/env bash
# Round trip of upstream's command plugin (dev/engine/build-command.sh) through the real engine, in the
# ways the components use it: fixtures/command runs @pulumi/command against an sshd started here on
# 127.0.0.1:<free port>, with the host key pinned. State is a temp file backend. Checks: preview
# runs nothing; up runs create, copies files; stdin and the private key are encrypted in the state;
# an input change runs create again (no replace) and update for the local command; a triggers
# change replaces (create, then delete of the old); a failing command's error carries its output;
# destroy runs delete.
#
#   test/engine/command.test.sh     (needs dev/engine/toolchain.sh run)
set -euo pipefail
# shellcheck source=test/engine/lib.sh
source "$(dirname "$0")/lib.sh"

engine_require_toolchain
engine_skip_unless_plugin command
[[ -x /usr/sbin/sshd ]] || { say "FAIL: /usr/sbin/sshd missing (apt-get install openssh-server)"; exit 1; }

sshd_pid=""
stop_sshd() { if [[ -n "$sshd_pid" ]]; then kill "$sshd_pid" 2>/dev/null || true; fi; }
engine_stage_fixture command
work=$ENGINE_WORK
ENGINE_CLEANUPS+=(stop_sshd)

# --- sshd on loopback -------------------------------------------------------
ssh-keygen -q -t ed25519 -N '' -f "$work/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$work/client_key"
cp "$work/client_key.pub" "$work/authorized_keys"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/sshd_config" <<CFG
Port $port
ListenAddress 127.0.0.1
HostKey $work/host_key
AuthorizedKeysFile $work/authorized_keys
PidFile none
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
AcceptEnv KHA_ACCEPTED_* PULUMI_COMMAND_*
Subsystem sftp /usr/lib/openssh/sftp-server
LogLevel ERROR
CFG
mkdir -p /run/sshd
/usr/sbin/sshd -D -e -f "$work/sshd_config" 2>"$work/sshd.log" &
sshd_pid=$!
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done

# --- state, marks ------------------------------------------------------------
mkdir -p "$work/marks" "$work/dest"
unset SSH_AUTH_SOCK

pulumi stack init dev --non-interactive >/dev/null
pulumi config set port "$port"
pulumi config set user "$(id -un)"
pulumi config set hostKey "$(cut -d' ' -f1,2 "$work/host_key.pub")"
pulumi config set --secret privateKey <"$work/client_key"
pulumi config set marks "$work/marks"
pulumi config set dest "$work/dest"

lines() { if [[ -f "$1" ]]; then wc -l <"$1"; else echo 0; fi; }
output() { pulumi stack output "$1" --show-secrets; }

# --- preview runs nothing ---------------------------------------------------
pulumi preview --non-interactive >"$work/preview1.log" 2>&1 || { cat "$work/preview1.log"; exit 1; }
check "preview ran no remote command" test "$(lines "$work/marks/remote.log")" = 0
check "preview ran no local command" test "$(lines "$work/marks/local.log")" = 0
check "preview copied nothing" test ! -e "$work/dest/text.txt"

# --- up ---------------------------------------------------------------------
pulumi up --yes --non-interactive >"$work/up1.log" 2>&1 || { cat "$work/up1.log"; exit 1; }
check "remote create ran once" test "$(cat "$work/marks/remote.log")" = "create-1"
check "remote stdout (stdin + environment)" test "$(output remoteStdout)" = "gen=1 toklen=22 env=from-environment"
check "local stdout" test "$(output localStdout)" = "local-1"
check "FileAsset copied" test "$(cat "$work/dest/etc/kubeadm/kubeadm.yaml")" = "kind: InitConfiguration"
check "StringAsset copied" test "$(cat "$work/dest/text.txt")" = "text-gen-1"
check "FileArchive directory copied" test "$(cat "$work/dest/opt/tree/sub/b.sh")" = "echo b"
check "logging=stdout streamed the command's stdout" grep -q "gen=1 toklen=22" "$work/up1.log"
check "logging=none streamed nothing" bash -c "! grep -v 'quietStdout' '$work/up1.log' | grep -q 'quiet-'"
check "logging=none still captured stdout" test "$(output quietStdout)" = "quiet-marker"

pulumi stack export >"$work/state.json"
check "stdin is not in the state in clear" bash -c "! grep -q 's3cr3t-bootstrap-token' '$work/state.json'"
check "private key is not in the state in clear" bash -c "! grep -q \"\$(sed -n 2p '$work/client_key')\" '$work/state.json'"
check "connection and stdin are secrets in the state" node -e '
const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const r = s.deployment.resources.find(r => r.type === "command:remote:Command" && r.urn.endsWith("::remote"));
const sec = v => v && v["4dabf18193072939515e22adb298388d"] === "1b47061264138c4ac30d75fd1eb44270";
process.exit(sec(r.outputs.connection) && sec(r.outputs.stdin) && sec(r.inputs.connection) ? 0 : 1);
' "$work/state.json"

# --- no change: nothing runs ------------------------------------------------
pulumi up --yes --non-interactive >"$work/up2.log" 2>&1 || { cat "$work/up2.log"; exit 1; }
check "an unchanged up runs nothing" test "$(lines "$work/marks/remote.log"):$(lines "$work/marks/local.log")" = "1:1"
pulumi refresh --yes --non-interactive >"$work/refresh.log" 2>&1 || { cat "$work/refresh.log"; exit 1; }
check "refresh keeps the state: no changes after it" \
  bash -c "pulumi preview --expect-no-changes --non-interactive >'$work/preview-after-refresh.log' 2>&1"

# --- input change: create again / update, no replace ------------------------
pulumi config set gen 2
pulumi preview --non-interactive >"$work/preview2.log" 2>&1 || { cat "$work/preview2.log"; exit 1; }
check "preview of a change runs nothing" test "$(lines "$work/marks/remote.log"):$(lines "$work/marks/local.log")" = "1:1"
check "preview shows an update, not a replace" bash -c "grep -q 'update' '$work/preview2.log' && ! grep -q 'replace' '$work/preview2.log'"
pulumi up --yes --non-interactive >"$work/up3.log" 2>&1 || { cat "$work/up3.log"; exit 1; }
check "remote: create ran again, no delete" test "$(tr '\n' ' ' <"$work/marks/remote.log")" = "create-1 create-2 "
check "remote stdout updated" test "$(output remoteStdout)" = "gen=2 toklen=22 env=from-environment"
check "local: update ran with the previous stdout" test "$(output localStdout)" = "updated-2 after local-1"
check "StringAsset copied again" test "$(cat "$work/dest/text.txt")" = "text-gen-2"

# --- triggers change: replace ----------------------------------------------
pulumi config set trigger t2
pulumi up --yes --non-interactive >"$work/up4.log" 2>&1 || { cat "$work/up4.log"; exit 1; }
check "triggers change replaced: create new, then delete old" test "$(tr '\n' ' ' <"$work/marks/remote.log")" = \
  "create-1 create-2 create-2 delete after gen=2 toklen=22 env=from-environment "
check "the up reports a replacement" grep -q "replaced" "$work/up4.log"

# --- a failing command -----------------------------------------------------
pulumi config set fail true
if pulumi up --yes --non-interactive >"$work/up5.log" 2>&1; then
  check "a failing command fails the up" false
else
  check "the error names the command" grep -q 'running "echo context-line' "$work/up5.log"
  check "the error carries stderr" grep -q "the-reason-it-failed" "$work/up5.log"
  check "the error carries stdout" grep -q "context-line" "$work/up5.log"
fi
pulumi config rm fail

# --- the program's own SSH (local-ssh-run.sh) against the same sshd ----------
ssh_run() { KHA_NODE=loopback KHA_HOST=127.0.0.1 KHA_PORT=$port KHA_USER="$(id -un)" KHA_SSH_TRIES=1 bash "$REPO/components/scripts/local-ssh-run.sh" <"$work/client_key"; }
pinned="$(cut -d' ' -f1,2 "$work/host_key.pub")"
ssh-keygen -q -t ed25519 -N '' -f "$work/impostor_key"
impostor="$(cut -d' ' -f1,2 "$work/impostor_key.pub")"
pinned_check() { KHA_SSH_MODE=check KHA_HOST_KEY="$pinned" ssh_run 2>/dev/null; }
check "check mode: the pinned key passes" pinned_check
status=0
KHA_SSH_MODE=check KHA_HOST_KEY="$impostor" ssh_run 2>"$work/changed.err" || status=$?
check "check mode: another key fails" test "$status" = 1
check "  naming the host" grep -q "loopback (127.0.0.1:$port)" "$work/changed.err"
check "  with the pinned fingerprint" grep -qF "pinned $(ssh-keygen -lf "$work/impostor_key.pub" | awk '{print $2}')" "$work/changed.err"
check "  and the offered one" grep -qF "offered $(ssh-keygen -lf "$work/host_key.pub" | awk '{print $2}')" "$work/changed.err"
check "scan mode prints the key the host shows" test "$(KHA_SSH_MODE=scan ssh_run 2>/dev/null)" = "$pinned"
check "run mode runs the program there" test "$(KHA_HOST_KEY="$pinned" KHA_REMOTE_PROGRAM="echo ran-\$((6*7))" ssh_run 2>/dev/null)" = "ran-42"

# --- destroy runs delete ---------------------------------------------------
pulumi destroy --yes --non-interactive >"$work/destroy.log" 2>&1 || { cat "$work/destroy.log"; exit 1; }
check "destroy ran remote delete" test "$(tail -n1 "$work/marks/remote.log")" = "delete after gen=2 toklen=22 env=from-environment"
check "destroy ran local delete" test "$(tail -n1 "$work/marks/local.log")" = "local-delete"
pulumi stack rm --yes --non-interactive >/dev/null

engine_finish
