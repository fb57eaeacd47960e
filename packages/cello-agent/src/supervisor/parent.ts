/**
 * Children of the supervisor stop when it is gone. In a pod the container's
 * PID namespace takes them all down with it; elsewhere (a vpc-sim node, a
 * supervisor killed with SIGKILL) an orphaned keeper would keep the node's
 * keeper lock and block the next agent. The supervisor passes its pid in
 * CELLO_SUPERVISOR_PID; a child checks its parent every second.
 */
export const SUPERVISOR_PID_ENV = 'CELLO_SUPERVISOR_PID';

/** Call `onOrphaned` once if this process's parent is no longer the supervisor. */
export function watchParent(onOrphaned: () => void, everyMs = 1000): void {
  const supervisor = Number(process.env[SUPERVISOR_PID_ENV]);
  if (!supervisor) return;
  const timer = setInterval(() => {
    if (process.ppid !== supervisor) {
      clearInterval(timer);
      onOrphaned();
    }
  }, everyMs);
  timer.unref();
}
