// The lab benchmark's JSON: each measure's min/median/max over its runs, the ratios the README's
// performance table reports, the critical path text, the commit and the machine.
//   ts-node test/bench/summary.ts RESULTS.tsv PROFILE.txt COMMIT OUT.json   (prints the table)

import { readFileSync, writeFileSync } from "fs";
import * as os from "os";

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export interface Measure {
  name: string;
  n: number;
  min: number;
  median: number;
  max: number;
  runs: number[];
}

export function measures(tsv: string): Measure[] {
  const runs = new Map<string, number[]>();
  for (const line of tsv.split("\n")) {
    const [name, value] = line.split("\t");
    if (!name || value === undefined) continue;
    runs.set(name, [...(runs.get(name) ?? []), Number(value)]);
  }
  return [...runs].map(([name, xs]) => ({ name, n: xs.length, min: Math.min(...xs), median: median(xs), max: Math.max(...xs), runs: xs }));
}

export function ratios(ms: Measure[], cores = os.cpus().length): Record<string, number> {
  const med = (name: string) => ms.find((m) => m.name === name)?.median;
  const out: Record<string, number> = {};
  const ratio = (label: string, a?: number, b?: number) => {
    if (a !== undefined && b !== undefined && b > 0) out[label] = Math.round((a / b) * 100) / 100;
  };
  ratio(
    "kubeadm-ha / plain kubeadm script, 3+2 from bare hosts (medians)",
    med("kubeadm-ha 3+2 from bare hosts"),
    med("baseline 3+2 from bare hosts"),
  );
  ratio("kubeadm-ha 3+10 / 3+2 from bare hosts", med("kubeadm-ha 3+10 from bare hosts"), med("kubeadm-ha 3+2 from bare hosts"));
  ratio("plain kubeadm script 3+10 / 3+2 from bare hosts", med("baseline 3+10 from bare hosts"), med("baseline 3+2 from bare hosts"));
  ratio(
    "kubeadm-ha / plain kubeadm script, 3+10 from bare hosts",
    med("kubeadm-ha 3+10 from bare hosts"),
    med("baseline 3+10 from bare hosts"),
  );
  // How busy the machine was: CPU seconds used (on the hosts and outside them) over what its cores
  // could give in the wall time. Near 1, the run is bound by this machine's CPU, not by waiting.
  for (const run of ["baseline 3+2", "kubeadm-ha 3+2", "baseline 3+10", "kubeadm-ha 3+10"]) {
    const name = `${run} from bare hosts`;
    const hosts = med(`${name}: CPU s on the hosts`);
    const outside = med(`${name}: CPU s outside the hosts`);
    const wall = med(name);
    if (hosts !== undefined && outside !== undefined && wall !== undefined) {
      ratio(`${run}: CPU used / CPU the ${cores} cores had (medians)`, hosts + outside, wall * cores);
    }
  }
  return out;
}

function main([tsv, profile, commit, out]: string[]): void {
  const ms = measures(readFileSync(tsv, "utf8"));
  const result = {
    commit,
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30) },
    measures: ms,
    ratios: ratios(ms),
    criticalPath: readFileSync(profile, "utf8")
      .split("\n")
      .filter((l) => l.trim() !== ""),
  };
  writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
  for (const m of ms) console.log(`${m.name.padEnd(40)} n=${m.n}  min ${m.min}  median ${m.median}  max ${m.max}`);
  for (const [label, value] of Object.entries(result.ratios)) console.log(`${label}: ${value}`);
}

if (require.main === module) main(process.argv.slice(2));
