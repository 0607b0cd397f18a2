import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { gunzipSync } from "fflate";
import { compressedLines, LOCK_WAIT_SECONDS, parseBundle, programBundle, renderBundle, renderStepProgram, shellQuote } from "./program";

describe("step programs", () => {
  it("quotes anything for the shell", () => {
    expect(shellQuote("it's")).toBe(`'it'"'"'s'`);
    expect(shellQuote("a\nb $x")).toBe("'a\nb $x'");
  });

  it("carries text as its lines in the bundle, and anything with a NUL byte as base64", () => {
    expect(renderBundle([{ path: "/etc/x.conf", content: "hello\nend\n", mode: "0640" }])).toBe(
      "text 0640 /etc/x.conf\n|hello\n|end\nend\n",
    );
    expect(renderBundle([{ path: "/x", content: "no newline", mode: "0644" }])).toBe("text 0644 /x -n\n|no newline\nend\n");
    expect(renderBundle([{ path: "/x", content: "", mode: "0644" }])).toBe("text 0644 /x\nend\n");
    expect(renderBundle([{ path: "/x", content: "a\0b", mode: "0644" }])).toBe(
      `file 0644 /x\n${Buffer.from("a\0b").toString("base64")}\nend\n`,
    );
    const files = ["", "\n", "x", "a\nb\n\n", "|end\nend", "nul\0"].map((content, i) => ({ path: `/f${i}`, content, mode: "0600" }));
    expect(parseBundle(renderBundle(files))).toEqual(files);
    expect(() => renderBundle([{ path: "etc/x", content: "", mode: "0644" }])).toThrow(/absolute/);
    expect(() => renderBundle([{ path: "/etc/../x", content: "", mode: "0644" }])).toThrow(/absolute/);
    expect(() =>
      renderBundle([
        { path: "/a", content: "", mode: "0644" },
        { path: "/a", content: "", mode: "0644" },
      ]),
    ).toThrow(/twice/);
  });

  it("compresses the same text to the same bytes, which gzip on the host reads back", () => {
    const text = fs.readFileSync(path.join(__dirname, "..", "scripts", "lib.sh"), "utf8");
    const lines = compressedLines(text);
    expect(compressedLines(text)).toBe(lines); // no time or name in the header: no diff on an unchanged step
    expect(lines.split("\n").every((l) => l.length <= 76)).toBe(true);
    expect(lines.length).toBeLessThan(Buffer.from(text).toString("base64").length / 2); // what it replaced
    const gz = Buffer.from(lines.replace(/\n/g, ""), "base64");
    expect(Buffer.from(gunzipSync(gz)).toString("utf8")).toBe(text);
    expect(execFileSync("gzip", ["-dc"], { input: gz, encoding: "utf8" })).toBe(text);
  });

  it("carries the bundle compressed, and gives it back", () => {
    const files = [{ path: "/etc/x.conf", content: "secret-ish\n", mode: "0600" }];
    const program = renderStepProgram({ title: "t", putFilesScript: "#!/bin/bash\n", files, run: "/x", env: {} });
    expect(program).not.toContain("secret-ish");
    expect(programBundle(program)).toBe(renderBundle(files));
    expect(() => programBundle("echo hi\n")).toThrow(/not a kubeadm-ha step program/);
  });

  it("carries the host scripts as their own part, the same text in every step that runs them", () => {
    const scripts = [{ path: "/opt/kubeadm-ha/scripts/a.sh", content: "echo a\n", mode: "0755" }];
    const step = (key: string) =>
      renderStepProgram({
        title: key,
        putFilesScript: "#!/bin/bash\n",
        scripts,
        files: [{ path: "/etc/key", content: `${key}\n`, mode: "0600" }],
        run: "/opt/kubeadm-ha/scripts/a.sh",
        env: {},
      });
    const [one, two] = [step("one"), step("two")];
    expect(programBundle(one)).toBe(renderBundle([...scripts, { path: "/etc/key", content: "one\n", mode: "0600" }]));
    const scriptsPart = (program: string) => program.split("base64 -d <<'KHA_EOF' | gzip -dc\n")[1];
    expect(scriptsPart(one)).toBe(scriptsPart(two));
    expect(one).not.toBe(two);
    // a path in both parts would be written twice, the scripts' copy lost
    expect(() =>
      renderStepProgram({ title: "t", putFilesScript: "", scripts, files: [{ ...scripts[0], content: "x" }], run: "/x", env: {} }),
    ).toThrow(/twice/);
  });

  it("ends with the script run, parameters sorted and quoted, stdin closed", () => {
    const program = renderStepProgram({
      title: "t",
      putFilesScript: "#!/bin/bash\n",
      files: [],
      run: "/opt/kubeadm-ha/scripts/x.sh",
      env: { KHA_B: "2", KHA_A: "o'k" },
    });
    expect(program.trimEnd().split("\n").pop()).toBe(`KHA_A='o'"'"'k' KHA_B='2' bash /opt/kubeadm-ha/scripts/x.sh </dev/null`);
    expect(() => renderStepProgram({ title: "t", putFilesScript: "", files: [], run: "/x", env: { "bad name": "" } })).toThrow(
      /bad environment/,
    );
  });
});

/**
 * A program's absolute host paths moved under a test directory: those in its own lines here, the
 * bundle's through put-files.sh's KHA_ROOT (run the program with KHA_ROOT=dir).
 */
function rebase(program: string, dir: string): string {
  return program.replace(/\/opt\/kubeadm-ha/g, `${dir}/opt/kubeadm-ha`).replace(/\/run\/kubeadm-ha\.lock/g, `${dir}/host.lock`);
}

describe("step programs run for real", () => {
  it("install put-files atomically and run each step with its files in place, many at once", () => {
    // the program's absolute paths are rebased onto a temporary directory for the test
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kha-program-"));
    const putFiles = fs.readFileSync(path.join(__dirname, "..", "scripts", "put-files.sh"), "utf8");
    try {
      const count = 8;
      for (let i = 0; i < count; i++) {
        const program = renderStepProgram({
          title: `t${i}`,
          putFilesScript: putFiles,
          // the scripts part and the step's own part both land
          scripts: [{ path: "/opt/kubeadm-ha/scripts/shared.sh", content: `echo ran-\n`, mode: "0755" }],
          files: [
            {
              path: `/opt/kubeadm-ha/scripts/step${i}.sh`,
              content: `echo "$(bash ${dir}/opt/kubeadm-ha/scripts/shared.sh)${i}" > ${dir}/out${i}\n`,
              mode: "0755",
            },
          ],
          run: `/opt/kubeadm-ha/scripts/step${i}.sh`,
          env: {},
        });
        fs.writeFileSync(path.join(dir, `p${i}`), rebase(program, dir));
      }
      const runAll = Array.from({ length: count }, (_, i) => `KHA_ROOT=${dir} bash -s < ${dir}/p${i} > ${dir}/log${i} 2>&1 &`).join("\n");
      execFileSync("bash", ["-c", `${runAll}\nwait`], { encoding: "utf8" });
      for (let i = 0; i < count; i++) {
        expect(fs.readFileSync(path.join(dir, `out${i}`), "utf8")).toBe(`ran-${i}\n`);
      }
      // no step leaves its put-files.sh copy or its decompressed bundle (which holds keys) behind
      expect(fs.readdirSync(path.join(dir, "opt/kubeadm-ha/scripts")).filter((f) => f.startsWith("."))).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("take the host lock: a step waits for one still running (say, left by a killed run), and gives up after its bound", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kha-lock-"));
    const putFiles = fs.readFileSync(path.join(__dirname, "..", "scripts", "put-files.sh"), "utf8");
    const step = (name: string, body: string) => {
      const program = renderStepProgram({
        title: name,
        putFilesScript: putFiles,
        files: [{ path: `/opt/kubeadm-ha/scripts/${name}.sh`, content: body, mode: "0755" }],
        run: `/opt/kubeadm-ha/scripts/${name}.sh`,
        env: {},
      });
      fs.writeFileSync(path.join(dir, name), rebase(program, dir));
    };
    try {
      step("slow", `echo slow-start >> ${dir}/order; sleep 2; echo slow-end >> ${dir}/order\n`);
      step("next", `echo next >> ${dir}/order\n`);
      execFileSync("bash", [
        "-c",
        `export KHA_ROOT=${dir}; bash -s < ${dir}/slow & sleep 0.5; bash -s < ${dir}/next 2> ${dir}/next.err; wait`,
      ]);
      expect(fs.readFileSync(path.join(dir, "order"), "utf8")).toBe("slow-start\nslow-end\nnext\n");
      expect(fs.readFileSync(path.join(dir, "next.err"), "utf8")).toContain("another kubeadm-ha step is running on this host; waiting");
      // a lock held past the bound (shortened here) fails the step, naming the lock
      fs.writeFileSync(path.join(dir, "next"), fs.readFileSync(path.join(dir, "next"), "utf8").replace(`-w ${LOCK_WAIT_SECONDS}`, "-w 1"));
      const held = spawnSync(
        "bash",
        ["-c", `export KHA_ROOT=${dir}; flock ${dir}/host.lock sleep 3 & sleep 0.5; bash -s < ${dir}/next; status=$?; wait; exit $status`],
        {
          encoding: "utf8",
        },
      );
      expect(held.status).toBe(1);
      expect(held.stderr).toContain(`still holds ${dir}/host.lock`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
