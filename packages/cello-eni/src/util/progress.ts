/**
 * Progress for long waits: one line on stderr rewritten in place, only when
 * stderr is a terminal (logs stay JSON lines otherwise).
 */
export interface Progress {
  update(text: string): void;
  done(): void;
}

export function ttyProgress(stream: NodeJS.WriteStream = process.stderr): Progress | undefined {
  if (!stream.isTTY) return undefined;
  let shown = false;
  return {
    update(text) {
      stream.write(`\r\x1b[2K${text}`);
      shown = true;
    },
    done() {
      if (shown) stream.write('\r\x1b[2K');
      shown = false;
    },
  };
}
