// Benchmark helper: one load-generating client process (forked by emulator.mjs --clients N).
// Receives {type:"init", info, load} then {type:"run", durationMs, tag} messages; replies with raw results.
import { makeSender, runLoad } from "./load.mjs";

let sender;
let load;
process.on("message", async (msg) => {
  if (msg?.type === "init") {
    const made = await makeSender(msg.driver, msg.info, { maxSockets: msg.load.concurrency, copyPrefix: msg.copyPrefix });
    sender = made.sender;
    load = { ...msg.load, keys: made.keys };
    process.send?.({ type: "ready" });
  } else if (msg?.type === "run") {
    const cpu0 = process.cpuUsage();
    const res = await runLoad(sender, { ...load, durationMs: msg.durationMs, tag: msg.tag });
    const cpu = process.cpuUsage(cpu0);
    process.send?.({ type: "result", result: { ...res, cpuMs: (cpu.user + cpu.system) / 1000, maxRss: process.resourceUsage().maxRSS * 1024 } });
  } else if (msg?.type === "exit") {
    sender?.destroy();
    process.exit(0);
  }
});
process.on("disconnect", () => process.exit(0));
