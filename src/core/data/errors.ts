/**
 * An error in the user's data, naming the file and, when known, the line (text formats) or row.
 * Everything the data layer rejects is a DataError, so callers can show it instead of a stack trace.
 */
export class DataError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
    readonly line?: number,
    readonly unit: 'line' | 'row' = 'line',
  ) {
    super(line === undefined ? `${file}: ${reason}` : unit === 'line' ? `${file}:${line}: ${reason}` : `${file}: row ${line}: ${reason}`);
    this.name = 'DataError';
  }
}
