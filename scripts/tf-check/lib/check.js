'use strict';
// The checks: parse, canonical format, AWS provider schema, references and module wiring,
// then the apply-time rules of lib/rules.js.

const fs = require('node:fs');
const path = require('node:path');
const { parse, getReferencesInExpression } = require('@cdktn/hcl2json');
const { format } = require('@cdktn/hcl-tools');
const { scan, child } = require('./locate');
const schemaLib = require('./schema');
const { Rules } = require('./rules');

const RESOURCE_META = new Set(['count', 'for_each', 'depends_on', 'provider', 'lifecycle', 'provisioner', 'connection']);
const DATA_META = new Set(['count', 'for_each', 'depends_on', 'provider', 'lifecycle']);
const MODULE_META = new Set(['source', 'version', 'count', 'for_each', 'depends_on', 'providers']);
const GLOBAL_ROOTS = new Set(['each', 'count', 'path', 'terraform', 'self']);
const SKIP_DIRS = new Set(['.terraform', 'node_modules', '.git']);

class Checker {
  constructor({ cwd = process.cwd() } = {}) {
    this.cwd = cwd;
    this.findings = [];
    this.modules = new Map(); // absolute dir -> module model
    this.schema = null;
  }

  rel(file) {
    return path.relative(this.cwd, file) || '.';
  }

  report(file, line, rule, message) {
    this.findings.push({ file: this.rel(file), line: line || null, rule, message });
  }

  // Every directory under `root` (itself included) that holds .tf files.
  static moduleDirs(root) {
    const out = [];
    const walk = (dir) => {
      const entries = fs.readdirSync(dir, { withFileTypes: true });
      if (entries.some((e) => e.isFile() && e.name.endsWith('.tf'))) out.push(dir);
      for (const e of entries) {
        if (e.isDirectory() && !SKIP_DIRS.has(e.name)) walk(path.join(dir, e.name));
      }
    };
    walk(root);
    return out.sort();
  }

  // Parses (once) every .tf file of a directory into a module model.
  async loadModule(dir) {
    const abs = path.resolve(dir);
    if (this.modules.has(abs)) return this.modules.get(abs);
    const mod = {
      dir: abs, files: [], variables: {}, locals: {}, outputs: {}, resources: {}, data: {}, calls: {},
    };
    this.modules.set(abs, mod);
    const names = fs.readdirSync(abs).filter((f) => f.endsWith('.tf')).sort();
    for (const name of names) {
      const file = path.join(abs, name);
      const src = fs.readFileSync(file, 'utf8');
      let json;
      try {
        json = await parse(name, src);
      } catch (err) {
        const msg = String(err && err.message ? err.message : err);
        const m = msg.match(new RegExp(`${name.replace(/\./g, '\\.')}:(\\d+),(\\d+)[^:]*: ([^\\]]*)`));
        this.report(file, m ? Number(m[1]) : null, 'parse', m ? m[3].trim() : msg);
        mod.files.push({ file, src, json: null, tree: null });
        continue;
      }
      const tree = scan(src);
      mod.files.push({ file, src, json, tree });
      this.collectDeclarations(mod, file, json, tree);
    }
    return mod;
  }

  declare(table, key, file, line, extra, kind) {
    if (table[key]) {
      this.report(file, line, 'duplicate', `${kind} "${key}" is already declared at ${this.rel(table[key].file)}:${table[key].line}`);
      return;
    }
    table[key] = { file, line, ...extra };
  }

  collectDeclarations(mod, file, json, tree) {
    for (const [name, list] of Object.entries(json.variable || {})) {
      const node = child(tree, 'variable', [name]);
      this.declare(mod.variables, name, file, node?.line, { hasDefault: 'default' in list[0], default: list[0].default, validation: list[0].validation || [] }, 'variable');
    }
    for (const [name, list] of Object.entries(json.output || {})) {
      this.declare(mod.outputs, name, file, child(tree, 'output', [name])?.line, { body: list[0] }, 'output');
    }
    (json.locals || []).forEach((body, k) => {
      const node = child(tree, 'locals', null, k);
      for (const name of Object.keys(body)) {
        this.declare(mod.locals, name, file, node?.attrs[name], { value: body[name] }, 'local');
      }
    });
    for (const kind of ['resource', 'data']) {
      for (const [type, byName] of Object.entries(json[kind] || {})) {
        for (const [name, list] of Object.entries(byName)) {
          const node = child(tree, kind, [type, name]);
          const table = kind === 'resource' ? mod.resources : mod.data;
          this.declare(table, `${type}.${name}`, file, node?.line, { type, name, body: list[0], node }, kind);
        }
      }
    }
    for (const [name, list] of Object.entries(json.module || {})) {
      const node = child(tree, 'module', [name]);
      this.declare(mod.calls, name, file, node?.line, { body: list[0], node }, 'module');
    }
  }

  // ---- 2. canonical formatting ----
  async checkFormat(mod) {
    for (const f of mod.files) {
      if (!f.json) continue;
      const want = await format(f.src);
      if (want !== f.src) {
        const a = f.src.split('\n');
        const b = want.split('\n');
        let k = 0;
        while (k < a.length && a[k] === b[k]) k += 1;
        this.report(f.file, k + 1, 'format', 'not in canonical format (terraform fmt would change this line)');
      }
    }
  }

  // ---- 3. AWS provider schema ----
  checkSchema(mod) {
    for (const f of mod.files) {
      if (!f.json) continue;
      for (const kind of ['resource', 'data']) {
        for (const [type, byName] of Object.entries(f.json[kind] || {})) {
          if (!type.startsWith('aws_')) continue;
          for (const [name, list] of Object.entries(byName)) {
            const node = child(f.tree, kind, [type, name]);
            const what = kind === 'resource' ? type : `data.${type}`;
            const fqn = this.schema[kind][type];
            if (!fqn) {
              this.report(f.file, node?.line, 'schema', `unknown ${kind === 'resource' ? 'resource' : 'data source'} type "${type}" (AWS provider ${this.schema.providerVersion})`);
              continue;
            }
            const meta = kind === 'resource' ? RESOURCE_META : DATA_META;
            this.checkBody(f.file, list[0], fqn, node, `${what}.${name}`, meta);
          }
        }
      }
      for (const [name, list] of Object.entries(f.json.provider || {})) {
        if (name !== 'aws') continue;
        list.forEach((body, k) => {
          const node = child(f.tree, 'provider', ['aws'], k);
          this.checkBody(f.file, body, this.schema.provider.aws, node, 'provider "aws"', new Set(['version']));
        });
      }
    }
  }

  checkBody(file, body, fqn, node, where, meta) {
    const args = this.schema.structs[fqn];
    const line = (key) => node?.attrs[key] ?? child(node, key)?.line ?? node?.line;
    const present = new Set();
    for (const [key, value] of Object.entries(body || {})) {
      if (meta.has(key)) continue;
      if (key === 'dynamic') {
        for (const [bname, dlist] of Object.entries(value)) {
          present.add(bname);
          dlist.forEach((dyn, k) => {
            const dnode = child(node, 'dynamic', [bname], k);
            const spec = args[bname];
            if (!spec) {
              this.report(file, dnode?.line, 'schema', `${where}: unknown block "${bname}" in dynamic block`);
              return;
            }
            if (!spec.block) {
              this.report(file, dnode?.line, 'schema', `${where}: "${bname}" is an argument, not a block; it cannot be dynamic`);
              return;
            }
            if (!('for_each' in dyn)) this.report(file, dnode?.line, 'schema', `${where}: dynamic "${bname}" has no for_each`);
            for (const extra of Object.keys(dyn)) {
              if (!['for_each', 'iterator', 'labels', 'content'].includes(extra)) {
                this.report(file, dnode?.attrs[extra] ?? dnode?.line, 'schema', `${where}: dynamic "${bname}" has unexpected "${extra}"`);
              }
            }
            if (!Array.isArray(dyn.content)) {
              this.report(file, dnode?.line, 'schema', `${where}: dynamic "${bname}" has no content block`);
              return;
            }
            this.checkBody(file, dyn.content[0], spec.block, child(dnode, 'content'), `${where}.${bname}`, new Set());
          });
        }
        continue;
      }
      present.add(key);
      const spec = args[key];
      if (!spec) {
        this.report(file, line(key), 'schema', `${where}: unknown argument or block "${key}"`);
        continue;
      }
      const writtenAsBlock = node && !(key in node.attrs) && child(node, key);
      if (!spec.block && !spec.any && writtenAsBlock) {
        this.report(file, line(key), 'schema', `${where}: "${key}" is an argument, write it as ${key} = ...`);
        continue;
      }
      if (spec.block && writtenAsBlock && Array.isArray(value)) {
        value.forEach((v, k) => {
          if (v && typeof v === 'object' && !Array.isArray(v)) {
            this.checkBody(file, v, spec.block, child(node, key, null, k), `${where}.${key}`, new Set());
          }
        });
      }
    }
    for (const [key, spec] of Object.entries(args)) {
      if (spec.required && !present.has(key)) {
        this.report(file, node?.line, 'schema', `${where}: missing required ${spec.block ? 'block' : 'argument'} "${key}"`);
      }
    }
  }

  // ---- 4. references and module wiring ----
  async checkReferences(mod) {
    const resourceTypes = new Set(Object.values(mod.resources).map((r) => r.type));
    for (const f of mod.files) {
      if (!f.json) continue;
      for (const [blockType, content] of Object.entries(f.json)) {
        if (blockType === 'terraform') continue;
        const visit = async (value, ctx) => this.visit(mod, f, value, ctx, resourceTypes);
        if (blockType === 'locals') {
          for (const [k, body] of content.entries()) {
            const node = child(f.tree, 'locals', null, k);
            for (const [name, v] of Object.entries(body)) await visit(v, { line: node?.attrs[name], iters: [], path: [name] });
          }
        } else if (blockType === 'resource' || blockType === 'data') {
          for (const [type, byName] of Object.entries(content)) {
            for (const [name, list] of Object.entries(byName)) {
              const node = child(f.tree, blockType, [type, name]);
              await this.visitBody(mod, f, list[0], node, [], resourceTypes);
            }
          }
        } else {
          for (const [name, list] of Object.entries(content)) {
            if (!Array.isArray(list)) continue;
            for (const [k, body] of list.entries()) {
              const node = child(f.tree, blockType, [name], k);
              const skip = blockType === 'variable' ? ['type'] : blockType === 'module' ? ['providers', 'source'] : [];
              await this.visitBody(mod, f, body, node, [], resourceTypes, skip);
            }
          }
        }
      }
    }
  }

  async visitBody(mod, f, body, node, iters, resourceTypes, skip = []) {
    for (const [key, value] of Object.entries(body || {})) {
      if (skip.includes(key) || key === 'provider') continue;
      if (key === 'lifecycle' && Array.isArray(value)) {
        for (const [k, lc] of value.entries()) {
          const { ignore_changes: ignored, ...rest } = lc;
          await this.visitBody(mod, f, rest, child(node, 'lifecycle', null, k), iters, resourceTypes);
        }
        continue;
      }
      if (key === 'dynamic') {
        for (const [bname, dlist] of Object.entries(value)) {
          for (const [k, dyn] of dlist.entries()) {
            const dnode = child(node, 'dynamic', [bname], k);
            const iter = typeof dyn.iterator === 'string' ? dyn.iterator.replace(/^\$\{(.*)\}$/, '$1') : bname;
            await this.visit(mod, f, dyn.for_each, { line: dnode?.attrs.for_each ?? dnode?.line, iters });
            for (const [ck, c] of (dyn.content || []).entries()) {
              await this.visitBody(mod, f, c, child(dnode, 'content', null, ck), [...iters, iter], resourceTypes);
            }
            if (dyn.labels) await this.visit(mod, f, dyn.labels, { line: dnode?.line, iters: [...iters, iter] });
          }
        }
        continue;
      }
      const isBlock = node && !(key in node.attrs) && child(node, key) && Array.isArray(value);
      if (isBlock) {
        for (const [k, v] of value.entries()) {
          await this.visitBody(mod, f, v, child(node, key, null, k), iters, resourceTypes);
        }
      } else {
        await this.visit(mod, f, value, { line: node?.attrs[key] ?? node?.line, iters });
      }
    }
  }

  async visit(mod, f, value, ctx) {
    if (typeof value === 'string') {
      if (!value.includes('${') && !value.includes('%{')) return;
      let refs;
      try {
        refs = await getReferencesInExpression(path.basename(f.file), value);
      } catch (err) {
        this.report(f.file, ctx.line, 'parse', `cannot parse expression: ${String(err.message || err).slice(0, 200)}`);
        return;
      }
      for (const r of refs) this.resolve(mod, f, r.value, ctx);
    } else if (Array.isArray(value)) {
      for (const v of value) await this.visit(mod, f, v, ctx);
    } else if (value && typeof value === 'object') {
      for (const v of Object.values(value)) await this.visit(mod, f, v, ctx);
    }
  }

  resolve(mod, f, ref, ctx) {
    const parts = ref.split('.');
    const [root, a] = parts;
    // module.x[0].out and module.x["k"].out: the output is the first non-index segment
    const b = parts.slice(2).find((p) => !/^(\d+|".*")$/.test(p));
    const where = (msg) => this.report(f.file, ctx.line, 'reference', msg);
    if (GLOBAL_ROOTS.has(root) || ctx.iters.includes(root)) return;
    if (root === 'var') {
      if (!mod.variables[a]) where(`var.${a} is not declared in ${this.rel(mod.dir)}`);
    } else if (root === 'local') {
      if (!mod.locals[a]) where(`local.${a} is not declared in ${this.rel(mod.dir)}`);
    } else if (root === 'module') {
      const call = mod.calls[a];
      if (!call) where(`module.${a} is not declared in ${this.rel(mod.dir)}`);
      else if (b && call.target && !call.target.outputs[b]) {
        where(`module.${a}.${b}: module "${a}" (${this.rel(call.target.dir)}) has no output "${b}"`);
      }
    } else if (root === 'data') {
      if (!mod.data[`${a}.${b}`]) where(`data.${a}.${b} is not declared in ${this.rel(mod.dir)}`);
    } else if (a !== undefined && mod.resources[`${root}.${a}`]) {
      // a declared resource
    } else if (/^[a-z][a-z0-9]*_[a-z0-9_]+$/.test(root) && a !== undefined) {
      where(`resource ${root}.${a} is not declared in ${this.rel(mod.dir)}`);
    } else {
      where(`unknown reference "${ref}"`);
    }
  }

  async checkModuleCalls(mod) {
    for (const [name, call] of Object.entries(mod.calls)) {
      const src = call.body.source;
      const line = call.node?.attrs.source ?? call.line;
      if (typeof src !== 'string') {
        this.report(call.file, call.line, 'module', `module "${name}" has no source`);
        continue;
      }
      if (!src.startsWith('./') && !src.startsWith('../')) {
        this.report(call.file, line, 'module', `module "${name}": source "${src}" is not a local path; it cannot be verified offline`);
        continue;
      }
      const dir = path.resolve(mod.dir, src);
      if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()
        || !fs.readdirSync(dir).some((x) => x.endsWith('.tf'))) {
        this.report(call.file, line, 'module', `module "${name}": source "${src}" does not exist or has no .tf files`);
        continue;
      }
      call.target = await this.loadModule(dir);
    }
    for (const [name, call] of Object.entries(mod.calls)) {
      if (!call.target) continue;
      const passed = Object.keys(call.body).filter((k) => !MODULE_META.has(k));
      for (const arg of passed) {
        if (!call.target.variables[arg]) {
          this.report(call.file, call.node?.attrs[arg] ?? call.line, 'module', `module "${name}": "${arg}" is not a variable of ${this.rel(call.target.dir)}`);
        }
      }
      for (const [vname, v] of Object.entries(call.target.variables)) {
        if (!v.hasDefault && !passed.includes(vname)) {
          this.report(call.file, call.line, 'module', `module "${name}": required variable "${vname}" of ${this.rel(call.target.dir)} is not set`);
        }
      }
    }
  }

  // Checks every module directory under the given roots, and every local module they call.
  async run(roots) {
    this.schema = schemaLib.load();
    const queue = [];
    for (const r of roots) queue.push(...Checker.moduleDirs(r));
    const done = new Set();
    while (queue.length) {
      const dir = path.resolve(queue.shift());
      if (done.has(dir)) continue;
      done.add(dir);
      const mod = await this.loadModule(dir);
      await this.checkModuleCalls(mod);
      await this.checkFormat(mod);
      this.checkSchema(mod);
      await this.checkReferences(mod);
      for (const call of Object.values(mod.calls)) if (call.target) queue.push(call.target.dir);
    }
    // ---- 5. apply-time rules (lib/rules.js), once every module call is resolved ----
    const rules = new Rules(this);
    for (const dir of done) rules.run(this.modules.get(dir));
    const seen = new Set();
    this.findings = this.findings.filter((x) => {
      const k = `${x.file}:${x.line}:${x.rule}:${x.message}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    this.findings.sort((x, y) => x.file.localeCompare(y.file) || (x.line || 0) - (y.line || 0));
    return { dirs: [...done].map((d) => this.rel(d)), findings: this.findings };
  }
}

module.exports = { Checker };
