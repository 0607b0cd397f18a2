// The critical path of a `pulumi up`, from its event log (`pulumi up --event-log FILE`): every step's
// start (resourcePreEvent) and end (resOutputsEvent or resOpFailedEvent) at the engine's one-second
// resolution. Walking back from the step that ended last, each step's predecessor is the step that
// ended last before it started: most likely what it waited for (an approximation from times alone:
// the event log carries no dependencies, and within one second another node's step can be credited).
// Prints that chain, then each kind of step (node names folded to N) with its span, count and
// longest single step, which is the reliable view.
//   ts-node test/bench/profile.ts EVENTS.jsonl

import { readFileSync } from "fs";

interface Step {
  name: string;
  op: string;
  start: number;
  end?: number;
}

interface EngineEvent {
  timestamp: number;
  resourcePreEvent?: { metadata: { urn: string; op: string } };
  resOutputsEvent?: { metadata: { urn: string; op: string } };
  resOpFailedEvent?: { metadata: { urn: string; op: string } };
}

export function stepsOf(lines: string[]): Step[] {
  const steps = new Map<string, Step>();
  for (const line of lines) {
    if (!line.trim()) continue;
    const e = JSON.parse(line) as EngineEvent;
    const pre = e.resourcePreEvent?.metadata;
    // steps only: components (kubeadm-ha:...) span their children, providers and the stack are no steps
    const type = pre?.urn.split("::")[2]?.split("$").pop() ?? "";
    if (pre && pre.op !== "same" && !/^(kubeadm-ha:|pulumi:providers:|pulumi:pulumi:Stack)/.test(type)) {
      steps.set(pre.urn, { name: pre.urn.split("::").pop() ?? pre.urn, op: pre.op, start: e.timestamp });
    }
    const done = (e.resOutputsEvent ?? e.resOpFailedEvent)?.metadata;
    const step = done && steps.get(done.urn);
    if (step) step.end = e.timestamp;
  }
  return [...steps.values()].filter((s): s is Step & { end: number } => s.end !== undefined);
}

export function criticalPath(steps: Step[]): Step[] {
  const done = steps.filter((s) => s.end !== undefined) as (Step & { end: number })[];
  if (done.length === 0) return [];
  const byEnd = [...done].sort((a, b) => b.end - a.end || b.end - b.start - (a.end - a.start));
  const path = [byEnd[0]];
  for (;;) {
    const cur = path[path.length - 1];
    const pred = byEnd.find((s) => s !== cur && s.end <= cur.start && !path.includes(s));
    if (!pred) break;
    path.push(pred);
  }
  return path.reverse();
}

function main(file: string): void {
  const steps = stepsOf(readFileSync(file, "utf8").split("\n"));
  if (steps.length === 0) throw new Error(`${file}: no steps`);
  const t0 = Math.min(...steps.map((s) => s.start));
  const at = (t: number) => `${String(t - t0).padStart(4)} s`;
  console.log(`critical path (${steps.length} steps; walking back from the last to end):`);
  for (const s of criticalPath(steps))
    console.log(`  ${at(s.start)} -> ${at(s.end!)}  ${String(s.end! - s.start).padStart(3)} s  ${s.op} ${s.name}`);
  const kinds = new Map<string, { start: number; end: number; count: number; longest: number }>();
  for (const s of steps) {
    const kind = s.name.replace(/kha-node-\d+/g, "N");
    const k = kinds.get(kind) ?? { start: s.start, end: s.end!, count: 0, longest: 0 };
    k.start = Math.min(k.start, s.start);
    k.end = Math.max(k.end, s.end!);
    k.count++;
    k.longest = Math.max(k.longest, s.end! - s.start);
    kinds.set(kind, k);
  }
  console.log("steps by kind (span from the first start to the last end; count; longest one):");
  for (const [kind, k] of [...kinds].filter(([, k]) => k.end - k.start >= 2).sort((a, b) => a[1].start - b[1].start)) {
    console.log(`  ${at(k.start)} -> ${at(k.end)}  x${String(k.count).padEnd(3)} longest ${String(k.longest).padStart(3)} s  ${kind}`);
  }
}

if (require.main === module) main(process.argv[2]);
