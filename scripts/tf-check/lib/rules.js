'use strict';
// Apply-time rules: mistakes the provider schema accepts but AWS refuses (or
// silently mishandles) on a real account. Each rule reports at the line to fix.
//
//   replace-name    a fixed name on a resource replaced with create_before_destroy
//   fargate-size    a Fargate task CPU/memory pair AWS does not offer
//   global-name     an account-wide (or global) name without the region in it
//   provider-floor  an AWS provider constraint below what the module uses
//   output-depends  an output that hands out a role or subnet before it is usable
//   az-opt-in       availability zones that may need an opt-in
//   alarm-datapoints datapoints_to_alarm above evaluation_periods
//   alarm-fill      metric math over several metrics without FILL(m, 0) on each
//   alarm-divide    metric math dividing by something that can be 0
//   deploy-alarm-elb an ECS deployment rolled back on an alarm over the load balancer's own 5xx
//   ecs-rollout     wait_for_steady_state without a postcondition that the new revision runs
//   drain-twice     a DRAIN_S above 2 s on an ECS service behind a load balancer
//   range-mismatch  a variable handed to a module whose validation is narrower, or that has none
//                   while the module's variable has one (the user would get the module's message)
//   sg-rule-order   an ECS service that does not wait for the rules of its own security group
//   helper-essential a container without port mappings (init container, sidecar) left essential
//   volume-readonly the serving container mounting read-write a volume a helper writes
//   init-depends    the serving container not waiting (SUCCESS) for the helper that fills its volume
//   s3-object-scope s3:GetObject granted beyond one object (a wildcard, a bucket, "*")
//   catalog-memory  a task's memory not validated against the catalog size and CONN_LIMIT it is given
//   startup-grace   a health-check grace period that does not follow the catalog size
//   cert-validation an ACM certificate's ARN handed to a listener (or out of a module) before it is issued
//   waf-log-name    WAF logging to a log group whose name does not start with aws-waf-logs-

const { child } = require('./locate');

// Types whose name must be unique (per region, VPC or account) at create time.
const UNIQUE_NAME = {
  aws_lb_target_group: 'name',
  aws_lb: 'name',
  aws_security_group: 'name',
  aws_iam_role: 'name',
  aws_iam_policy: 'name',
  aws_launch_template: 'name',
};

// Names IAM and CloudWatch keep per account across all regions; S3 bucket names
// are global across all accounts.
const GLOBAL_NAME = {
  aws_iam_role: { arg: 'name', prefix: 'name_prefix', scope: 'IAM role names are unique per account, across regions' },
  aws_iam_policy: { arg: 'name', prefix: 'name_prefix', scope: 'IAM policy names are unique per account, across regions' },
  aws_iam_user: { arg: 'name', prefix: null, scope: 'IAM user names are unique per account, across regions' },
  aws_iam_instance_profile: { arg: 'name', prefix: 'name_prefix', scope: 'instance profile names are unique per account, across regions' },
  aws_cloudwatch_dashboard: { arg: 'dashboard_name', prefix: null, scope: 'CloudWatch dashboard names are unique per account, across regions' },
  aws_s3_bucket: { arg: 'bucket', prefix: 'bucket_prefix', scope: 'S3 bucket names are unique across all accounts and regions', account: true },
};

// Provider features and the first AWS provider release that has them (its CHANGELOG).
const FEATURE_FLOOR = [
  {
    version: '6.8.0',
    what: 'image_tag_mutability_exclusion_filter (aws_ecr_repository)',
    test: (m) => Object.values(m.resources).some((r) => r.type === 'aws_ecr_repository'
      && ('image_tag_mutability_exclusion_filter' in r.body || 'image_tag_mutability_exclusion_filter' in (r.body.dynamic || {}))),
  },
  {
    version: '6.8.0',
    what: 'image_tag_mutability "IMMUTABLE_WITH_EXCLUSION"',
    test: (m) => m.files.some((f) => f.json && JSON.stringify(f.json).includes('IMMUTABLE_WITH_EXCLUSION')),
  },
  {
    version: '6.0.0',
    what: 'the "region" attribute of data.aws_region',
    test: (m) => m.files.some((f) => f.json && /data\.aws_region\.[A-Za-z0-9_-]+\.region\b/.test(JSON.stringify(f.json))),
  },
];

// Memory (MiB) Fargate allows per task CPU value (Amazon ECS Developer Guide,
// "Task CPU and memory").
function steps(from, to, by) {
  const out = [];
  for (let v = from; v <= to; v += by) out.push(v);
  return out;
}
const FARGATE = {
  256: [512, 1024, 2048],
  512: steps(1024, 4096, 1024),
  1024: steps(2048, 8192, 1024),
  2048: steps(4096, 16384, 1024),
  4096: steps(8192, 30720, 1024),
  8192: steps(16384, 61440, 4096),
  16384: steps(32768, 122880, 8192),
};

function fargateError(cpu, memory) {
  const allowed = FARGATE[cpu];
  if (!allowed) return `cpu ${cpu} is not a Fargate size (${Object.keys(FARGATE).join(', ')})`;
  if (!allowed.includes(memory)) {
    return `memory ${memory} MiB is not offered with cpu ${cpu} on Fargate (allowed: ${allowed[0]}-${allowed[allowed.length - 1]}${allowed.length > 3 ? ` in steps of ${allowed[1] - allowed[0]}` : `: ${allowed.join(', ')}`}); RegisterTaskDefinition would refuse it at apply time`;
  }
  return null;
}

// A literal number, or a numeric string; else null.
function literalNumber(v) {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^[0-9]+$/.test(v)) return Number(v);
  return null;
}

// "${var.x}" or "${tostring(var.x)}" -> "x"; else null.
function varName(v) {
  if (typeof v !== 'string') return null;
  const m = /^\$\{(?:tostring\()?var\.([A-Za-z0-9_-]+)\)?\}$/.exec(v.trim());
  return m ? m[1] : null;
}

function isTrue(v) {
  return v === true || v === '${true}';
}

function parseVersion(s) {
  const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(s.trim());
  return m ? [Number(m[1]), Number(m[2] || 0), Number(m[3] || 0)] : null;
}

function cmp(a, b) {
  for (let k = 0; k < 3; k += 1) if (a[k] !== b[k]) return a[k] - b[k];
  return 0;
}

// The lowest version a constraint such as "~> 6.0", ">= 6.8.0, < 7.0" admits.
function floorOf(constraint) {
  let floor = [0, 0, 0];
  for (const part of String(constraint).split(',')) {
    const m = /^\s*(~>|>=|>|=|!=|<=|<)?\s*([0-9][0-9.]*)\s*$/.exec(part);
    if (!m) continue;
    const op = m[1] || '=';
    const v = parseVersion(m[2]);
    if (!v) continue;
    if (['~>', '>=', '='].includes(op) && cmp(v, floor) > 0) floor = v;
    if (op === '>') {
      const next = [v[0], v[1], v[2] + 1];
      if (cmp(next, floor) > 0) floor = next;
    }
  }
  return floor;
}

// ---- CloudWatch metric math (alarm-fill, alarm-divide) ----

// Tokens of a metric math expression: names, numbers, strings and single characters
// (two for the comparison operators).
function mathTokens(expr) {
  const out = [];
  const re = /\s*(?:([A-Za-z_][A-Za-z0-9_]*)|([0-9]+(?:\.[0-9]+)?)|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(<=|>=|==|!=|&&|\|\||\S))/gy;
  let m;
  while (re.lastIndex < expr.length && (m = re.exec(expr)) !== null) {
    if (m[1]) out.push({ kind: 'name', text: m[1] });
    else if (m[2]) out.push({ kind: 'number', text: m[2] });
    else if (m[3]) out.push({ kind: 'string', text: m[3] });
    else if (m[4]) out.push({ kind: 'op', text: m[4] });
  }
  return out;
}

// The metric ids an expression uses outside the first argument of FILL(...), and its
// divisions whose divisor is neither a number nor IF(...). Ids start lower case
// (CloudWatch's rule); functions are upper-case names followed by "(".
function mathFindings(expr) {
  const t = mathTokens(expr);
  const stack = [];
  const ids = new Set();
  const unfilled = new Set();
  const divisions = [];
  for (let k = 0; k < t.length; k += 1) {
    const tok = t[k];
    const next = t[k + 1];
    if (tok.kind === 'name' && next && next.text === '(') {
      stack.push({ fn: tok.text.toUpperCase(), arg: 0 });
      k += 1;
    } else if (tok.text === '(') stack.push({ fn: null, arg: 0 });
    else if (tok.text === ')') stack.pop();
    else if (tok.text === ',' && stack.length) stack[stack.length - 1].arg += 1;
    else if (tok.kind === 'name' && /^[a-z]/.test(tok.text)) {
      ids.add(tok.text);
      if (!stack.some((f) => f.fn === 'FILL' && f.arg === 0)) unfilled.add(tok.text);
    } else if (tok.text === '/') {
      const guarded = next && (next.kind === 'number' || (next.kind === 'name' && next.text.toUpperCase() === 'IF' && t[k + 2]?.text === '('));
      if (!guarded) {
        // the divisor as written: one token, or a call or parenthesis up to its close
        let e = k + 1;
        if (t[e] && (t[e].text === '(' || t[e + 1]?.text === '(')) {
          let depth = 0;
          for (; e < t.length; e += 1) {
            if (t[e].text === '(') depth += 1;
            else if (t[e].text === ')' && --depth === 0) break;
          }
        }
        divisions.push(t.slice(k + 1, e + 1).map((x) => x.text).join('').replace(/,/g, ', '));
      }
    }
  }
  return { ids, unfilled, divisions };
}

// Static metric_query blocks of an alarm, with their source nodes.
function metricQueries(r) {
  return (r.body.metric_query || []).map((q, k) => ({ q, node: child(r.node, 'metric_query', null, k) }));
}

// What a variable's validations admit, as far as simple conditions tell: a numeric
// range from var.x >= a, var.x <= b (and > <), and a value list from contains([...], var.x).
function admitted(v, name) {
  const out = { lo: -Infinity, hi: Infinity, values: null };
  for (const val of v.validation || []) {
    const cond = String(val.condition ?? '');
    const esc = name.replace(/[-]/g, '\\-');
    for (const m of cond.matchAll(new RegExp(`var\\.${esc}\\s*(>=|>|<=|<)\\s*(-?[0-9]+(?:\\.[0-9]+)?)\\b`, 'g'))) {
      const n = Number(m[2]);
      if (m[1][0] === '>') out.lo = Math.max(out.lo, m[1] === '>' ? n + Number.EPSILON : n);
      else out.hi = Math.min(out.hi, m[1] === '<' ? n - Number.EPSILON : n);
    }
    const c = new RegExp(`contains\\(\\[([^\\]]*)\\],\\s*var\\.${esc}\\)`).exec(cond);
    if (c) out.values = c[1].split(',').map((x) => x.trim()).filter(Boolean);
  }
  return out;
}

// ---- ECS container definitions written as locals (helper-essential, volume-readonly, init-depends) ----

// Flat objects written inside an expression's text, e.g. the true branch of
// local.on ? [{ containerName = "init", condition = "SUCCESS" }] : null.
function objectsInText(text) {
  const out = [];
  for (const m of String(text).matchAll(/\{([^{}]*)\}/g)) {
    const obj = {};
    for (const kv of m[1].matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*=\s*("(?:[^"\\]|\\.)*"|true|false|-?[0-9.]+)/g)) {
      const v = kv[2];
      obj[kv[1]] = v.startsWith('"') ? JSON.parse(v) : v === 'true' ? true : v === 'false' ? false : Number(v);
    }
    if (Object.keys(obj).length) out.push(obj);
  }
  return out;
}

// The entries of a list-valued field: a JSON list of objects, or objects written in an expression.
function entries(v) {
  if (Array.isArray(v)) return v.flatMap((o) => (o && typeof o === 'object' ? [o] : typeof o === 'string' ? objectsInText(o) : []));
  if (typeof v === 'string') return objectsInText(v);
  return [];
}

function isFalse(v) {
  return v === false || v === '${false}';
}

class Rules {
  constructor(checker) {
    this.c = checker;
    this.floorMemo = new Map();
  }

  line(node, key) {
    return node?.attrs[key] ?? child(node, key)?.line ?? node?.line;
  }

  run(mod) {
    this.replaceName(mod);
    this.fargateSize(mod);
    this.globalName(mod);
    this.providerFloor(mod);
    this.outputDepends(mod);
    this.azOptIn(mod);
    this.alarmDatapoints(mod);
    this.alarmMath(mod);
    this.deployAlarmElb(mod);
    this.ecsRollout(mod);
    this.drainTwice(mod);
    this.rangeMismatch(mod);
    this.sgRuleOrder(mod);
    this.containers(mod);
    this.s3ObjectScope(mod);
    this.catalogCalls(mod);
    this.certValidation(mod);
    this.wafLogName(mod);
  }

  replaceName(mod) {
    for (const r of Object.values(mod.resources)) {
      const arg = UNIQUE_NAME[r.type];
      if (!arg || !(arg in r.body)) continue;
      const lc = (r.body.lifecycle || [])[0] || {};
      if (!isTrue(lc.create_before_destroy)) continue;
      this.c.report(r.file, this.line(r.node, arg), 'replace-name',
        `${r.type}.${r.name}: a fixed ${arg} with create_before_destroy collides on replacement (the new one is created first under the same name); use ${arg}_prefix`);
    }
  }

  // Fargate task definitions of a module whose cpu/memory come from its variables.
  static fargateVars(mod) {
    const out = [];
    for (const r of Object.values(mod.resources)) {
      if (r.type !== 'aws_ecs_task_definition') continue;
      if (!JSON.stringify(r.body.requires_compatibilities || '').includes('FARGATE')) continue;
      out.push({ r, cpu: r.body.cpu, memory: r.body.memory });
    }
    return out;
  }

  fargateSize(mod) {
    // 1. a task definition with literal sizes, or its module's variable defaults
    for (const { r, cpu, memory } of Rules.fargateVars(mod)) {
      const cv = literalNumber(cpu) ?? mod.variables[varName(cpu)]?.default;
      const mv = literalNumber(memory) ?? mod.variables[varName(memory)]?.default;
      if (typeof cv !== 'number' || typeof mv !== 'number') continue;
      const err = fargateError(cv, mv);
      if (!err) continue;
      const mvar = mod.variables[varName(memory)];
      if (literalNumber(memory) !== null || !mvar) this.c.report(r.file, this.line(r.node, 'memory'), 'fargate-size', `${r.type}.${r.name}: ${err}`);
      else this.c.report(mvar.file, mvar.line, 'fargate-size', `defaults of variables "${varName(cpu)}" and "${varName(memory)}": ${err}`);
    }
    // 2. a module call: the values passed (literals or the caller's variable defaults) over the callee's defaults
    for (const [name, call] of Object.entries(mod.calls)) {
      if (!call.target) continue;
      for (const { cpu, memory } of Rules.fargateVars(call.target)) {
        const keys = [varName(cpu), varName(memory)];
        if (!keys[0] || !keys[1]) continue;
        const values = keys.map((k) => {
          if (k in call.body) {
            const v = call.body[k];
            return literalNumber(v) ?? mod.variables[varName(v)]?.default;
          }
          return call.target.variables[k]?.default;
        });
        if (typeof values[0] !== 'number' || typeof values[1] !== 'number') continue;
        const err = fargateError(values[0], values[1]);
        if (!err) continue;
        const passed = keys.filter((k) => k in call.body);
        const at = passed.length ? Math.max(...passed.map((k) => call.node?.attrs[k] ?? call.line)) : call.line;
        this.c.report(call.file, at, 'fargate-size', `module "${name}": ${keys[0]} = ${values[0]}, ${keys[1]} = ${values[1]}: ${err}`);
      }
    }
  }

  // The text of an expression with the locals it names spliced in (to any depth).
  static expandLocals(mod, text, depth = 0) {
    if (depth > 8) return text;
    return text.replace(/local\.([A-Za-z0-9_-]+)/g, (all, name) => {
      const l = mod.locals[name];
      return l ? Rules.expandLocals(mod, JSON.stringify(l.value ?? ''), depth + 1) : all;
    });
  }

  globalName(mod) {
    for (const r of Object.values(mod.resources)) {
      const g = GLOBAL_NAME[r.type];
      if (!g || !(g.arg in r.body)) continue;
      const text = Rules.expandLocals(mod, JSON.stringify(r.body[g.arg]));
      const hasRegion = /region/i.test(text);
      const hasAccount = !g.account || /account/i.test(text);
      if (hasRegion && hasAccount) continue;
      const want = g.account ? 'the account ID and the region' : 'the region (e.g. data.aws_region.current.region)';
      this.c.report(r.file, this.line(r.node, g.arg), 'global-name',
        `${r.type}.${r.name}: ${g.scope}; put ${want} in ${g.arg}${g.prefix ? ` or use ${g.prefix}` : ''}, or a second region collides`);
    }
  }

  // The floor a module needs: its own features and every module it calls.
  needed(mod, seen = new Set()) {
    if (this.floorMemo.has(mod.dir)) return this.floorMemo.get(mod.dir);
    if (seen.has(mod.dir)) return { version: [0, 0, 0], why: null };
    seen.add(mod.dir);
    let best = { version: [0, 0, 0], why: null };
    for (const f of FEATURE_FLOOR) {
      const v = parseVersion(f.version);
      if (cmp(v, best.version) > 0 && f.test(mod)) best = { version: v, why: f.what };
    }
    for (const [name, call] of Object.entries(mod.calls)) {
      if (!call.target) continue;
      const sub = this.needed(call.target, seen);
      if (cmp(sub.version, best.version) > 0) best = { version: sub.version, why: `module "${name}" (${sub.why})` };
    }
    this.floorMemo.set(mod.dir, best);
    return best;
  }

  providerFloor(mod) {
    for (const f of mod.files) {
      if (!f.json) continue;
      for (const [k, tb] of (f.json.terraform || []).entries()) {
        const rp = (tb.required_providers || [])[0];
        const aws = rp && rp.aws;
        if (!aws || typeof aws !== 'object' || !aws.version) continue;
        const have = floorOf(aws.version);
        const need = this.needed(mod);
        if (cmp(have, need.version) >= 0) continue;
        const tnode = child(f.tree, 'terraform', null, k);
        const awsLine = child(tnode, 'required_providers')?.attrs.aws;
        let at = awsLine ?? tnode?.line;
        if (awsLine) {
          const lines = f.src.split('\n');
          for (let n = awsLine - 1; n < Math.min(lines.length, awsLine + 6); n += 1) {
            if (/^\s*version\s*=/.test(lines[n])) { at = n + 1; break; }
          }
        }
        this.c.report(f.file, at, 'provider-floor',
          `required AWS provider "${aws.version}" admits ${have.join('.')}, but ${need.why} needs ${need.version.join('.')} or later`);
      }
    }
  }

  // Outputs that hand out an IAM role before its policy is attached, or subnets
  // before their route table association, let a consumer start too early.
  outputDepends(mod) {
    const waits = [];
    for (const r of Object.values(mod.resources)) {
      const body = JSON.stringify(r.body);
      if (r.type === 'aws_iam_role_policy_attachment' || r.type === 'aws_iam_role_policy') {
        const m = /aws_iam_role\.([A-Za-z0-9_-]+)\./.exec(body);
        if (m) waits.push({ re: new RegExp(`aws_iam_role\\.${m[1]}\\.arn\\b`), dep: `${r.type}.${r.name}`, what: `role ${m[1]} gets its policy` });
      }
      if (r.type === 'aws_route_table_association') {
        const m = /aws_subnet\.([A-Za-z0-9_-]+)\b/.exec(body);
        if (m) waits.push({ re: new RegExp(`aws_subnet\\.${m[1]}\\b`), dep: `${r.type}.${r.name}`, what: `subnets ${m[1]} get their route table` });
      }
    }
    for (const [name, out] of Object.entries(mod.outputs)) {
      const value = JSON.stringify(out.body.value ?? '');
      const deps = JSON.stringify(out.body.depends_on ?? []);
      for (const w of waits) {
        if (w.re.test(value) && !deps.includes(w.dep)) {
          this.c.report(out.file, out.line, 'output-depends',
            `output "${name}" is usable only once ${w.what}: add depends_on = [${w.dep}]`);
        }
      }
    }
  }

  azOptIn(mod) {
    for (const d of Object.values(mod.data)) {
      if (d.type !== 'aws_availability_zones') continue;
      const filters = JSON.stringify(d.body.filter || []);
      if (filters.includes('opt-in-status') && filters.includes('opt-in-not-required')) continue;
      if (d.body.all_availability_zones !== undefined || d.body.exclude_names !== undefined) continue;
      this.c.report(d.file, d.line, 'az-opt-in',
        `data.aws_availability_zones.${d.name}: without a filter on opt-in-status = opt-in-not-required it may return Local Zones the account has not opted in to`);
    }
  }

  alarmDatapoints(mod) {
    for (const r of Object.values(mod.resources)) {
      if (r.type !== 'aws_cloudwatch_metric_alarm') continue;
      const dp = literalNumber(r.body.datapoints_to_alarm);
      const ev = literalNumber(r.body.evaluation_periods);
      if (dp === null || ev === null || dp <= ev) continue;
      this.c.report(r.file, this.line(r.node, 'datapoints_to_alarm'), 'alarm-datapoints',
        `${r.type}.${r.name}: datapoints_to_alarm ${dp} exceeds evaluation_periods ${ev}; PutMetricAlarm refuses it`);
    }
  }
  // Metric math has a value only in the minutes where every metric it uses has one;
  // the ALB's counts (5xx, and RequestCount with no traffic) are published only in
  // minutes where they are nonzero. A sum or ratio of them without FILL(m, 0) is
  // missing in most minutes, and with notBreaching the alarm never fires.
  alarmMath(mod) {
    for (const r of Object.values(mod.resources)) {
      if (r.type !== 'aws_cloudwatch_metric_alarm') continue;
      const queries = metricQueries(r);
      const expressionIds = new Set(queries.filter(({ q }) => typeof q.expression === 'string').map(({ q }) => q.id));
      for (const { q, node } of queries) {
        if (typeof q.expression !== 'string' || q.expression.includes('${')) continue;
        const { ids, unfilled, divisions } = mathFindings(q.expression);
        const metrics = [...ids].filter((id) => !expressionIds.has(id));
        const bare = [...unfilled].filter((id) => !expressionIds.has(id));
        const at = node?.attrs.expression ?? node?.line ?? r.line;
        if (metrics.length >= 2 && bare.length) {
          this.c.report(r.file, at, 'alarm-fill',
            `${r.type}.${r.name}: "${q.expression}" combines ${metrics.join(', ')} but uses ${bare.join(', ')} without FILL(x, 0); metric math has a value only where every metric has a datapoint, and ALB counts are published only in minutes they are nonzero, so the alarm is missing most minutes`);
        }
        if (divisions.length) {
          this.c.report(r.file, at, 'alarm-divide',
            `${r.type}.${r.name}: "${q.expression}" divides by ${divisions.map((d) => `"${d}"`).join(', ')}, which is 0 in a minute without requests; divide by IF(d > 0, d, 1)`);
        }
      }
    }
  }

  // Alarm resources an aws_ecs_service's deployment alarms name: in this module, or
  // through a module variable the caller fills from another module's output.
  deployAlarmElb(mod) {
    const services = (m) => Object.values(m.resources).filter((r) => r.type === 'aws_ecs_service');
    const alarmText = (r) => JSON.stringify([r.body.alarms || [], (r.body.dynamic || {}).alarms || []]);
    const elbAlarms = (m, text) => [...text.matchAll(/aws_cloudwatch_metric_alarm\.([A-Za-z0-9_-]+)/g)]
      .map((x) => m.resources[`aws_cloudwatch_metric_alarm.${x[1]}`])
      .filter((a) => a && JSON.stringify(a.body).includes('HTTPCode_ELB_5XX_Count'));
    const why = 'the load balancer\'s own 503s while no target is healthy yet (a first rollout, tasks still starting) would roll the deployment back; roll back on the targets\' own 5xx (HTTPCode_Target_5XX_Count)';
    for (const svc of services(mod)) {
      const text = Rules.expandLocals(mod, alarmText(svc));
      for (const a of elbAlarms(mod, text)) {
        this.c.report(svc.file, this.line(svc.node, 'alarms') ?? svc.line, 'deploy-alarm-elb',
          `${svc.type}.${svc.name}: deployment alarm ${a.type}.${a.name} counts HTTPCode_ELB_5XX_Count: ${why}`);
      }
    }
    for (const [name, call] of Object.entries(mod.calls)) {
      if (!call.target) continue;
      const vars = new Set();
      for (const svc of services(call.target)) {
        const text = Rules.expandLocals(call.target, alarmText(svc));
        for (const x of text.matchAll(/var\.([A-Za-z0-9_-]+)/g)) vars.add(x[1]);
      }
      for (const v of vars) {
        if (!(v in call.body)) continue;
        const passed = Rules.expandLocals(mod, JSON.stringify(call.body[v]));
        for (const x of passed.matchAll(/module\.([A-Za-z0-9_-]+)(?:\[[^\]]*\])?\.([A-Za-z0-9_-]+)/g)) {
          const src = mod.calls[x[1]]?.target;
          const out = src?.outputs[x[2]];
          if (!out) continue;
          for (const a of elbAlarms(src, JSON.stringify(out.body.value ?? ''))) {
            this.c.report(call.file, call.node?.attrs[v] ?? call.line, 'deploy-alarm-elb',
              `module "${name}": ${v} = module.${x[1]}.${x[2]} includes ${a.type}.${a.name}, which counts HTTPCode_ELB_5XX_Count: ${why}`);
          }
        }
      }
    }
  }
  // wait_for_steady_state is satisfied by a service the circuit breaker has rolled
  // back: apply then succeeds on the old revision unless a postcondition compares the
  // task definition read back with the one this apply registered.
  ecsRollout(mod) {
    for (const r of Object.values(mod.resources)) {
      if (r.type !== 'aws_ecs_service' || !isTrue(r.body.wait_for_steady_state)) continue;
      const posts = (r.body.lifecycle || []).flatMap((lc) => lc.postcondition || []);
      if (posts.some((p) => /self\.task_definition\b/.test(JSON.stringify(p.condition ?? '')))) continue;
      this.c.report(r.file, this.line(r.node, 'wait_for_steady_state'), 'ecs-rollout',
        `${r.type}.${r.name}: wait_for_steady_state also ends when the circuit breaker has rolled the deployment back, and apply then reports success (AWS provider issues 19519, 20858); add lifecycle { postcondition { condition = self.task_definition == <the task definition's arn> } }`);
    }
  }
  // The variable a module's ECS task passes as DRAIN_S, when the module also runs an
  // ECS service behind a load balancer (else null).
  static drainVar(mod) {
    const lb = Object.values(mod.resources).some((r) => r.type === 'aws_ecs_service'
      && (r.body.load_balancer || (r.body.dynamic || {}).load_balancer));
    if (!lb) return null;
    for (const f of mod.files) {
      // DRAIN_S = var.x in a map, or { name = "DRAIN_S", value = var.x } in a container's list
      const m = /\bDRAIN_S"?\s*(?:=|,\s*value\s*=)\s*(?:tostring\()?var\.([A-Za-z0-9_-]+)/.exec(f.src);
      if (m) return m[1];
    }
    return null;
  }

  // ECS deregisters a task from its target group and waits out the deregistration delay
  // before it sends SIGTERM; the server's DRAIN_S (503 on /health after SIGTERM) then
  // only adds dead time to each deployment step and scale-in.
  drainTwice(mod) {
    const why = (n) => `ECS sends SIGTERM only after the target has drained from the load balancer (the deregistration delay), so DRAIN_S ${n} adds ${n} s of dead time to every deployment step and scale-in; use 0-2 and size the deregistration delay to the longest request`;
    const dv = Rules.drainVar(mod);
    const own = dv && mod.variables[dv];
    if (own && typeof own.default === 'number' && own.default > 2) {
      this.c.report(own.file, own.line, 'drain-twice', `variable "${dv}" (DRAIN_S) defaults to ${own.default}: ${why(own.default)}`);
    }
    for (const [name, call] of Object.entries(mod.calls)) {
      const v = call.target && Rules.drainVar(call.target);
      if (!v || !(v in call.body)) continue;
      const passed = call.body[v];
      const n = literalNumber(passed) ?? mod.variables[varName(passed)]?.default;
      if (typeof n !== 'number' || n <= 2) continue;
      const from = literalNumber(passed) !== null ? '' : ` (the default of var.${varName(passed)})`;
      this.c.report(call.file, call.node?.attrs[v] ?? call.line, 'drain-twice', `module "${name}": ${v} = ${n}${from}: ${why(n)}`);
    }
  }
  // A variable passed straight to a module must admit no more than the module's variable
  // does, and must have a validation of its own where the module's has one: otherwise bad
  // input passes the caller's check and fails in the module with a message that names the
  // module's variable, not the one the user set.
  rangeMismatch(mod) {
    for (const [name, call] of Object.entries(mod.calls)) {
      if (!call.target) continue;
      for (const [arg, value] of Object.entries(call.body)) {
        const callee = call.target.variables[arg];
        const vn = varName(value);
        const caller = vn && mod.variables[vn];
        if (!callee || !caller || !(callee.validation || []).length) continue;
        const where = `module "${name}" (${this.c.rel(call.target.dir)}) variable "${arg}"`;
        if (!(caller.validation || []).length) {
          this.c.report(caller.file, caller.line, 'range-mismatch',
            `variable "${vn}" has no validation, but it is passed to ${where}, which has one: bad input would fail there with a message about "${arg}"; validate "${vn}" with a message naming it`);
          continue;
        }
        const a = admitted(caller, vn);
        const b = admitted(callee, arg);
        // compare only what the caller's conditions say (a contains(lookup(...)) tells nothing here)
        const known = a.lo !== -Infinity || a.hi !== Infinity;
        const wider = known && (a.lo < b.lo || a.hi > b.hi);
        const extra = a.values && b.values ? a.values.filter((x) => !b.values.includes(x)) : [];
        if (wider) {
          const fmt = (r) => `${r.lo === -Infinity ? '-inf' : Math.round(r.lo)}..${r.hi === Infinity ? 'inf' : Math.round(r.hi)}`;
          this.c.report(caller.file, caller.line, 'range-mismatch',
            `variable "${vn}" admits ${fmt(a)}, but ${where} admits only ${fmt(b)}: values in between pass "${vn}"'s validation and fail in the module`);
        } else if (extra.length) {
          this.c.report(caller.file, caller.line, 'range-mismatch',
            `variable "${vn}" admits ${extra.join(', ')}, which ${where} refuses`);
        }
      }
    }
  }
  // Rules of a security group are resources of their own: a service that references
  // only the group can start its first task before its egress rule exists (on Fargate
  // the image pull goes through the task's network interface) or its ingress rule.
  sgRuleOrder(mod) {
    const ruleTypes = ['aws_vpc_security_group_egress_rule', 'aws_vpc_security_group_ingress_rule', 'aws_security_group_rule'];
    for (const svc of Object.values(mod.resources)) {
      if (svc.type !== 'aws_ecs_service') continue;
      const net = JSON.stringify([svc.body.network_configuration || [], (svc.body.dynamic || {}).network_configuration || []]);
      const deps = JSON.stringify(svc.body.depends_on || []);
      for (const g of net.matchAll(/aws_security_group\.([A-Za-z0-9_-]+)\./g)) {
        const missing = Object.values(mod.resources).filter((r) => ruleTypes.includes(r.type)
          && new RegExp(`aws_security_group\\.${g[1]}\\.id\\b`).test(JSON.stringify(r.body.security_group_id ?? ''))
          && !deps.includes(`${r.type}.${r.name}`));
        if (!missing.length) continue;
        const names = missing.map((r) => `${r.type}.${r.name}`);
        this.c.report(svc.file, this.line(svc.node, 'network_configuration'), 'sg-rule-order',
          `${svc.type}.${svc.name}: its tasks use aws_security_group.${g[1]}, whose rules are separate resources it does not wait for; the first task can start before them (no egress to pull the image, no ingress from the load balancer): add depends_on = [${names.join(', ')}]`);
      }
    }
  }
  // The line of `key = ...` inside the local `name` (the local's own line when absent).
  localKeyLine(mod, name, key) {
    const l = mod.locals[name];
    const f = mod.files.find((x) => x.file === l.file);
    if (!f || !l.line) return l.line;
    const lines = f.src.split('\n');
    const indent = /^(\s*)/.exec(lines[l.line - 1])[1].length;
    for (let n = l.line; n < lines.length; n += 1) {
      const ind = /^(\s*)/.exec(lines[n])[1].length;
      if (lines[n].trim() && ind <= indent) break;
      if (new RegExp(`^\\s*"?${key}"?\\s*=`).test(lines[n])) return n + 1;
    }
    return l.line;
  }

  // Container definitions written as object locals (name and image): the serving one
  // has port mappings; the others (init containers, sidecars) help it.
  containers(mod) {
    if (!Object.values(mod.resources).some((r) => r.type === 'aws_ecs_task_definition')) return;
    const cs = Object.entries(mod.locals)
      .filter(([, l]) => l.value && typeof l.value === 'object' && !Array.isArray(l.value) && 'name' in l.value && 'image' in l.value)
      .map(([local, l]) => ({ local, def: l.value, file: l.file }));
    const serving = cs.filter((c) => entries(c.def.portMappings).length > 0);
    const helpers = cs.filter((c) => !serving.includes(c));
    for (const h of helpers) {
      if (isFalse(h.def.essential)) continue;
      this.c.report(h.file, this.localKeyLine(mod, h.local, 'essential'), 'helper-essential',
        `local.${h.local} (container "${h.def.name}"): a container without port mappings is an init container or a sidecar; essential (the default) makes its exit stop the whole task: set essential = false`);
    }
    const writers = {};
    for (const h of helpers) {
      for (const m of entries(h.def.mountPoints)) {
        if (m.sourceVolume && m.readOnly !== true) (writers[m.sourceVolume] ||= []).push(h);
      }
    }
    for (const s of serving) {
      const deps = entries(s.def.dependsOn);
      for (const m of entries(s.def.mountPoints)) {
        const w = writers[m.sourceVolume];
        if (!w) continue;
        const names = w.map((h) => h.def.name);
        if (m.readOnly !== true) {
          this.c.report(s.file, this.localKeyLine(mod, s.local, 'mountPoints'), 'volume-readonly',
            `local.${s.local} (container "${s.def.name}"): mounts volume "${m.sourceVolume}", which ${names.join(', ')} write(s), without readOnly = true; the serving container only reads the catalog`);
        }
        const waits = deps.filter((d) => names.includes(d.containerName));
        const good = waits.filter((d) => ['SUCCESS', 'COMPLETE'].includes(d.condition));
        const bad = waits.filter((d) => !['SUCCESS', 'COMPLETE'].includes(d.condition));
        if (bad.length || !good.length) {
          this.c.report(s.file, this.localKeyLine(mod, s.local, good.length || bad.length ? 'dependsOn' : 'mountPoints'), 'init-depends',
            bad.length
              ? `local.${s.local} (container "${s.def.name}"): dependsOn ${bad.map((d) => `"${d.containerName}" ${d.condition}`).join(', ')} lets it start before the volume "${m.sourceVolume}" is filled; use condition = "SUCCESS" on the init container`
              : `local.${s.local} (container "${s.def.name}"): reads volume "${m.sourceVolume}" but waits for none of ${names.join(', ')}: add dependsOn = [{ containerName = "<the init container>", condition = "SUCCESS" }]`);
        }
      }
    }
  }

  // s3:GetObject (or s3:Get*, s3:*) in an Allow statement must name objects, not a
  // bucket, a prefix or everything.
  s3ObjectScope(mod) {
    for (const d of Object.values(mod.data)) {
      if (d.type !== 'aws_iam_policy_document') continue;
      const sts = [
        ...(d.body.statement || []).map((st, k) => ({ st, node: child(d.node, 'statement', null, k) })),
        ...(((d.body.dynamic || {}).statement) || []).map((dyn, k) => ({ st: (dyn.content || [])[0] || {}, node: child(child(d.node, 'dynamic', ['statement'], k), 'content') })),
      ];
      for (const { st, node } of sts) {
        if (String(st.effect ?? 'Allow') === 'Deny') continue;
        if (!/"s3:(GetObject|Get\*|\*)"|"\*"/.test(JSON.stringify(st.actions ?? []))) continue;
        if (!/s3:/.test(JSON.stringify(st.actions ?? []))) continue;
        const res = Array.isArray(st.resources) ? st.resources : [st.resources];
        const wide = res.filter((r) => typeof r !== 'string' || r.includes('*') || !/:::[^/]+\/.+/.test(r));
        if (!wide.length) continue;
        this.c.report(d.file, node?.attrs.resources ?? node?.line ?? d.line, 's3-object-scope',
          `data.${d.type}.${d.name}: s3:GetObject on ${wide.map((r) => JSON.stringify(r)).join(', ')}; grant it on the one object's ARN (arn:<partition>:s3:::<bucket>/<key>), not a bucket, a prefix or a wildcard`);
      }
    }
  }
  // Module calls that hand a Fargate service a catalog size (PRODUCT_COUNT) and a
  // connection limit (CONN_LIMIT) from the caller's variables: the task's memory must
  // be validated against both (whole-catalog peak ~474 MB at 1,000,000 products; ~20 KB
  // a connection), and the grace period must follow the catalog (the index takes ~80 s
  // at 10,000,000 products before /health answers 200).
  catalogCalls(mod) {
    for (const [name, call] of Object.entries(mod.calls)) {
      const t = call.target;
      if (!t || !('environment' in call.body)) continue;
      const env = Rules.expandLocals(mod, JSON.stringify(call.body.environment));
      const pv = /PRODUCT_COUNT\W+(?:\$\{)?tostring\(var\.([A-Za-z0-9_-]+)\)/.exec(env)?.[1];
      const cv = /CONN_LIMIT\W+(?:\$\{)?tostring\(var\.([A-Za-z0-9_-]+)\)/.exec(env)?.[1];
      if (!pv) continue;
      // catalog-memory
      for (const { memory } of Rules.fargateVars(t)) {
        const mk = varName(memory);
        const tm = mk && varName(call.body[mk]);
        const v = tm && mod.variables[tm];
        if (!v) continue;
        const cond = Rules.expandLocals(mod, JSON.stringify((v.validation || []).map((x) => x.condition)));
        const missing = [pv, cv].filter((x) => x && !new RegExp(`var\\.${x}\\b`).test(cond));
        if (!missing.length) continue;
        this.c.report(v.file, v.line, 'catalog-memory',
          `variable "${tm}" (the task memory of module "${name}") is not validated against ${missing.map((x) => `var.${x}`).join(' and ')}: PRODUCT_COUNT and CONN_LIMIT come from them, and the measured peak is ~474 MB at 1,000,000 products in whole-catalog mode plus ~20 KB per connection; add a validation comparing them, with a message naming "${tm}"`);
      }
      // startup-grace
      for (const svc of Object.values(t.resources)) {
        if (svc.type !== 'aws_ecs_service' || !('health_check_grace_period_seconds' in svc.body)) continue;
        const grace = Rules.expandLocals(t, JSON.stringify(svc.body.health_check_grace_period_seconds));
        const inputs = [...grace.matchAll(/var\.([A-Za-z0-9_-]+)/g)].map((x) => x[1]).filter((x) => x in call.body);
        const follows = inputs.some((x) => new RegExp(`var\\.${pv}\\b`).test(Rules.expandLocals(mod, JSON.stringify(call.body[x]))));
        if (follows) continue;
        const at = inputs.length ? call.node?.attrs[inputs[0]] : call.line;
        this.c.report(call.file, at ?? call.line, 'startup-grace',
          `module "${name}": the health-check grace period of ${svc.type}.${svc.name} ${inputs.length ? `comes from ${inputs.join(', ')}, which do not` : 'does not'} depend on var.${pv} (PRODUCT_COUNT): /health answers 503 until the catalog is loaded and its whole-catalog index built (~80 s at 10,000,000 products), so ECS would replace tasks still starting; size it to the catalog`);
      }
    }
  }
  // aws_acm_certificate.x.arn exists as soon as the certificate is requested; a listener
  // given it before ACM has issued it fails (UnsupportedCertificate). The ARN must come
  // through aws_acm_certificate_validation, which waits for the issue.
  certValidation(mod) {
    const pending = Object.values(mod.resources).filter((r) => r.type === 'aws_acm_certificate'
      && /DNS|EMAIL/.test(JSON.stringify(r.body.validation_method ?? '')));
    if (!pending.length) return;
    const uses = [
      ...Object.values(mod.resources).filter((r) => r.type === 'aws_lb_listener' || r.type === 'aws_lb_listener_certificate')
        .map((r) => ({ what: `${r.type}.${r.name}`, text: JSON.stringify(r.body.certificate_arn ?? ''), file: r.file, line: this.line(r.node, 'certificate_arn') })),
      ...Object.entries(mod.outputs).map(([name, o]) => ({ what: `output "${name}"`, text: JSON.stringify(o.body.value ?? ''), file: o.file, line: o.line })),
    ];
    for (const u of uses) {
      for (const c of pending) {
        if (!new RegExp(`aws_acm_certificate\\.${c.name}(\\[[^\\]]*\\])?\\.arn\\b`).test(Rules.expandLocals(mod, u.text))) continue;
        this.c.report(u.file, u.line, 'cert-validation',
          `${u.what}: uses aws_acm_certificate.${c.name}.arn, which is known before ACM has issued the certificate; a listener given it fails (UnsupportedCertificate): use aws_acm_certificate_validation's certificate_arn`);
      }
    }
  }

  // WAF logs only to destinations whose name starts with aws-waf-logs-.
  wafLogName(mod) {
    for (const r of Object.values(mod.resources)) {
      if (r.type !== 'aws_wafv2_web_acl_logging_configuration') continue;
      for (const m of JSON.stringify(r.body.log_destination_configs ?? '').matchAll(/aws_cloudwatch_log_group\.([A-Za-z0-9_-]+)/g)) {
        const lg = mod.resources[`aws_cloudwatch_log_group.${m[1]}`];
        const name = lg && Rules.expandLocals(mod, String(lg.body.name ?? ''));
        if (!lg || name.startsWith('aws-waf-logs-')) continue;
        this.c.report(r.file, this.line(r.node, 'log_destination_configs'), 'waf-log-name',
          `${r.type}.${r.name}: logs to aws_cloudwatch_log_group.${m[1]} named "${lg.body.name}"; WAF accepts only destinations whose name starts with aws-waf-logs- (PutLoggingConfiguration refuses it at apply time)`);
      }
    }
  }
}

module.exports = { Rules, floorOf, fargateError, mathFindings };
