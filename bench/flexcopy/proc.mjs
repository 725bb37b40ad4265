// Run one tool as a child process and measure it: wall time, peak RSS and CPU time of the whole process
// tree (a pyenv shim or wrapper may fork the real program), sampled from /proc every `pollMs`.
import { spawn } from "node:child_process";
import { closeSync, openSync, readdirSync, readFileSync } from "node:fs";

const CLK_TCK = 100; // Linux USER_HZ

function readStatus(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, "utf8");
    const hwm = /^VmHWM:\s+(\d+) kB/m.exec(s);
    const rss = /^VmRSS:\s+(\d+) kB/m.exec(s);
    return { hwm: hwm ? Number(hwm[1]) * 1024 : 0, rss: rss ? Number(rss[1]) * 1024 : 0 };
  } catch {
    return undefined;
  }
}

/** utime + stime of a process (all its threads), in ms. */
function readCpuMs(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" "); // fields from #3 (state) on
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK; // #14 utime, #15 stime
  } catch {
    return undefined;
  }
}

function childrenOf(pid) {
  const out = [];
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      const c = readFileSync(`/proc/${pid}/task/${t}/children`, "utf8").trim();
      if (c) out.push(...c.split(/\s+/).map(Number));
    }
  } catch {
    // gone, or no CONFIG_PROC_CHILDREN
  }
  return out;
}

function tree(root) {
  const seen = [root];
  for (let i = 0; i < seen.length; i++) for (const c of childrenOf(seen[i])) if (!seen.includes(c)) seen.push(c);
  return seen;
}

/**
 * Spawns `cmd args` with `env`, stdout to `stdoutFile` (a file, not a pipe: the tool never waits on
 * us and never buffers output in memory), stderr kept (last 64 KiB). Resolves with
 * { code, signal, wallMs, peakRss, peakRssSum, cpuMs, stderr }.
 *   peakRss     the largest VmHWM of any process in the tree (the tool's peak resident memory)
 *   peakRssSum  the sum of every process's VmHWM (an upper bound for the tree as a whole)
 *   stoppedAt   the stderr line matching `failOn` at which the tool was stopped (a failed run)
 */
export function measure(cmd, args, { env, cwd, stdoutFile, timeoutMs = 30 * 60_000, pollMs = 50, failOn }) {
  return new Promise((resolve, reject) => {
    const out = openSync(stdoutFile, "w");
    const t0 = performance.now();
    const child = spawn(cmd, args, { env, cwd, stdio: ["ignore", out, "pipe"] });
    closeSync(out);
    const per = new Map(); // pid -> { hwm, cpuMs }
    let stderr = "";
    let stoppedAt;
    child.stderr.setEncoding("utf8").on("data", (d) => {
      stderr += d;
      if (stderr.length > 65536) stderr = stderr.slice(-65536);
      // Fail fast: the run is already a failure; don't spend minutes finishing it.
      const line = failOn && stoppedAt === undefined ? d.split("\n").find((l) => failOn.test(l)) : undefined;
      if (line !== undefined) {
        stoppedAt = line.trim();
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 2000).unref();
      }
    });
    const sample = () => {
      if (!child.pid) return;
      for (const pid of tree(child.pid)) {
        const st = readStatus(pid);
        const cpu = readCpuMs(pid);
        if (!st) continue;
        const p = per.get(pid) ?? { hwm: 0, cpuMs: 0 };
        p.hwm = Math.max(p.hwm, st.hwm);
        if (cpu !== undefined) p.cpuMs = Math.max(p.cpuMs, cpu);
        per.set(pid, p);
      }
    };
    sample();
    const timer = setInterval(sample, pollMs);
    const killer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (err) => {
      clearInterval(timer);
      clearTimeout(killer);
      reject(err);
    });
    child.on("exit", (code, signal) => {
      const wallMs = performance.now() - t0;
      clearInterval(timer);
      clearTimeout(killer);
      const vals = [...per.values()];
      resolve({
        code,
        signal,
        wallMs,
        peakRss: Math.max(0, ...vals.map((v) => v.hwm)),
        peakRssSum: vals.reduce((s, v) => s + v.hwm, 0),
        cpuMs: vals.reduce((s, v) => s + v.cpuMs, 0),
        stoppedAt,
        get stderr() {
          return stderr;
        },
      });
    });
  });
}
