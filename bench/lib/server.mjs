// Benchmark helper: runs the emulator in its own process (so client and server do not share a CPU).
// Started with child_process.fork(); options arrive as JSON in argv[2]. Sends {type:"ready", info} over
// IPC once listening, answers {type:"stats"} with CPU time and peak RSS, stops on {type:"stop"}.
import { startEmulator } from "../../dist/emulator/index.js";

const options = JSON.parse(process.argv[2] ?? "{}");
const emu = await startEmulator(options);

function stats() {
  const ru = process.resourceUsage();
  return {
    rss: process.memoryUsage().rss,
    maxRss: ru.maxRSS * 1024, // resourceUsage reports KiB
    cpuUserMs: ru.userCPUTime / 1000,
    cpuSystemMs: ru.systemCPUTime / 1000,
    objects: emu.destBuckets.reduce((n, b) => n + emu.objects(b).length, 0),
  };
}

process.on("message", async (msg) => {
  if (msg?.type === "stats") process.send?.({ type: "stats", stats: stats() });
  else if (msg?.type === "stop") {
    await emu.stop();
    process.send?.({ type: "stopped", stats: stats() }, () => process.exit(0));
  }
});
process.on("disconnect", () => process.exit(0));
process.send?.({
  type: "ready",
  info: { endpoint: emu.endpoint, region: emu.region, accessKeyId: emu.accessKeyId, secretAccessKey: emu.secretAccessKey, roleArn: emu.roleArn, sourceBucket: emu.sourceBucket, destBuckets: emu.destBuckets },
});
