// Errors and warnings, each tied to a file and a field path inside it.

export type FieldPath = ReadonlyArray<string | number>;

export interface Position {
  line: number;
  column: number;
}

export type Severity = "error" | "warning";

export interface Diagnostic {
  severity: Severity;
  /** Project-relative file path. */
  file: string;
  /** Field path inside the file, e.g. `pipeline[2].depends_on[0]`; "" for the whole file. */
  path: string;
  message: string;
  line?: number;
  column?: number;
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `["pipeline", 2, "depends_on", 0]` → `pipeline[2].depends_on[0]`. */
export function formatFieldPath(path: FieldPath): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) out += out === "" ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** `file:line:col: path: message`, leaving out the parts that are unknown. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line === undefined ? d.file : `${d.file}:${d.line}:${d.column ?? 1}`;
  return d.path === "" ? `${where}: ${d.message}` : `${where}: ${d.path}: ${d.message}`;
}

/** Collects the diagnostics of one file. */
export class FileIssues {
  readonly errors: Diagnostic[] = [];
  readonly warnings: Diagnostic[] = [];
  readonly file: string;
  private locate: (path: FieldPath) => Position | undefined;

  constructor(file: string, locate?: (path: FieldPath) => Position | undefined) {
    this.file = file;
    this.locate = locate ?? (() => undefined);
  }

  setLocator(locate: (path: FieldPath) => Position | undefined): void {
    this.locate = locate;
  }

  error(path: FieldPath, message: string, at?: Position): void {
    this.errors.push(this.make("error", path, message, at));
  }

  warn(path: FieldPath, message: string): void {
    this.warnings.push(this.make("warning", path, message));
  }

  /** Turns every error into a warning that ends with `consequence` (for a file whose problems only mean it is skipped). */
  demoteErrors(consequence: string): void {
    for (const error of this.errors.splice(0)) {
      this.warnings.push({ ...error, severity: "warning", message: `${error.message}; ${consequence}` });
    }
  }

  get ok(): boolean {
    return this.errors.length === 0;
  }

  private make(severity: Severity, path: FieldPath, message: string, at?: Position): Diagnostic {
    const position = at ?? this.locate(path);
    const diagnostic: Diagnostic = { severity, file: this.file, path: formatFieldPath(path), message };
    if (position) {
      diagnostic.line = position.line;
      diagnostic.column = position.column;
    }
    return diagnostic;
  }
}
