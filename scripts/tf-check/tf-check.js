#!/usr/bin/env node
'use strict';
// tf-check: verifies Terraform configuration without a terraform binary.
// Usage: node tf-check.js [--json] DIR...   (exit 0 clean, 1 findings, 2 usage error)

const fs = require('node:fs');
const { Checker } = require('./lib/check');

async function main(argv) {
  const json = argv.includes('--json');
  const dirs = argv.filter((a) => a !== '--json');
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write('usage: tf-check [--json] DIR...\n');
    return 0;
  }
  if (dirs.length === 0) {
    process.stderr.write('tf-check: no directory given (usage: tf-check [--json] DIR...)\n');
    return 2;
  }
  for (const d of dirs) {
    if (!fs.existsSync(d) || !fs.statSync(d).isDirectory()) {
      process.stderr.write(`tf-check: not a directory: ${d}\n`);
      return 2;
    }
  }
  const checker = new Checker();
  const { dirs: checked, findings } = await checker.run(dirs);
  if (checked.length === 0) {
    process.stderr.write(`tf-check: no .tf files under ${dirs.join(' ')}\n`);
    return 2;
  }
  if (json) {
    process.stdout.write(`${JSON.stringify({ checked, findings }, null, 2)}\n`);
  } else {
    for (const x of findings) {
      process.stdout.write(`${x.file}${x.line ? `:${x.line}` : ''}: [${x.rule}] ${x.message}\n`);
    }
    process.stdout.write(`tf-check: ${checked.length} module(s) checked, ${findings.length} finding(s)\n`);
  }
  return findings.length ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`tf-check: internal error: ${err.stack || err}\n`); process.exitCode = 2; },
);
