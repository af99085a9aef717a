'use strict';
// Reads the AWS provider schema out of @cdktn/provider-aws's jsii assembly.
//
// How the assembly encodes it (checked against provider-aws 25.x, AWS provider 6.x):
// - every resource, data source and the provider is a class whose docs summary is
//   "Represents a {@link https://registry.terraform.io/providers/hashicorp/aws/<v>/docs/resources/vpc aws_vpc}."
//   (".../docs/data-sources/..." for data sources, ".../docs aws}" for the provider);
// - its initializer's "config" parameter names a struct (<Name>Config) whose properties
//   are the arguments: "optional": true unless the argument is required; the Terraform
//   name is in the property's docs link ("...#cidr_block Vpc#cidr_block}");
// - a nested block is a property whose type is (a collection of, or a union with) another
//   struct of the assembly; that struct describes the block's own arguments the same way.
// The compact result is cached under node_modules/.cache so later runs skip the 150 MB parse.

const fs = require('node:fs');
const path = require('node:path');

const PKG_DIR = path.dirname(require.resolve('@cdktn/provider-aws/package.json'));
const ASSEMBLY = path.join(PKG_DIR, '.jsii');
const PKG_VERSION = require('@cdktn/provider-aws/package.json').version;
const CACHE_DIR = path.join(__dirname, '..', 'node_modules', '.cache', 'tf-check');
// The -2 marks the cache layout (arguments of any type carry "any").
const CACHE_FILE = path.join(CACHE_DIR, `aws-schema-${PKG_VERSION}-2.json`);
const PREFIX = '@cdktn/provider-aws.';
const LINK_RE = /\{@link https:\/\/registry\.terraform\.io\/providers\/hashicorp\/aws\/([0-9.]+)\/docs(?:\/(resources|data-sources)\/([a-z0-9_]+))? ([a-z0-9_]+)\}/;
const ARG_RE = /#([a-z0-9_]+) [A-Za-z0-9]+#([a-z0-9_]+)\}/;

function snake(camel) {
  return camel.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

// Every struct fqn of this assembly that a jsii type reference mentions.
function structRefs(typeRef, types, out = []) {
  if (!typeRef) return out;
  if (typeRef.fqn && typeRef.fqn.startsWith(PREFIX)) {
    const t = types[typeRef.fqn];
    if (t && t.kind === 'interface' && t.datatype) out.push(typeRef.fqn);
  }
  if (typeRef.collection) structRefs(typeRef.collection.elementtype, types, out);
  if (typeRef.union) for (const u of typeRef.union.types) structRefs(u, types, out);
  return out;
}

// Struct -> { args: { name: { required, block? } } }, blocks shared by fqn in `structs`.
function convertStruct(fqn, types, structs) {
  if (structs[fqn]) return;
  const args = {};
  structs[fqn] = args; // placeholder first: guards against recursive structs
  for (const p of types[fqn].properties || []) {
    const docs = `${p.docs?.summary || ''} ${p.docs?.remarks || ''}`;
    const m = docs.match(ARG_RE);
    const name = m ? m[2] : snake(p.name);
    const refs = structRefs(p.type, types);
    const arg = { required: !p.optional };
    // Deeply nested blocks (e.g. aws_wafv2_web_acl rule.statement) are typed "any":
    // written as a block or an argument, their contents go unchecked.
    if (p.type.primitive === 'any') arg.any = true;
    if (refs.length) {
      arg.block = refs[0];
      convertStruct(refs[0], types, structs);
    }
    args[name] = arg;
  }
}

function build() {
  const asm = JSON.parse(fs.readFileSync(ASSEMBLY, 'utf8'));
  const types = asm.types;
  const schema = { providerVersion: null, resource: {}, data: {}, provider: {}, structs: {} };
  for (const t of Object.values(types)) {
    if (t.kind !== 'class') continue;
    const m = (t.docs?.summary || '').match(LINK_RE);
    if (!m || !t.initializer) continue;
    const cfg = (t.initializer.parameters || []).find((p) => p.name === 'config');
    if (!cfg || !cfg.type.fqn) continue;
    schema.providerVersion = m[1];
    convertStruct(cfg.type.fqn, types, schema.structs);
    const kind = m[2] === 'resources' ? 'resource' : m[2] === 'data-sources' ? 'data' : 'provider';
    schema[kind][kind === 'provider' ? 'aws' : m[4]] = cfg.type.fqn;
  }
  // The provider's own meta-argument is part of its config struct already ("alias").
  return schema;
}

let cached = null;

function load() {
  if (cached) return cached;
  try {
    cached = JSON.parse(fs.readFileSync(CACHE_FILE, 'utf8'));
    return cached;
  } catch {
    // no cache yet: build it
  }
  cached = build();
  try {
    fs.mkdirSync(CACHE_DIR, { recursive: true });
    const tmp = `${CACHE_FILE}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(cached));
    fs.renameSync(tmp, CACHE_FILE);
  } catch {
    // a read-only node_modules only costs speed
  }
  return cached;
}

module.exports = { load, PKG_VERSION };
