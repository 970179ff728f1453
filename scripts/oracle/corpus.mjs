// Runs the evaluation cases of crates/oxiam-policy/tests/cases through the oracle and lists
// those where the oracle's decision differs from the case's documented expectation — a check
// of the oracle (and of our reading of the docs), triaged in
// crates/oxiam-policy/tests/oracle/DISAGREEMENTS.md. Usage: node scripts/oracle/corpus.mjs
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { decide } from './oracle.mjs';

const root = path.resolve(import.meta.dirname, '../../crates/oxiam-policy/tests/cases');
const files = [];
const walk = (d) => {
  for (const name of readdirSync(d).sort()) {
    const p = path.join(d, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.json')) files.push(p);
  }
};
walk(root);

let agree = 0;
let total = 0;
for (const file of files) {
  const c = JSON.parse(readFileSync(file, 'utf8'));
  if (!c.expect) continue; // validation cases
  total += 1;
  const got = await decide(c);
  if (got.decision === c.expect.decision) {
    agree += 1;
  } else {
    const ignored = got.ignored?.length ? ` (dropped ${got.ignored.join(', ')})` : '';
    console.log(`${path.relative(root, file)}: expected ${c.expect.decision}, oracle ${got.decision ?? got.error}${ignored}`);
  }
}
console.log(`oracle agrees with ${agree} of ${total} evaluation cases`);
