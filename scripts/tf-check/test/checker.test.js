'use strict';
// One broken fixture per kind of mistake: the checker must report exactly that
// mistake, at that line. The clean fixture must pass with no finding.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { Checker } = require('../lib/check');
const { floorOf, fargateError, mathFindings } = require('../lib/rules');

const FIXTURES = path.join(__dirname, 'fixtures');
const CLI = path.join(__dirname, '..', 'tf-check.js');

async function check(name) {
  const checker = new Checker({ cwd: FIXTURES });
  return checker.run([path.join(FIXTURES, name)]);
}

const CASES = [
  // 1. parse
  ['parse_error', 'parse', 'main.tf', 2, /Invalid expression/],
  // 2. canonical format
  ['format', 'format', 'main.tf', 2, /canonical format/],
  // 3. provider schema
  ['unknown_resource_type', 'schema', 'main.tf', 1, /unknown resource type "aws_vpcc"/],
  ['unknown_data_source', 'schema', 'main.tf', 1, /unknown data source type "aws_regionn"/],
  ['unknown_argument', 'schema', 'main.tf', 2, /aws_vpc\.this: unknown argument or block "cidr_blok"/],
  ['missing_required_argument', 'schema', 'main.tf', 1, /aws_subnet\.this: missing required argument "vpc_id"/],
  ['nested_unknown_argument', 'schema', 'main.tf', 7, /health_check: unknown argument or block "healthy"/],
  ['nested_missing_required', 'schema', 'main.tf', 4, /default_action: missing required argument "type"/],
  ['dynamic_unknown_argument', 'schema', 'main.tf', 10, /ingress: unknown argument or block "cidrs"/],
  ['dynamic_unknown_block', 'schema', 'main.tf', 4, /unknown block "ingres" in dynamic block/],
  ['argument_as_block', 'schema', 'main.tf', 4, /"tags" is an argument/],
  ['provider_unknown_argument', 'schema', 'main.tf', 2, /provider "aws": unknown argument or block "regoin"/],
  // 4. references and module wiring
  ['undeclared_variable', 'reference', 'main.tf', 2, /var\.cidr is not declared/],
  ['undeclared_local', 'reference', 'main.tf', 6, /local\.cdir is not declared/],
  ['undeclared_resource', 'reference', 'main.tf', 6, /resource aws_vpc\.main is not declared/],
  ['undeclared_data', 'reference', 'main.tf', 2, /data\.aws_region\.current is not declared/],
  ['undeclared_module', 'reference', 'main.tf', 2, /module\.network is not declared/],
  ['module_source_missing', 'module', 'main.tf', 2, /source "\.\/modules\/does-not-exist" does not exist/],
  ['module_unknown_argument', 'module', 'main.tf', 5, /"vpc_cidr" is not a variable of/],
  ['module_missing_variable', 'module', 'main.tf', 1, /required variable "name" of .* is not set/],
  ['module_unknown_output', 'reference', 'main.tf', 8, /has no output "private_subnet_ids"/],
  // 5. apply-time rules (lib/rules.js)
  ['replace_name', 'replace-name', 'main.tf', 2, /aws_lb_target_group\.this: a fixed name with create_before_destroy .* use name_prefix/],
  ['fargate_size', 'fargate-size', 'main.tf', 5, /module "svc": cpu = 1024, memory = 512: memory 512 MiB is not offered with cpu 1024/],
  ['global_name', 'global-name', 'main.tf', 17, /aws_iam_role\.task: IAM role names are unique per account, across regions/],
  ['provider_floor', 'provider-floor', 'main.tf', 5, /"~> 6\.0" admits 6\.0\.0, but .* needs 6\.8\.0 or later/],
  ['output_depends', 'output-depends', 'main.tf', 15, /output "execution_role_arn" .* depends_on = \[aws_iam_role_policy_attachment\.execution\]/],
  ['az_opt_in', 'az-opt-in', 'main.tf', 1, /opt-in-status = opt-in-not-required/],
  ['alarm_datapoints', 'alarm-datapoints', 'main.tf', 10, /datapoints_to_alarm 5 exceeds evaluation_periods 3/],
  ['alarm_fill', 'alarm-fill', 'main.tf', 10, /uses target5xx without FILL\(x, 0\)/],
  ['alarm_divide', 'alarm-divide', 'main.tf', 15, /divides by "FILL\(requests, 0\)", which is 0 in a minute without requests/],
  ['ecs_rollout', 'ecs-rollout', 'main.tf', 22, /wait_for_steady_state also ends when the circuit breaker has rolled the deployment back/],
  ['drain_twice', 'drain-twice', 'main.tf', 1, /variable "drain_s" \(DRAIN_S\) defaults to 15: ECS sends SIGTERM only after the target has drained/],
  ['range_mismatch', 'range-mismatch', 'main.tf', 1, /variable "drain" admits 0\.\.120, but module "svc" .* variable "drain_s" admits only 0\.\.110/],
  ['range_unvalidated', 'range-mismatch', 'main.tf', 1, /variable "retention" has no validation, but it is passed to module "logs"/],
  ['sg_rule_order', 'sg-rule-order', 'main.tf', 26, /aws_ecs_service\.this: its tasks use aws_security_group\.service, whose rules .* depends_on = \[aws_vpc_security_group_egress_rule\.https\]/],
  ['helper_essential', 'helper-essential', 'main.tf', 23, /local\.sync \(container "catalog-sync"\): .* set essential = false/],
  ['volume_readonly', 'volume-readonly', 'main.tf', 9, /mounts volume "catalog", which catalog-fetch, catalog-sync write\(s\), without readOnly = true/],
  ['init_depends', 'init-depends', 'main.tf', 10, /dependsOn "catalog-fetch" START lets it start before the volume "catalog" is filled/],
  ['s3_object_scope', 's3-object-scope', 'main.tf', 12, /catalog_bucket: s3:GetObject on "arn:aws:s3:::catalogs\/\*"/],
  ['catalog_memory', 'catalog-memory', 'main.tf', 1, /variable "task_memory" \(the task memory of module "svc"\) is not validated against var\.product_count and var\.conn_limit/],
  ['startup_grace', 'startup-grace', 'main.tf', 34, /grace period of aws_ecs_service\.this comes from grace_s, which do not depend on var\.product_count/],
  ['cert_validation', 'cert-validation', 'main.tf', 42, /aws_lb_listener\.https: uses aws_acm_certificate\.this\.arn, which is known before ACM has issued the certificate/],
  ['waf_log_name', 'waf-log-name', 'main.tf', 28, /logs to aws_cloudwatch_log_group\.waf named "\/waf\/web"; WAF accepts only destinations whose name starts with aws-waf-logs-/],
  ['deploy_alarm_elb', 'deploy-alarm-elb', 'main.tf', 8, /alarm_names = module\.alarms\.all includes aws_cloudwatch_metric_alarm\.elb_5xx, which counts HTTPCode_ELB_5XX_Count/],
];

for (const [name, rule, file, line, message] of CASES) {
  test(`reports ${name}`, async () => {
    const { findings } = await check(name);
    assert.equal(findings.length, 1, `expected exactly one finding, got ${JSON.stringify(findings, null, 1)}`);
    const [f] = findings;
    assert.equal(f.rule, rule);
    assert.equal(f.file, path.join(name, file));
    assert.equal(f.line, line);
    assert.match(f.message, message);
  });
}

test('every broken fixture directory has a case', async () => {
  const fs = require('node:fs');
  const dirs = fs.readdirSync(FIXTURES).filter((d) => d !== 'clean').sort();
  assert.deepEqual(dirs, CASES.map((c) => c[0]).sort());
});

test('clean fixture passes: modules, for_each, dynamic with iterator, splats, heredoc, lifecycle', async () => {
  const { dirs, findings } = await check('clean');
  assert.deepEqual(findings, []);
  assert.deepEqual(dirs.sort(), [path.join('clean', 'env'), path.join('clean', 'modules', 'net')]);
});

test('CLI exit status: 0 clean, 1 findings, 2 bad argument', () => {
  const run = (...args) => spawnSync(process.execPath, [CLI, ...args], { cwd: FIXTURES, encoding: 'utf8' });
  const clean = run('clean');
  assert.equal(clean.status, 0, clean.stdout + clean.stderr);
  assert.match(clean.stdout, /2 module\(s\) checked, 0 finding\(s\)/);

  const broken = run('clean', 'unknown_argument', 'undeclared_local');
  assert.equal(broken.status, 1);
  assert.match(broken.stdout, /^unknown_argument\/main\.tf:2: \[schema\] /m);
  assert.match(broken.stdout, /^undeclared_local\/main\.tf:6: \[reference\] /m);
  assert.match(broken.stdout, /2 finding\(s\)/);

  const json = run('--json', 'format');
  assert.equal(json.status, 1);
  assert.equal(JSON.parse(json.stdout).findings[0].rule, 'format');

  const missing = run('no-such-dir');
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /^tf-check: not a directory: no-such-dir$/m);

  const none = run();
  assert.equal(none.status, 2);
});

test('provider constraint floors', () => {
  assert.deepEqual(floorOf('~> 6.0'), [6, 0, 0]);
  assert.deepEqual(floorOf('~> 6.8'), [6, 8, 0]);
  assert.deepEqual(floorOf('>= 6.8.0, < 7.0.0'), [6, 8, 0]);
  assert.deepEqual(floorOf('> 6.7.1'), [6, 7, 2]);
  assert.deepEqual(floorOf('< 7.0'), [0, 0, 0]);
});

test('Fargate CPU/memory table', () => {
  for (const [cpu, memory] of [[256, 512], [256, 2048], [512, 4096], [1024, 2048], [2048, 16384], [4096, 30720], [8192, 61440], [16384, 122880]]) {
    assert.equal(fargateError(cpu, memory), null, `${cpu}/${memory}`);
  }
  for (const [cpu, memory] of [[256, 1536], [256, 4096], [1024, 512], [1024, 9216], [8192, 18432], [16384, 36864], [128, 512]]) {
    assert.notEqual(fargateError(cpu, memory), null, `${cpu}/${memory}`);
  }
});

test('metric math: FILL and guarded divisors', () => {
  const old = mathFindings('IF(requests > 0, 100 * (target5xx + elb5xx) / requests, 0)');
  assert.deepEqual([...old.unfilled].sort(), ['elb5xx', 'requests', 'target5xx']);
  assert.deepEqual(old.divisions, ['requests']);
  const fixed = mathFindings('100 * (FILL(t, 0) + FILL(e, 0)) / IF(FILL(r, 0) > 0, FILL(r, 0), 1)');
  assert.deepEqual([...fixed.unfilled], []);
  assert.deepEqual(fixed.divisions, []);
  assert.deepEqual(mathFindings('m1 / 60').divisions, []);
  assert.deepEqual(mathFindings('m1 / (m2 + m3)').divisions, ['(m2+m3)']);
  assert.deepEqual([...mathFindings('FILL(m1, REPEAT) + m2').unfilled], ['m2']);
});

test('the repository\'s terraform/ passes every check and rule', async () => {
  const root = path.join(__dirname, '..', '..', '..');
  const checker = new Checker({ cwd: root });
  const { dirs, findings } = await checker.run([path.join(root, 'terraform')]);
  assert.deepEqual(findings, []);
  assert.ok(dirs.includes(path.join('terraform', 'envs', 'aws')), dirs.join(' '));
});
