// Reads cases (one JSON object a line, corpus format) on stdin and prints the oracle's answer
// for each as one JSON line (see oracle.mjs). Used by crates/oxiam-policy/tests/differential.rs.
import { createInterface } from 'node:readline';
import { decide } from './oracle.mjs';

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
  if (!line.trim()) continue;
  let out;
  try {
    out = await decide(JSON.parse(line));
  } catch (e) {
    out = { error: `bad input line: ${e.message}` };
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}
