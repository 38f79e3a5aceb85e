#!/usr/bin/env node
// tsc emits only JavaScript: copy the data files the product reads at run time (NLU corpora and training
// data, loyalty and trivia configuration) into dist/ (or the folder given as the first argument, a build
// made with another --outDir), beside the modules that read them.
import { cpSync, existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const folders = [
  'bots',
  'core',
  'connectors',
  'dialogs',
  'nlu-models',
  'gamification',
  'handoff',
  'identity',
  'analytics',
  'storage',
];
const out = path.resolve(root, process.argv[2] ?? 'dist');
const assets = /\.(json|jsonl)$/;
let copied = 0;

function walk(relative) {
  for (const name of readdirSync(path.join(root, relative))) {
    const from = path.join(relative, name);
    if (statSync(path.join(root, from)).isDirectory()) walk(from);
    else if (assets.test(name)) {
      cpSync(path.join(root, from), path.join(out, from));
      copied++;
    }
  }
}

for (const folder of folders) if (existsSync(path.join(root, folder))) walk(folder);
process.stdout.write(`copied ${copied} data files to ${path.relative(root, out)}/\n`);
