import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import ts from 'typescript';
import { ROOT } from '../../src/local/definitions.js';

// The code's shape, checked (issue 17): no file in src/ over 400 lines and no function over 80
// without a reason written where a reader meets it: a file's reason in a comment line starting
// `// Size:` among its first 20 lines, a function's in its leading comment, starting `Long:`.
// A table of simulated API commands (an arrow function whose body is an object literal) is a
// list, not a function, and is not counted.

const FILE_LINES = 400;
const FUNCTION_LINES = 80;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function layoutProblems(files: { path: string; text: string }[]): string[] {
  const problems: string[] = [];
  for (const { path, text } of files) {
    const lines = text.split('\n');
    if (lines.length > FILE_LINES && !lines.slice(0, 20).some((l) => l.startsWith('// Size:'))) problems.push(`${path}: ${lines.length} lines, no "// Size:" reason at its top`);
    const sf = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
    const visit = (n: ts.Node) => {
      const fn = ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isFunctionExpression(n) || (ts.isArrowFunction(n) && !ts.isParenthesizedExpression(n.body));
      if (fn) {
        const from = sf.getLineAndCharacterOfPosition(n.getStart()).line;
        const length = sf.getLineAndCharacterOfPosition(n.getEnd()).line - from + 1;
        // The comment that leads the function, or the statement or property that holds it.
        const holders = [n, n.parent, n.parent?.parent, n.parent?.parent?.parent].filter((x): x is ts.Node => !!x && x.kind !== ts.SyntaxKind.SourceFile);
        const leading = holders.map((h) => text.slice(h.getFullStart(), h.getStart())).join('\n');
        if (length > FUNCTION_LINES && !/Long:/.test(leading)) problems.push(`${path}:${from + 1}: a function of ${length} lines with no "Long:" reason in its leading comment`);
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return problems;
}

describe('Layout: files and functions of a size a reader can hold, or a reason why not', () => {
  it('src/ has no file over 400 lines and no function over 80 without its reason', () => {
    const files = sources(join(ROOT, 'src')).map((p) => ({ path: relative(ROOT, p), text: readFileSync(p, 'utf8') }));
    expect(files.length).toBeGreaterThan(100);
    expect(layoutProblems(files)).toEqual([]);
  });

  it('the check is not blind: a long file, a long function, and their reasons', () => {
    const body = Array.from({ length: 85 }, (_, k) => `  x += ${k};`).join('\n');
    const long = `export function f(): number {\n  let x = 0;\n${body}\n  return x;\n}\n`;
    const padding = Array.from({ length: 401 }, () => '// filler').join('\n');
    expect(layoutProblems([{ path: 'a.ts', text: long }])).toEqual([expect.stringMatching(/^a\.ts:1: a function of 89 lines/)]);
    expect(layoutProblems([{ path: 'a.ts', text: `/** Long: one state machine's whole interpreter loop. */\n${long}` }])).toEqual([]);
    expect(layoutProblems([{ path: 'b.ts', text: `${padding}\n` }])).toEqual([expect.stringMatching(/^b\.ts: 402 lines, no "\/\/ Size:" reason/)]);
    expect(layoutProblems([{ path: 'b.ts', text: `// Size: one service's whole model.\n${padding}\n` }])).toEqual([]);
    // A table of API commands is a list, not a function.
    const table = `export const t = { commands: () => ({\n${Array.from({ length: 90 }, (_, k) => `  C${k}: () => ${k},`).join('\n')}\n}) };\n`;
    expect(layoutProblems([{ path: 'c.ts', text: table }])).toEqual([]);
  });
});
