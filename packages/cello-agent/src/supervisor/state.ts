/**
 * The supervisor's view of itself, in /run/cello/agent.json: which children
 * run under which pid, how often each was restarted, and whether the node
 * is ready. Rewritten atomically on every change; read by the metrics server
 * (child and readiness series), `cello-agent status`, and tests.
 */
import { readJsonFile, writeJsonFile } from '@cello/cli-kit';

export interface ChildState {
  pid?: number;
  running: boolean;
  restarts: number;
  startedAt?: string;
  /** How the last run ended: `exit 1`, `signal SIGKILL`. */
  lastExit?: string;
}

export interface AgentState {
  pid: number;
  startedAt: string;
  ready: boolean;
  readyAt?: string;
  /** What the agent installed: the runtime version and the conflist. */
  installed: { runtime?: string; conflist?: string };
  children: Record<string, ChildState>;
}

export function writeAgentState(file: string, state: AgentState): void {
  writeJsonFile(file, state, 0o644);
}

export const readAgentState = (file: string) => readJsonFile<AgentState>(file);
