'use strict';
// Line numbers for the structure of an HCL file. hcl2json gives values without
// positions, so this scans the source for the body structure only: blocks
// (type, labels, line) and attributes (name, line), skipping over expressions,
// strings, heredocs and comments. Blocks of one type keep source order, which is
// also hcl2json's order, so the n-th block of a type here is the n-th one there.

function scan(src) {
  const root = { type: null, labels: [], line: 1, attrs: {}, blocks: [] };
  const stack = [root];
  let i = 0;
  let line = 1;
  const n = src.length;

  const peek = (k = 0) => src[i + k];
  const advance = () => {
    if (src[i] === '\n') line += 1;
    i += 1;
  };
  const skipSpaceAndComments = (newlines) => {
    for (;;) {
      const c = peek();
      if (c === ' ' || c === '\t' || c === '\r' || (newlines && c === '\n')) advance();
      else if (c === '#' || (c === '/' && peek(1) === '/')) {
        while (i < n && peek() !== '\n') advance();
      } else if (c === '/' && peek(1) === '*') {
        advance(); advance();
        while (i < n && !(peek() === '*' && peek(1) === '/')) advance();
        advance(); advance();
      } else return;
    }
  };
  const ident = () => {
    const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(src.slice(i, i + 256));
    if (!m) return null;
    for (let k = 0; k < m[0].length; k += 1) advance();
    return m[0];
  };
  // A quoted template string, starting at the opening quote; nested ${...} may hold strings.
  const skipString = () => {
    advance();
    while (i < n) {
      const c = peek();
      if (c === '\\') { advance(); advance(); continue; }
      if (c === '"') { advance(); return; }
      if ((c === '$' || c === '%') && peek(1) === '{') {
        advance(); advance();
        skipExpr('}');
        advance();
        continue;
      }
      advance();
    }
  };
  const skipHeredoc = () => {
    const m = /^<<-?([A-Za-z_][A-Za-z0-9_]*)\r?\n/.exec(src.slice(i, i + 128));
    if (!m) { advance(); advance(); return; }
    for (let k = 0; k < m[0].length; k += 1) advance();
    const end = new RegExp(`^[ \\t]*${m[1]}[ \\t]*$`);
    while (i < n) {
      let e = src.indexOf('\n', i);
      if (e < 0) e = n;
      const text = src.slice(i, e);
      while (i < e) advance();
      if (end.test(text.replace(/\r$/, ''))) return;
      advance();
    }
  };
  // An expression up to (not including) the closer at depth 0; with closer null,
  // up to the end of line (or a '}' closing the enclosing one-line block).
  function skipExpr(closer) {
    let depth = 0;
    while (i < n) {
      const c = peek();
      if (c === '"') { skipString(); continue; }
      if (c === '<' && peek(1) === '<' && /[A-Za-z_-]/.test(peek(2) || '')) { skipHeredoc(); continue; }
      if (c === '#' || (c === '/' && (peek(1) === '/' || peek(1) === '*'))) { skipSpaceAndComments(false); continue; }
      if (depth === 0 && closer && c === closer) return;
      if (depth === 0 && !closer && (c === '\n' || c === '}')) return;
      if (c === '(' || c === '[' || c === '{') depth += 1;
      else if (c === ')' || c === ']' || c === '}') depth -= 1;
      advance();
    }
  }

  while (i < n) {
    skipSpaceAndComments(true);
    if (i >= n) break;
    const c = peek();
    const top = stack[stack.length - 1];
    if (c === '}') {
      advance();
      if (stack.length > 1) stack.pop();
      continue;
    }
    const startLine = line;
    const name = ident();
    if (!name) { advance(); continue; }
    skipSpaceAndComments(false);
    if (peek() === '=' && peek(1) !== '=') {
      advance();
      if (!(name in top.attrs)) top.attrs[name] = startLine;
      skipExpr(null);
      continue;
    }
    const labels = [];
    for (;;) {
      skipSpaceAndComments(false);
      const d = peek();
      if (d === '"') {
        const s = i;
        skipString();
        labels.push(JSON.parse(src.slice(s, i).replace(/\\(?!["\\/bfnrtu])/g, '\\\\')));
      } else if (/[A-Za-z_]/.test(d || '')) labels.push(ident());
      else break;
    }
    if (peek() === '{') {
      advance();
      const block = { type: name, labels, line: startLine, attrs: {}, blocks: [] };
      top.blocks.push(block);
      stack.push(block);
    } else {
      advance();
    }
  }
  return root;
}

// The n-th child block of `type` (and with these labels, when given).
function child(node, type, labels, index = 0) {
  if (!node) return null;
  const found = node.blocks.filter((b) => b.type === type
    && (!labels || labels.every((l, k) => b.labels[k] === l)));
  return found[index] || null;
}

module.exports = { scan, child };
