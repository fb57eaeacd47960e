/**
 * A debug aid for the hot path: with CELLO_CNI_TRACE=1 in its environment,
 * cello-cni writes one stderr line per phase of a call, `cello-cni +12.3 ms
 * cpu 9.8 ms <phase>`: wall time since the process started (Bun's
 * performance.now() counts from process start, so the first mark includes
 * the runtime's own start-up) and CPU time used so far by every thread of
 * the process (on a loaded node the steadier of the two; children not
 * included). Off, a mark costs one comparison. How the
 * phases of an ADD and a DEL were measured: docs/cello-cni.md, Start-up.
 */
import { writeSync } from 'node:fs';

const on = process.env.CELLO_CNI_TRACE === '1';

export function mark(phase: string): void {
  if (!on) return;
  const now = performance.now();
  const cpu = process.cpuUsage();
  // writeSync, not process.stderr: Bun builds its Node stream layer on first use of process.stderr (≈ 15 ms).
  writeSync(2, `cello-cni +${now.toFixed(1)} ms cpu ${((cpu.user + cpu.system) / 1000).toFixed(1)} ms ${phase}\n`);
}
