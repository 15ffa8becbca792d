/** Keeps the last `limit` bytes of a stream of chunks (a step's log tail). */
export class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;
  private dropped = false;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.limit && this.chunks.length > 0) {
      const first = this.chunks[0] as Buffer;
      const excess = this.size - this.limit;
      this.dropped = true;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.size -= excess;
      }
    }
  }

  /** Whether anything was cut off at the front. */
  get truncated(): boolean {
    return this.dropped;
  }

  text(): string {
    let text = Buffer.concat(this.chunks).toString("utf8");
    // A cut in the middle of a multi-byte character leaves replacement characters at the front.
    if (this.dropped) text = text.replace(/^\uFFFD+/, "");
    return text;
  }
}
