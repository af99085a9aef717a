'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { scan, child } = require('../lib/locate');

test('locates blocks and attributes past heredocs, strings, comments and one-line blocks', () => {
  const src = [
    '# comment { not a block',
    'locals {',
    '  doc = <<-EOT',
    '    resource "fake" "x" {',
    '  EOT',
    '  s = "a { b ${var.x} } \\" c"',
    '  m = {',
    '    k = 1',
    '  }',
    '}',
    '/* block',
    '   comment */',
    'resource "aws_lb_listener" "l" {',
    '  default_action { type = "forward" }',
    '  dynamic "default_action" {',
    '    content {',
    '      type = "redirect"',
    '    }',
    '  }',
    '}',
    '',
  ].join('\n');
  const root = scan(src);
  assert.deepEqual(root.blocks.map((b) => [b.type, b.labels, b.line]), [
    ['locals', [], 2],
    ['resource', ['aws_lb_listener', 'l'], 13],
  ]);
  assert.deepEqual(root.blocks[0].attrs, { doc: 3, s: 6, m: 7 });
  const l = child(root, 'resource', ['aws_lb_listener', 'l']);
  assert.equal(child(l, 'default_action').line, 14);
  assert.deepEqual(child(l, 'default_action').attrs, { type: 14 });
  const dyn = child(l, 'dynamic', ['default_action']);
  assert.equal(child(dyn, 'content').attrs.type, 17);
});
