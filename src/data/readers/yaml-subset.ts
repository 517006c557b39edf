/**
 * A small YAML reader for the subset chatterbot-corpus files use: block mappings (`key:`), block sequences
 * (`- item`, nested `- - item`), plain / single-quoted / double-quoted scalars, multi-line plain scalars,
 * and block scalars (`|`, `>`, with `-`/`+` chomping). Comments (`# …` at line start) and blank lines are
 * skipped. Anything else (anchors, flow collections, tags) is an error naming the line.
 */
import { EwcError } from '../../util/errors.ts';

type Yaml = string | Yaml[] | { [k: string]: Yaml } | null;

interface Line {
  indent: number;
  text: string; // without indentation
  no: number; // 1-based
}

export function parseYamlSubset(src: string, file = '<yaml>'): Yaml {
  const raw = src.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').split('\n');
  let pos = 0;
  const fail = (no: number, msg: string): never => {
    throw new EwcError(`${file}:${no}: ${msg} (only a chatterbot-style YAML subset is supported).`);
  };
  const peek = (): Line | undefined => {
    while (pos < raw.length) {
      const l = raw[pos];
      const t = l.trimStart();
      if (t === '' || t.startsWith('#') || t === '---') {
        pos++;
        continue;
      }
      return { indent: l.length - t.length, text: t.trimEnd(), no: pos + 1 };
    }
    return undefined;
  };

  function blockScalar(header: string, parentIndent: number, no: number): string {
    const style = header[0];
    const chomp = header.includes('-') ? 'strip' : header.includes('+') ? 'keep' : 'clip';
    const lines: string[] = [];
    let ind = -1;
    while (pos < raw.length) {
      const l = raw[pos];
      if (l.trim() === '') {
        lines.push('');
        pos++;
        continue;
      }
      const i = l.length - l.trimStart().length;
      if (ind < 0) ind = i;
      if (i < ind || i <= parentIndent) break;
      lines.push(l.slice(ind));
      pos++;
    }
    if (ind < 0 && lines.length === 0) return '';
    while (lines.length && lines[lines.length - 1] === '' && chomp !== 'keep') lines.pop();
    let text: string;
    if (style === '|') text = lines.join('\n');
    else {
      text = '';
      lines.forEach((l, k) => {
        if (k === 0) text = l;
        else if (l === '' || lines[k - 1] === '' || /^\s/.test(l)) text += '\n' + l;
        else text += ' ' + l;
      });
    }
    if (no < 0) fail(no, 'bad block scalar');
    return chomp === 'strip' ? text : text + '\n';
  }

  function scalar(s: string, indent: number, no: number): string {
    if (s.startsWith('|') || s.startsWith('>')) return blockScalar(s, indent, no);
    if (s.startsWith("'")) {
      let t = s;
      while (!/[^']'$|^''$|^'.*[^']'$/.test(t) || (t.match(/'/g)!.length % 2 !== 0)) {
        const nxt = raw[pos];
        if (nxt === undefined) fail(no, 'unterminated single-quoted string');
        t += ' ' + nxt.trim();
        pos++;
      }
      return t.slice(1, -1).replace(/''/g, "'");
    }
    if (s.startsWith('"')) {
      let t = s;
      while (!/[^\\]"$/.test(t) || t.length < 2) {
        const nxt = raw[pos];
        if (nxt === undefined) fail(no, 'unterminated double-quoted string');
        t += ' ' + nxt.trim();
        pos++;
      }
      try {
        return JSON.parse(t.replace(/\\'/g, "'").replace(/\t/g, '\\t'));
      } catch {
        return fail(no, `cannot read the double-quoted string ${t.slice(0, 40)}`);
      }
    }
    if (/^[&*!]|^[[{]/.test(s)) fail(no, `unsupported YAML construct ${JSON.stringify(s.slice(0, 20))}`);
    // plain scalar; continuation lines are more indented and not sequence/mapping items
    let t = s.replace(/\s+#.*$/, '');
    for (;;) {
      const l = raw[pos];
      if (l === undefined || l.trim() === '') break;
      const i = l.length - l.trimStart().length;
      if (i <= indent) break; // YAML: more-indented lines continue a plain scalar (even "- x")
      t += ' ' + l.trim();
      pos++;
    }
    return t;
  }

  function node(indent: number): Yaml {
    const l = peek();
    if (!l || l.indent < indent) return null;
    if (l.text === '-' || l.text.startsWith('- ')) return seq(l.indent);
    if (/^[^'"\s][^:]*:(\s|$)/.test(l.text)) return map(l.indent);
    pos++;
    return scalar(l.text, l.indent - 1, l.no);
  }

  function seqItem(rest: string, itemIndent: number, no: number): Yaml {
    if (rest === '') return node(itemIndent + 1);
    if (rest === '-' || rest.startsWith('- ')) {
      // nested sequence on the same line: re-read this remainder as a line at the inner indent
      const inner = itemIndent + 2;
      raw[pos - 1] = ' '.repeat(inner) + rest;
      pos--;
      return seq(inner);
    }
    if (/^[^'"\s][^:]*:(\s|$)/.test(rest)) {
      const inner = itemIndent + 2;
      raw[pos - 1] = ' '.repeat(inner) + rest;
      pos--;
      return map(inner);
    }
    return scalar(rest, itemIndent, no);
  }

  function seq(indent: number): Yaml[] {
    const out: Yaml[] = [];
    for (;;) {
      const l = peek();
      if (!l || l.indent < indent) break;
      if (l.indent > indent) fail(l.no, 'unexpected indentation');
      if (!(l.text === '-' || l.text.startsWith('- '))) break;
      pos++;
      out.push(seqItem(l.text.slice(1).trimStart(), indent, l.no));
    }
    return out;
  }

  function map(indent: number): { [k: string]: Yaml } {
    const out: { [k: string]: Yaml } = {};
    for (;;) {
      const l = peek();
      if (!l || l.indent < indent) break;
      if (l.indent > indent) fail(l.no, 'unexpected indentation');
      const m = /^([^'"\s][^:]*):(?:\s+(.*))?$/.exec(l.text);
      if (!m) break;
      pos++;
      const key = m[1].trim();
      const rest = (m[2] ?? '').trim();
      if (rest === '') {
        const nxt = peek();
        // a sequence may sit at the same indentation as its key
        out[key] = nxt && (nxt.indent > indent || (nxt.indent === indent && nxt.text.startsWith('- '))) ? node(nxt.indent) : null;
      } else out[key] = scalar(rest, indent, l.no);
    }
    return out;
  }

  const v = node(0);
  const rest = peek();
  if (rest) fail(rest.no, `unexpected content ${JSON.stringify(rest.text.slice(0, 30))}`);
  return v;
}
