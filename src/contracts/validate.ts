// Tiny runtime validators for the panel's messages (no dependency, so the webview bundle stays small). A check
// returns the value typed, or throws a ContractError naming the path of the first bad field.

export class ContractError extends Error {}

/** Where a value sits in a message; built as a chain and spelled out only for an error, since a message of
 * 100,000 metric rows must validate in milliseconds. */
export type Path = string | { up: Path; key: string | number };
export type Check<T> = (v: unknown, at: Path) => T;

export function pathText(at: Path): string {
  if (typeof at === 'string') return at;
  return typeof at.key === 'number' ? `${pathText(at.up)}[${at.key}]` : `${pathText(at.up)}.${at.key}`;
}

const fail = (at: Path, want: string, v: unknown): never => {
  const got = v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
  throw new ContractError(`${pathText(at)}: expected ${want}, got ${got}`);
};

export const str: Check<string> = (v, at) => (typeof v === 'string' ? v : fail(at, 'a string', v));
export const bool: Check<boolean> = (v, at) => (typeof v === 'boolean' ? v : fail(at, 'a boolean', v));
/** Any number, NaN and ±Infinity included (a diverged loss is data, not a contract breach). */
export const num: Check<number> = (v, at) => (typeof v === 'number' ? v : fail(at, 'a number', v));
export const int: Check<number> = (v, at) => (Number.isInteger(v) ? (v as number) : fail(at, 'an integer', v));

export const nullable = <T>(c: Check<T>): Check<T | null> => (v, at) => (v === null ? null : c(v, at));
export const opt = <T>(c: Check<T>): Check<T | undefined> => (v, at) => (v === undefined ? undefined : c(v, at));

export const oneOf = <T extends string>(...values: readonly T[]): Check<T> => (v, at) =>
  values.includes(v as T) ? (v as T) : fail(at, `one of ${values.join(', ')}`, v);

export const arr = <T>(c: Check<T>): Check<T[]> => (v, at) => {
  if (!Array.isArray(v)) return fail(at, 'an array', v);
  const out = new Array<T>(v.length);
  for (let i = 0; i < v.length; i++) out[i] = c(v[i], { up: at, key: i });
  return out;
};

export const record = <T>(c: Check<T>): Check<Record<string, T>> => (v, at) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(at, 'an object', v);
  const out: Record<string, T> = {};
  for (const [k, x] of Object.entries(v)) out[k] = c(x, { up: at, key: k });
  return out;
};

type Shape = Record<string, Check<unknown>>;
type Flat<T> = { [K in keyof T]: T[K] };
/** Fields whose check accepts undefined are optional keys. */
type Out<S extends Shape> = Flat<
  { [K in keyof S as undefined extends ReturnType<S[K]> ? never : K]: ReturnType<S[K]> } & {
    [K in keyof S as undefined extends ReturnType<S[K]> ? K : never]?: ReturnType<S[K]>;
  }
>;

/** An object with these fields (others are dropped, so nothing unchecked travels further). */
export const obj = <S extends Shape>(shape: S): Check<Out<S>> => {
  const fields = Object.entries(shape);
  return (v, at) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(at, 'an object', v);
    const out: Record<string, unknown> = {};
    for (const [k, c] of fields) {
      const x = c((v as Record<string, unknown>)[k], { up: at, key: k });
      if (x !== undefined) out[k] = x;
    }
    return out as Out<S>;
  };
};

/** One message type: an object whose `type` is `type`, with the other fields of `shape`. */
export const msg = <T extends string, S extends Shape>(type: T, shape: S): Check<Flat<{ type: T } & Out<S>>> => {
  const body = obj(shape);
  return (v, at) => ({ type, ...body(v, at) }) as Flat<{ type: T } & Out<S>>;
};

/** A parser for a discriminated union, from a table `type → check` (the compiler keeps table and union in step):
 * finds the check by `type`, and says which message failed and why. */
export function unionParser<M extends { type: string }>(name: string, table: { [K in M['type']]: Check<Extract<M, { type: K }>> }): (v: unknown) => M {
  const byType = new Map(Object.entries(table as Record<string, Check<M>>));
  return (v) => {
    if (typeof v !== 'object' || v === null) throw new ContractError(`${name}: a message must be an object`);
    const type = (v as { type?: unknown }).type;
    const check = typeof type === 'string' ? byType.get(type) : undefined;
    if (!check) throw new ContractError(`${name}: unknown message type ${JSON.stringify(type)}`);
    return check(v, type as string);
  };
}
