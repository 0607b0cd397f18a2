// Exercises every resource of the command plugin through the real engine.
// Driven by tools/command-provider/engine-test/run.sh through stack config.
"use strict";
const pulumi = require("@pulumi/pulumi");
const command = require("@pulumi/command");

const cfg = new pulumi.Config();
const gen = cfg.get("gen") || "1";
const trigger = cfg.get("trigger") || "t1";
const marks = cfg.require("marks"); // a local directory the commands append to
const dest = cfg.require("dest"); // where the copies go ("remote" is loopback)

const connection = {
    host: "127.0.0.1",
    port: cfg.requireNumber("port"),
    user: cfg.require("user"),
    privateKey: cfg.requireSecret("privateKey"),
    hostKey: cfg.require("hostKey"),
    dialErrorLimit: 2,
    perDialTimeout: 5,
};

// No `update`: a change of its inputs runs `create` again; a change of
// `triggers` replaces it (create the new one, then delete the old).
const remote = new command.remote.Command("remote", {
    connection,
    create: "read -r tok; echo \"gen=" + gen + " toklen=${#tok} env=$KHA_ACCEPTED_A\"; " +
        "echo create-" + gen + " >> " + marks + "/remote.log",
    delete: "echo \"delete after $PULUMI_COMMAND_STDOUT\" >> " + marks + "/remote.log",
    stdin: pulumi.secret("s3cr3t-bootstrap-token\n"),
    environment: { KHA_ACCEPTED_A: "from-environment" },
    triggers: [trigger],
    logging: "stdout",
});

const local = new command.local.Command("local", {
    create: "echo local-" + gen + "; echo local-create >> " + marks + "/local.log",
    update: "echo \"updated-" + gen + " after $PULUMI_COMMAND_STDOUT\"; echo local-update >> " + marks + "/local.log",
    delete: "echo local-delete >> " + marks + "/local.log",
});

// logging: none: captured as an output, never streamed to the engine log.
const quiet = new command.remote.Command("quiet", {
    connection,
    create: "echo quiet-marker; echo quiet-stderr >&2",
    logging: "none",
});

const copies = [
    new command.remote.CopyToRemote("file", {
        connection, source: new pulumi.asset.FileAsset("files/kubeadm.yaml"),
        remotePath: dest + "/etc/kubeadm/kubeadm.yaml",
    }),
    new command.remote.CopyToRemote("text", {
        connection, source: new pulumi.asset.StringAsset("text-gen-" + gen + "\n"),
        remotePath: dest + "/text.txt",
    }),
    new command.remote.CopyToRemote("tree", {
        connection, source: new pulumi.asset.FileArchive("files/tree"),
        remotePath: dest + "/opt",
    }),
];

if (cfg.getBoolean("fail")) {
    new command.remote.Command("failing", {
        connection,
        create: "echo context-line; echo the-reason-it-failed >&2; exit 3",
    }, { dependsOn: copies });
}

exports.remoteStdout = remote.stdout;
exports.localStdout = local.stdout;
exports.quietStdout = quiet.stdout;
