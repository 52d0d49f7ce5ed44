import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The docs (README.md, BENCHMARKS.md, docs/*.md) cite only what exists: every repository
// path they name, every link and anchor, and every code name they quote (camelCase, or
// PascalCase in backticks) must be found in the tree. Numbers they state cannot be checked
// here. Pure: reads files, needs no server, runs in milliseconds (alone, it still needs the
// stack only for the suite's global setup).

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Generated, never committed: the directories `.gitignore` names (`web/dist/`, …). */
const IGNORED_DIRS = readFileSync(path.join(ROOT, '.gitignore'), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line.endsWith('/') && !line.startsWith('#'))
  .map((line) => line.replace(/^\/|\/$/g, ''));

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(path.join(ROOT, dir))) {
    const rel = dir ? `${dir}/${name}` : name;
    if (name.startsWith('.') || name === 'node_modules' || IGNORED_DIRS.includes(rel)) continue;
    if (statSync(path.join(ROOT, rel)).isDirectory()) {
      out.push(`${rel}/`);
      walk(rel, out);
    } else {
      out.push(rel);
    }
  }
  return out;
}

/** Every file (`a/b.ts`) and folder (`a/`) of the tree, relative to the root. */
const TREE = walk('');
const ENTRIES = new Set(TREE);
const BASENAMES = new Set(TREE.filter((p) => !p.endsWith('/')).map((p) => path.posix.basename(p)));
const TOP_FOLDERS = new Set(TREE.filter((p) => /^[^/]+\/$/.test(p)).map((p) => p.slice(0, -1)));

const DOCS = [
  'README.md',
  'BENCHMARKS.md',
  ...readdirSync(path.join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** Every identifier of the TypeScript sources (web/src included), comments included. */
const CODE_WORDS = new Set(
  TREE.filter((p) => p.endsWith('.ts')).flatMap(
    (p) => readFileSync(path.join(ROOT, p), 'utf8').match(/[A-Za-z_$][\w$]*/g) ?? [],
  ),
);

/**
 * Code names the docs quote that are other projects' names, so none of our sources holds
 * them. Add a name here only with the reason it is not ours.
 */
const NOT_CODE_NAMES = new Set<string>([
  // Marten's (the .NET event store's) health-check option, cited as the idea /healthz follows.
  'maxEventLag',
  // Temporal's: a history event type, and the search attribute its patched() markers upsert.
  'WorkflowExecutionUpdateAccepted',
  'TemporalChangeVersion',
]);

/** Extensions a bare file name (`002_append_notify.sql`, `server.ts`) is recognised by. */
const FILE_EXTENSIONS = /\.(ts|js|mjs|json|sql|md|sh|ya?ml|html|css|png)$/;
/**
 * A code name: camelCase or PascalCase with at least two humps (`tailEvents`,
 * `InexactSumError`); a plain word (`events`, `Running`) or a constant (`USE_EXISTING`) is not.
 */
const CODE_NAME = /^(?:[a-z][a-z0-9]*|[A-Z][a-z0-9]+)[A-Z][A-Za-z0-9]*$/;

interface Citation {
  doc: string;
  line: number;
  text: string;
}

function lineAt(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}

/** The doc's lines split into prose and fenced code blocks, with their first line numbers. */
function blocks(text: string): { fenced: boolean; start: number; body: string }[] {
  const out: { fenced: boolean; start: number; body: string }[] = [];
  let current = { fenced: false, start: 1, lines: [] as string[] };
  text.split('\n').forEach((line, i) => {
    if (/^\s*```/.test(line)) {
      out.push({ fenced: current.fenced, start: current.start, body: current.lines.join('\n') });
      current = { fenced: !current.fenced, start: i + 2, lines: [] };
    } else {
      current.lines.push(line);
    }
  });
  out.push({ fenced: current.fenced, start: current.start, body: current.lines.join('\n') });
  return out;
}

interface Cited {
  /** Repository paths, relative to the root (backticks and code blocks). */
  paths: Citation[];
  /** Bare file names alone in backticks (`002_append_notify.sql`). */
  files: Citation[];
  /** Link targets, relative to the doc (`../x.md#anchor`, `#anchor`). */
  links: Citation[];
  /** Code names: camelCase, and PascalCase in backticks. */
  names: Citation[];
}

function cited(doc: string): Cited {
  const text = readFileSync(path.join(ROOT, doc), 'utf8');
  const found: Cited = { paths: [], files: [], links: [], names: [] };
  for (const block of blocks(text)) {
    const at = (offset: number) => block.start + lineAt(block.body, offset) - 1;
    if (block.fenced) {
      // Code: every word that looks like a path, every camelCase word (not PascalCase: a
      // diagram's prose says `PostgreSQL`).
      for (const m of block.body.matchAll(/[^\s'"`(),;]+/g)) {
        found.paths.push({ doc, line: at(m.index), text: m[0] });
      }
      for (const m of block.body.matchAll(/(?<![\w$.:/-])[a-z][a-z0-9]*[A-Z][A-Za-z0-9]*\b/g)) {
        found.names.push({ doc, line: at(m.index), text: m[0] });
      }
      continue;
    }
    for (const m of block.body.matchAll(/`([^`]+)`/g)) {
      const span = (m[1] ?? '').trim();
      const line = at(m.index);
      for (const word of span.split(/\s+/)) found.paths.push({ doc, line, text: word });
      if (/^[\w.-]+$/.test(span) && FILE_EXTENSIONS.test(span)) {
        found.files.push({ doc, line, text: span });
      }
      // A name alone in its backticks, or called: `tailEvents`, `projectionsQueue()`.
      const name = /^([A-Za-z][A-Za-z0-9]*)(\(.*\))?$/.exec(span)?.[1];
      if (name && CODE_NAME.test(name)) found.names.push({ doc, line, text: name });
    }
    // Links outside code spans: [text](target), images included.
    const prose = block.body.replace(/`[^`]+`/g, (s) => ' '.repeat(s.length));
    for (const m of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      found.links.push({ doc, line: at(m.index), text: m[1] ?? '' });
    }
  }
  return found;
}

const CITED = DOCS.map(cited);

function where(c: Citation): string {
  return `${c.doc}:${c.line}`;
}

/**
 * The path a word cites, or null when it is none: a word of path characters with a `/` that
 * starts with a top folder of the tree (`api/server.ts`, `domain/`, `ops/prometheus`), or
 * ends in a file extension (`bench/results/x.json`). URLs, absolute and home paths
 * (`/healthz`, `~/.cache/…`), placeholders (`<case>`), option values (`--only=x`) and paths
 * outside the repository (`../shared/DESIGN.md`, the workspace's) are no citations.
 */
function citedPath(word: string): string | null {
  const cleaned = word.replace(/[.,:;]+$/, '').replace(/^\.\//, '');
  if (!/^[\w@.-][\w@./*-]*$/.test(cleaned) || !cleaned.includes('/')) return null;
  if (cleaned.startsWith('../')) return null;
  const top = cleaned.split('/')[0] ?? '';
  if (TOP_FOLDERS.has(top) || FILE_EXTENSIONS.test(cleaned)) return cleaned;
  return null;
}

function isGenerated(p: string): boolean {
  return IGNORED_DIRS.some((dir) => p === dir || p.startsWith(`${dir}/`));
}

/** A file, a folder (`domain/`, `ops/prometheus`), a module (`./api/client`) or a glob. */
function exists(p: string): boolean {
  if (p.includes('*')) {
    const pattern = new RegExp(
      `^${p
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*')}$`,
    );
    return TREE.some((entry) => pattern.test(entry));
  }
  const bare = p.replace(/\/$/, '');
  return (
    ENTRIES.has(bare) ||
    ENTRIES.has(`${bare}/`) ||
    ENTRIES.has(`${bare}.ts`) ||
    ENTRIES.has(`${bare}/index.ts`)
  );
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to `-`, repeats `-1`. */
function anchors(doc: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const block of blocks(readFileSync(path.join(ROOT, doc), 'utf8'))) {
    if (block.fenced) continue;
    for (const m of block.body.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
      const slug = (m[1] ?? '')
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-');
      const n = seen.get(slug) ?? 0;
      seen.set(slug, n + 1);
      out.add(n === 0 ? slug : `${slug}-${n}`);
    }
  }
  return out;
}

/**
 * Files whose text may send a reader to a doc's section: the code, scripts, rules, docs
 * (not this file: its examples are no citations).
 */
const CITING_FILES = TREE.filter(
  (p) => /\.(ts|sh|ya?ml|sql|md)$/.test(p) && p !== 'test/docs-references.test.ts',
);

/**
 * A section cited by name: a doc, then the heading in quotes — `README "Find a command"`,
 * `docs/runbooks.md, 'After restoring the event store'`, `README's "Traces"`.
 */
const SECTION_CITATION =
  /\b(README(?:\.md)?|BENCHMARKS\.md|docs\/[\w-]+\.md)(?:'s)?,?\s+(?:section\s+)?(["'])([^"'\n]{2,80}?)\2/g;

/** A heading's text as a reader quotes it: no markdown, any case. */
const headingText = (text: string) =>
  text.replace(/[`*_]/g, '').replace(/\s+/g, ' ').trim().toLowerCase();

function headings(doc: string): Set<string> {
  const out = new Set<string>();
  for (const block of blocks(readFileSync(path.join(ROOT, doc), 'utf8'))) {
    if (block.fenced) continue;
    for (const m of block.body.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
      out.add(headingText(m[1] ?? ''));
    }
  }
  return out;
}

describe('the docs cite only what exists', () => {
  it('reads the docs and the sources it checks them against', () => {
    expect(DOCS).toContain('docs/architecture.md');
    expect(CODE_WORDS.has('projectorWorkflow')).toBe(true);
    expect(CITED.flatMap((c) => c.paths).length).toBeGreaterThan(100);
  });

  it('every repository path in backticks or code blocks exists', () => {
    const missing = CITED.flatMap((c) => c.paths)
      .map((c) => ({ c, p: citedPath(c.text) }))
      .filter(({ p }) => p !== null && !isGenerated(p) && !exists(p))
      .map(({ c, p }) => `${where(c)}: \`${p}\` is not in the tree`);
    expect(missing).toEqual([]);
  });

  it('every bare file name in backticks exists somewhere in the tree', () => {
    const missing = CITED.flatMap((c) => c.files)
      .filter((c) => !BASENAMES.has(c.text))
      .map((c) => `${where(c)}: no file is named \`${c.text}\``);
    expect(missing).toEqual([]);
  });

  it('every link to a file of the repository, and every anchor, resolves', () => {
    const broken: string[] = [];
    for (const c of CITED.flatMap((x) => x.links)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(c.text)) continue; // https:, mailto:
      const [target = '', anchor] = c.text.split('#');
      const file = target
        ? path.posix.normalize(path.posix.join(path.posix.dirname(c.doc), target))
        : c.doc;
      if (target && !isGenerated(file) && !exists(file)) {
        broken.push(`${where(c)}: link to \`${file}\`, which is not in the tree`);
      } else if (anchor && file.endsWith('.md') && !anchors(file).has(anchor)) {
        broken.push(`${where(c)}: link to \`${file}#${anchor}\`, a heading it does not have`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('every section the code, rules, scripts and docs cite by name is a heading of that doc', () => {
    const cites: string[] = [];
    const broken: string[] = [];
    for (const file of CITING_FILES) {
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      for (const m of text.matchAll(SECTION_CITATION)) {
        const doc = m[1] === 'README' ? 'README.md' : (m[1] ?? '');
        const section = m[3] ?? '';
        cites.push(`${file}: ${doc} "${section}"`);
        if (!ENTRIES.has(doc)) {
          broken.push(`${file}:${lineAt(text, m.index)}: cites ${doc}, which is not in the tree`);
        } else if (!headings(doc).has(headingText(section))) {
          broken.push(`${file}:${lineAt(text, m.index)}: ${doc} has no heading "${section}"`);
        }
      }
    }
    // The operators' pointers (alert rules, the restore guard's message) are among them.
    expect(cites.some((c) => c.startsWith('ops/prometheus/rules.yml'))).toBe(true);
    expect(cites.some((c) => c.startsWith('eventstore/restore.ts'))).toBe(true);
    expect(broken).toEqual([]);
  });

  it('the README is a short guide (at most 300 lines) that links every doc of docs/', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const linked = new Set(CITED[0]?.links.map((c) => c.text.split('#')[0]));
    const unlinked = DOCS.filter((d) => d.startsWith('docs/') && !linked.has(d));
    expect(readme.trimEnd().split('\n').length).toBeLessThanOrEqual(300);
    expect(unlinked).toEqual([]);
  });

  it('every code name they quote is named in the TypeScript sources', () => {
    const unknown = CITED.flatMap((c) => c.names)
      .filter((c) => !CODE_WORDS.has(c.text) && !NOT_CODE_NAMES.has(c.text))
      .map((c) => `${where(c)}: \`${c.text}\` is named by no TypeScript source`);
    expect(unknown).toEqual([]);
  });
});
