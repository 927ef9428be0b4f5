// Terminal styling: colors and a spinner only when the stream is a TTY (and
// NO_COLOR is unset); plain text otherwise, so piped output stays parseable.

import { styleText } from "node:util";

type Color = "red" | "green" | "yellow" | "cyan" | "gray" | "bold" | "dim";

export interface Style {
  readonly enabled: boolean;
  paint(color: Color, text: string): string;
}

export interface TtyStream {
  isTTY?: boolean;
  write(text: string): unknown;
  columns?: number;
}

/** Whether `stream` gets colors: a TTY, NO_COLOR unset, TERM not "dumb"; FORCE_COLOR (not "0") forces them. */
export function colorEnabled(stream: TtyStream, env: Record<string, string | undefined> = process.env): boolean {
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "" && env.FORCE_COLOR !== "0") return true;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  return stream.isTTY === true && env.TERM !== "dumb";
}

export function styleFor(enabled: boolean): Style {
  return {
    enabled,
    paint: (color, text) => (enabled && text !== "" ? styleText(color, text, { validateStream: false }) : text),
  };
}

export const plain: Style = styleFor(false);

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/**
 * A one-line spinner on a TTY. Lines printed through `line()` appear above it;
 * with `enabled` false it never draws and `line()` just writes.
 */
export class Spinner {
  private readonly stream: TtyStream;
  private readonly enabled: boolean;
  private text = "";
  private frame = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private drawn = false;

  constructor(stream: TtyStream, enabled: boolean) {
    this.stream = stream;
    this.enabled = enabled;
  }

  /** Shows (or updates) the spinner with this text; "" hides it. */
  set(text: string): void {
    this.text = text;
    if (!this.enabled) return;
    if (text === "") {
      this.stop();
      return;
    }
    if (!this.timer) {
      this.timer = setInterval(() => this.draw(), 80);
      this.timer.unref?.();
    }
    this.draw();
  }

  /** Prints a full line above the spinner. */
  line(text: string): void {
    this.clear();
    this.stream.write(`${text}\n`);
    if (this.timer) this.draw();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
  }

  private clear(): void {
    if (this.drawn) this.stream.write("\r\x1b[2K");
    this.drawn = false;
  }

  private draw(): void {
    if (!this.enabled || this.text === "") return;
    const width = Math.max(20, (this.stream.columns || 80) - 1);
    const text = `${FRAMES[this.frame++ % FRAMES.length]} ${this.text}`;
    this.stream.write(`\r\x1b[2K${styleText("cyan", text.length > width ? `${text.slice(0, width - 1)}…` : text, { validateStream: false })}`);
    this.drawn = true;
  }
}
