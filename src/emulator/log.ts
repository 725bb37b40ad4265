// Bounded request log (ring buffer).
import type { RequestLogEntry } from "./types.js";

export class RequestLog {
  private buf: RequestLogEntry[] = [];
  private next = 0; // write position once the buffer is full

  constructor(private readonly limit: number) {}

  push(e: RequestLogEntry): void {
    if (this.limit <= 0) return;
    if (this.buf.length < this.limit) {
      this.buf.push(e);
      return;
    }
    this.buf[this.next] = e;
    this.next = (this.next + 1) % this.limit;
  }

  /** Entries, oldest first. */
  entries(): RequestLogEntry[] {
    if (this.buf.length < this.limit || this.next === 0) return this.buf.slice();
    return [...this.buf.slice(this.next), ...this.buf.slice(0, this.next)];
  }

  clear(): void {
    this.buf = [];
    this.next = 0;
  }
}
