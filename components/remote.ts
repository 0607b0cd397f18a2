// How a phase runs on a node: one `command.remote.Command` whose command string is a constant
// `bash -s` and whose stdin carries the scripts, files and parameters (see render/program.ts).
// Secrets therefore only ever travel in stdin, which Pulumi keeps secret when any part is.

import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import type { ClusterNode } from "../providers/node";
import { BundleFile, renderStepProgram } from "./render/program";
import { readScript } from "./scripts";
import { HOST_PATHS } from "./hostLayout";

export interface HostFile {
  path: string;
  content: pulumi.Input<string>;
  mode?: string;
}

export interface StepArgs {
  node: ClusterNode;
  /** script under components/scripts to run, e.g. "etcd-install.sh" */
  script: string;
  /** other scripts the step's script calls, delivered alongside it */
  helpers?: string[];
  env?: Record<string, pulumi.Input<string>>;
  files?: HostFile[];
  dependsOn?: pulumi.Input<pulumi.Resource>[];
  /** the step prints a secret (a join token): keep stdout secret and unlogged */
  secretStdout?: boolean;
  /** the lock file the step holds (default: the host lock; HOST_PATHS.etcdLock for etcd member steps) */
  lock?: string;
}

/** Renders the stdin program of a step; an Output, secret when any input is. */
export function stepProgram(title: string, args: Omit<StepArgs, "node" | "dependsOn" | "secretStdout">): pulumi.Output<string> {
  // layout.sh: the host paths every script reads (lib.sh sources it)
  const scripts = [...new Set([args.script, ...(args.helpers ?? []), "layout.sh"])];
  const files = pulumi.all((args.files ?? []).map((f) => pulumi.all([f.path, f.content, f.mode ?? "0644"])));
  const env = pulumi.all(args.env ?? {});
  return pulumi.all([files, env]).apply(([fileList, envValues]) => {
    return renderStepProgram({
      title,
      putFilesScript: readScript("put-files.sh"),
      scripts: scripts.map((s) => ({ path: `${HOST_PATHS.scriptsDir}/${s}`, content: readScript(s), mode: "0755" })),
      files: fileList.map(([path, content, mode]): BundleFile => ({ path, content, mode })),
      run: `${HOST_PATHS.scriptsDir}/${args.script}`,
      env: envValues as Record<string, string>,
      lock: args.lock,
    });
  });
}

function shellFor(user: pulumi.Input<string> | undefined): pulumi.Output<string> {
  return pulumi.output(user ?? "root").apply((u) => (u === "root" ? "bash -s" : "sudo -n bash -s"));
}

export function runOnNode(name: string, args: StepArgs, opts: pulumi.CustomResourceOptions): command.remote.Command {
  const title = `${args.script.replace(/\.sh$/, "")} on ${args.node.name}`;
  return new command.remote.Command(
    name,
    {
      connection: args.node.connection,
      create: shellFor(args.node.connection.user),
      stdin: stepProgram(title, args),
      logging: args.secretStdout ? "none" : "stdoutAndStderr",
      addPreviousOutputInEnv: false,
    },
    {
      ...opts,
      dependsOn: [...args.node.ready, ...(args.dependsOn ?? [])],
      additionalSecretOutputs: args.secretStdout ? ["stdout"] : undefined,
    },
  );
}

/** local-ssh-run.sh's KHA_BASTION: user@host:port, or empty without a bastion. */
export function bastionArg(bastion: { user?: string; host: string; port?: number } | undefined): string {
  return bastion ? `${bastion.user ?? "root"}@${bastion.host}:${bastion.port ?? 22}` : "";
}

export interface ResetArgs {
  node: ClusterNode;
  script: string;
  env?: Record<string, pulumi.Input<string>>;
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * Bare metal clean-up on `pulumi destroy` (or when the node leaves the config): a local command
 * whose delete SSHes to the host with the system ssh client and runs the reset script there.
 * Local, not remote, so an unreachable host is reported and skipped instead of wedging destroy.
 * Its SSH pins the same host keys as every remote step (local-ssh-run.sh).
 */
/** What local-ssh-run.sh needs to reach a node (its private key goes in on stdin, never here). */
export function localSshEnvironment(node: ClusterNode): Record<string, pulumi.Input<string>> {
  const c = node.connection;
  const proxy = pulumi.output(c.proxy);
  return {
    KHA_SSH_RUN: readScript("local-ssh-run.sh"),
    KHA_NODE: node.name,
    KHA_HOST: c.host,
    KHA_PORT: pulumi.output(c.port ?? 22).apply(String),
    KHA_USER: pulumi.output(c.user ?? "root"),
    KHA_HOST_KEY: pulumi.output(c.hostKey ?? ""),
    KHA_BASTION: proxy.apply((p) => bastionArg(p)),
    KHA_BASTION_HOST_KEY: proxy.apply((p) => p?.hostKey ?? ""),
    KHA_REMOTE_SHELL: shellFor(c.user),
  };
}

export function resetOnDestroy(name: string, args: ResetArgs, opts: pulumi.CustomResourceOptions): command.local.Command {
  const c = args.node.connection;
  const title = `${args.script.replace(/\.sh$/, "")} on ${args.node.name}`;
  return new command.local.Command(
    name,
    {
      create: "true",
      delete: 'bash -c "$KHA_SSH_RUN"',
      environment: {
        ...localSshEnvironment(args.node),
        KHA_REMOTE_PROGRAM: stepProgram(title, { script: args.script, helpers: ["lib.sh"], env: args.env }),
      },
      stdin: pulumi.secret(c.privateKey ?? ""),
      logging: "stdoutAndStderr",
      addPreviousOutputInEnv: false,
    },
    { ...opts, dependsOn: [...args.node.ready, ...(args.dependsOn ?? [])] },
  );
}

/**
 * A Kubernetes node leaving the cluster (removed from the config, or `pulumi destroy`): on delete,
 * node-leave.sh on `via` (a control plane) cordons and drains the node (bounded) and deletes its
 * Node, before the node's own reset, which depends on what `dependsOn` names. A local command like
 * the resets, so a cluster that is already gone never wedges destroy.
 */
export function leaveStep(
  name: string,
  node: ClusterNode,
  via: ClusterNode,
  dependsOn: pulumi.Input<pulumi.Resource>[],
  opts: pulumi.CustomResourceOptions,
): command.local.Command {
  return resetOnDestroy(name, { node: via, script: "node-leave.sh", env: { KHA_LEAVING: node.name }, dependsOn }, opts);
}
