/**
 * The little of protocol buffers the CRI client needs: a writer for the
 * request messages and a reader that keeps every field by number. Only the
 * wire types proto3 uses for strings, integers, booleans, messages and maps
 * (varint and length-delimited); fixed32/64 fields are skipped when read.
 */

/** Writes one message; fields in any order, zero values left out as proto3 does. */
export class ProtoWriter {
  private parts: Buffer[] = [];

  private key(field: number, wire: number): void {
    this.varint(BigInt((field << 3) | wire));
  }

  private varint(n: bigint): void {
    const bytes: number[] = [];
    let v = BigInt.asUintN(64, n);
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v) b |= 0x80;
      bytes.push(b);
    } while (v);
    this.parts.push(Buffer.from(bytes));
  }

  string(field: number, value: string | undefined): this {
    if (value) this.bytes(field, Buffer.from(value, 'utf8'));
    return this;
  }

  bytes(field: number, value: Buffer): this {
    this.key(field, 2);
    this.varint(BigInt(value.length));
    this.parts.push(value);
    return this;
  }

  uint(field: number, value: number | bigint | undefined): this {
    if (value) {
      this.key(field, 0);
      this.varint(BigInt(value));
    }
    return this;
  }

  bool(field: number, value: boolean | undefined): this {
    return this.uint(field, value ? 1 : 0);
  }

  message(field: number, value: ProtoWriter | undefined): this {
    return value ? this.bytes(field, value.finish()) : this;
  }

  /** map<string, string>: one entry message {key = 1, value = 2} per pair. */
  map(field: number, value: Record<string, string> | undefined): this {
    for (const [k, v] of Object.entries(value ?? {})) this.message(field, new ProtoWriter().string(1, k).string(2, v));
    return this;
  }

  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** A decoded message: every occurrence of each field, by number. */
export class ProtoMessage {
  readonly fields = new Map<number, Array<bigint | Buffer>>();

  constructor(buf: Buffer) {
    let i = 0;
    const varint = (): bigint => {
      let shift = 0n;
      let v = 0n;
      for (;;) {
        if (i >= buf.length) throw new Error('protobuf: truncated varint');
        const b = buf[i++]!;
        v |= BigInt(b & 0x7f) << shift;
        if (!(b & 0x80)) return v;
        shift += 7n;
      }
    };
    while (i < buf.length) {
      const key = Number(varint());
      const field = key >> 3;
      const wire = key & 7;
      let value: bigint | Buffer;
      if (wire === 0) value = varint();
      else if (wire === 2) {
        const len = Number(varint());
        value = buf.subarray(i, i + len);
        i += len;
      } else if (wire === 1) {
        i += 8;
        continue;
      } else if (wire === 5) {
        i += 4;
        continue;
      } else throw new Error(`protobuf: wire type ${wire} of field ${field} is not supported`);
      const list = this.fields.get(field) ?? [];
      list.push(value);
      this.fields.set(field, list);
    }
  }

  private last(field: number): bigint | Buffer | undefined {
    const l = this.fields.get(field);
    return l?.[l.length - 1];
  }

  string(field: number): string {
    const v = this.last(field);
    return Buffer.isBuffer(v) ? v.toString('utf8') : '';
  }

  uint(field: number): number {
    const v = this.last(field);
    return typeof v === 'bigint' ? Number(v) : 0;
  }

  message(field: number): ProtoMessage | undefined {
    const v = this.last(field);
    return Buffer.isBuffer(v) ? new ProtoMessage(v) : undefined;
  }

  messages(field: number): ProtoMessage[] {
    return (this.fields.get(field) ?? []).filter(Buffer.isBuffer).map((b) => new ProtoMessage(b));
  }

  map(field: number): Record<string, string> {
    return Object.fromEntries(this.messages(field).map((e) => [e.string(1), e.string(2)]));
  }
}
