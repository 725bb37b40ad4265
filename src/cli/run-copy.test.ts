import { describe, expect, it } from "vitest";
import type { EngineEvent } from "../engine/events.js";
import { inUnitOrder, LiveSummary } from "./run-copy.js";

const day = (d: string): EngineEvent => ({ kind: "day", day: d, objects: 1, bytes: 1, toCopy: 1, toCopyBytes: 1, notEntitled: 0, notEntitledBytes: 0 });

describe("inUnitOrder (a dry run's day lines)", () => {
  it("holds each day until every day before it was said; other events pass at once", () => {
    const out: string[] = [];
    const emit = inUnitOrder(["2021/05/27/", "2021/05/28/", "2021/05/31/"], (e) => out.push(e.kind === "day" ? e.day : e.kind));
    emit(day("2021/05/31/"));
    emit({ kind: "notice", message: "x" });
    expect(out).toEqual(["notice"]);
    emit(day("2021/05/27/"));
    expect(out).toEqual(["notice", "2021/05/27/"]);
    emit(day("2021/05/28/"));
    expect(out).toEqual(["notice", "2021/05/27/", "2021/05/28/", "2021/05/31/"]);
  });
});

describe("LiveSummary (the summary of a run stopped at once)", () => {
  it("counts what the events said so far and is interrupted", () => {
    const l = new LiveSummary();
    l.listen({ kind: "copied", key: "a", size: 10, multipart: false, ms: 1 });
    l.listen({ kind: "copied", key: "b", size: 5, multipart: true, parts: 2, ms: 1 });
    l.listen({ kind: "skipped", key: "c", size: 7, reason: "same size" });
    l.listen({ kind: "failed", key: "d", size: 1, code: "AccessDenied", message: "m" });
    l.listen({ kind: "retry", op: "CopyObject", code: "SlowDown", attempt: 1, delayMs: 5 });
    l.listen({ kind: "refreshed", reason: "initial", expiration: "", durationSeconds: 1 });
    l.listen({ kind: "refreshed", reason: "expiring", expiration: "", durationSeconds: 1 });
    l.listen({ kind: "upload-left", key: "e", uploadId: "u", command: "c" });
    expect(l.stopped()).toMatchObject({ copied: 2, bytesCopied: 15, skipped: 1, bytesSkipped: 7, failed: 1, retries: 1, refreshes: 1, uploadsLeft: 1, interrupted: true });
  });
});
