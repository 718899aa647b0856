// A minimal Parquet writer for tests (the project reads Parquet with hyparquet and needs no writer): PLAIN
// encoding, no compression, one data page per column chunk, optional INT64 / DOUBLE / UTF-8 string columns.
// Metadata is Thrift compact protocol, as the Parquet format specifies.

export interface ParquetColumn {
  name: string;
  type: 'int64' | 'double' | 'string';
  values: (number | string | null)[];
}

const T = { I32: 5, I64: 6, BINARY: 8, LIST: 9, STRUCT: 12 } as const;
const PARQUET_TYPE = { int64: 2, double: 5, string: 6 } as const;

class Compact {
  bytes: number[] = [];
  private last: number[] = [0];
  varint(n: bigint): void {
    do {
      let b = Number(n & 0x7fn);
      n >>= 7n;
      if (n) b |= 0x80;
      this.bytes.push(b);
    } while (n);
  }
  zigzag(n: number | bigint): void {
    const v = BigInt(n);
    this.varint(v >= 0n ? v << 1n : ((-v) << 1n) - 1n);
  }
  field(id: number, type: number): void {
    const delta = id - this.last[this.last.length - 1];
    if (delta > 0 && delta <= 15) this.bytes.push((delta << 4) | type);
    else {
      this.bytes.push(type);
      this.zigzag(id);
    }
    this.last[this.last.length - 1] = id;
  }
  i32(id: number, v: number): void {
    this.field(id, T.I32);
    this.zigzag(v);
  }
  i64(id: number, v: number): void {
    this.field(id, T.I64);
    this.zigzag(v);
  }
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.varint(BigInt(b.length));
    this.bytes.push(...b);
  }
  binary(id: number, s: string): void {
    this.field(id, T.BINARY);
    this.str(s);
  }
  body(fn: () => void): void {
    this.last.push(0);
    fn();
    this.bytes.push(0);
    this.last.pop();
  }
  struct(id: number, fn: () => void): void {
    this.field(id, T.STRUCT);
    this.body(fn);
  }
  list<X>(id: number, elem: number, items: X[], write: (x: X) => void): void {
    this.field(id, T.LIST);
    if (items.length < 15) this.bytes.push((items.length << 4) | elem);
    else {
      this.bytes.push(0xf0 | elem);
      this.varint(BigInt(items.length));
    }
    items.forEach(write);
  }
}

function plain(col: ParquetColumn, values: (number | string)[]): Buffer {
  return Buffer.concat(values.map((v) => {
    if (col.type === 'string') {
      const s = Buffer.from(String(v), 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32LE(s.length);
      return Buffer.concat([len, s]);
    }
    const b = Buffer.alloc(8);
    if (col.type === 'int64') b.writeBigInt64LE(BigInt(v));
    else b.writeDoubleLE(Number(v));
    return b;
  }));
}

/** Definition levels (1 = present, 0 = null) as RLE runs, with the 4-byte length prefix of data page v1. */
function defLevels(values: unknown[]): Buffer {
  const out: number[] = [];
  for (let i = 0; i < values.length; ) {
    const present = values[i] !== null;
    let j = i;
    while (j < values.length && (values[j] !== null) === present) j++;
    const w = new Compact();
    w.varint(BigInt((j - i) << 1));
    out.push(...w.bytes, present ? 1 : 0);
    i = j;
  }
  const len = Buffer.alloc(4);
  len.writeUInt32LE(out.length);
  return Buffer.concat([len, Buffer.from(out)]);
}

export function writeParquet(columns: ParquetColumn[], rowGroupSize: number): Buffer {
  const rows = columns[0].values.length;
  const parts: Buffer[] = [Buffer.from('PAR1')];
  let offset = 4;
  const groups: { chunks: { offset: number; size: number; n: number }[]; rows: number; bytes: number }[] = [];
  for (let start = 0; start < rows; start += rowGroupSize) {
    const n = Math.min(rowGroupSize, rows - start);
    const chunks = columns.map((col) => {
      const vals = col.values.slice(start, start + n);
      const data = Buffer.concat([defLevels(vals), plain(col, vals.filter((v): v is number | string => v !== null))]);
      const h = new Compact();
      h.body(() => {
        h.i32(1, 0); // DATA_PAGE
        h.i32(2, data.length);
        h.i32(3, data.length);
        h.struct(5, () => {
          h.i32(1, n);
          h.i32(2, 0); // PLAIN
          h.i32(3, 3); // RLE
          h.i32(4, 3);
        });
      });
      const page = Buffer.concat([Buffer.from(h.bytes), data]);
      const chunk = { offset, size: page.length, n };
      parts.push(page);
      offset += page.length;
      return chunk;
    });
    groups.push({ chunks, rows: n, bytes: chunks.reduce((s, c) => s + c.size, 0) });
  }
  const m = new Compact();
  m.body(() => {
    m.i32(1, 1);
    m.list(2, T.STRUCT, [undefined, ...columns], (col) =>
      m.body(() => {
        if (!col) {
          m.binary(4, 'schema');
          m.i32(5, columns.length);
          return;
        }
        m.i32(1, PARQUET_TYPE[col.type]);
        m.i32(3, 1); // OPTIONAL
        m.binary(4, col.name);
        if (col.type === 'string') m.i32(6, 0); // UTF8
      }),
    );
    m.i64(3, rows);
    m.list(4, T.STRUCT, groups, (g) =>
      m.body(() => {
        m.list(1, T.STRUCT, g.chunks, (c) => {
          const col = columns[g.chunks.indexOf(c)];
          m.body(() => {
            m.i64(2, c.offset);
            m.struct(3, () => {
              m.i32(1, PARQUET_TYPE[col.type]);
              m.list(2, T.I32, [0, 3], (e) => m.zigzag(e));
              m.list(3, T.BINARY, [col.name], (s) => m.str(s));
              m.i32(4, 0); // UNCOMPRESSED
              m.i64(5, c.n);
              m.i64(6, c.size);
              m.i64(7, c.size);
              m.i64(9, c.offset);
            });
          });
        });
        m.i64(2, g.bytes);
        m.i64(3, g.rows);
      }),
    );
    m.binary(6, 'finetune test writer');
  });
  const meta = Buffer.from(m.bytes);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(meta.length);
  parts.push(meta, len, Buffer.from('PAR1'));
  return Buffer.concat(parts);
}
