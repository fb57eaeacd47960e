#!/usr/bin/env node
// Run the test suites with tap and end with one line: "N passed, N failed".
// The full TAP stream is kept in .tap/last-run.tap; the console shows one line
// per test file, and the whole output of any file that failed.
// Usage: node scripts/test.mjs [test files or globs...]   (default: every *.test.ts)
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createInterface } from 'node:readline';

const args = process.argv.slice(2);
const started = performance.now();
const files = args.length ? args : ['packages/*/test/**/*.test.ts', 'tools/*/test/**/*.test.ts', 'test/**/*.test.ts'];

mkdirSync('.tap', { recursive: true });
const full = createWriteStream('.tap/last-run.tap');
const child = spawn('node_modules/.bin/tap', ['--reporter=tap', ...files], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, FORCE_COLOR: '0' },
});

let summary = {};
let block = [];
let inFile = false;
const rl = createInterface({ input: child.stdout });
rl.on('line', (line) => {
  full.write(`${line}\n`);
  if (line.startsWith('# Subtest: ')) {
    inFile = true;
    block = [line];
    return;
  }
  const top = /^(not )?ok \d+ - (.*)$/.exec(line);
  if (top) {
    console.log(line);
    if (top[1]) console.log(block.join('\n'));
    inFile = false;
    block = [];
    return;
  }
  if (inFile) block.push(line);
  const s = /^# \{ (.*) \}$/.exec(line);
  if (s) {
    summary = Object.fromEntries(
      s[1]
        .split(', ')
        .map((kv) => kv.split(': '))
        .map(([k, v]) => [k, Number(v)]),
    );
  }
});

child.on('close', (code) => {
  full.end();
  const pass = summary.pass ?? 0;
  const fail = summary.fail ?? (code === 0 ? 0 : 1);
  if (summary.skip) console.log(`${summary.skip} skipped (reasons in .tap/last-run.tap)`);
  if (summary.todo) console.log(`${summary.todo} todo`);
  console.log(`wall time: ${((performance.now() - started) / 1000).toFixed(0)} s`);
  console.log(`${pass} passed, ${fail} failed`);
  process.exit(code === 0 && fail === 0 ? 0 : 1);
});
