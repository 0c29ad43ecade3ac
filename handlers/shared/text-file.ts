/**
 * Reads a text file people made: UTF-8 with or without a byte-order mark, or UTF-16 with one
 * (PowerShell 5's `>` writes UTF-16LE with a BOM). Anything else is refused with a message that
 * says what was seen and how to fix it, never read as garbled text.
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { ValidationError } from './validation';

const FIX = 'save it as UTF-8 (PowerShell: Out-File -Encoding utf8; or iconv -t UTF-8)';

function encodingOf(b: Uint8Array): { encoding: string; skip: number } {
  if (b[0] === 0xff && b[1] === 0xfe) return { encoding: 'utf-16le', skip: 2 };
  if (b[0] === 0xfe && b[1] === 0xff) return { encoding: 'utf-16be', skip: 2 };
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return { encoding: 'utf-8', skip: 3 };
  return { encoding: 'utf-8', skip: 0 };
}

export function decodeText(bytes: Uint8Array, name: string, subject: string): string {
  const { encoding, skip } = encodingOf(bytes);
  const refuse = (why: string, cause?: unknown) =>
    new ValidationError(subject, [`${name}: ${why}; ${FIX}`], { cause });
  // UTF-8 JSON and YAML never hold NUL: UTF-16 without a byte-order mark does, for ASCII text.
  if (encoding === 'utf-8' && bytes.includes(0))
    throw refuse('contains NUL bytes, which looks like UTF-16 without a byte-order mark');
  try {
    return new TextDecoder(encoding, { fatal: true }).decode(bytes.subarray(skip));
  } catch (err) {
    throw refuse(`not valid ${encoding.toUpperCase()} text`, err);
  }
}

/** Reads and decodes a file; a file that cannot be read is refused, naming it. */
export function readTextFile(path: string, subject: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new ValidationError(subject, [`cannot read ${path}: ${(err as Error).message}`], {
      cause: err,
    });
  }
  return decodeText(bytes, path, subject);
}

/**
 * Reads JSON or YAML (a superset of JSON) as YAML 1.2 only: in YAML 1.1, `022` is 18 and `yes` is
 * true, which is not what a person writing a port or a flag meant. Every error and warning
 * refuses the document (an unknown tag such as `!foo` would otherwise be dropped with a warning).
 */
export function parseJsonOrYaml(text: string, name: string, subject: string): unknown {
  const doc = parseDocument(text, {
    version: '1.2',
    schema: 'core',
    // No !!binary, !!timestamp or !!set: none of them is a value a policy or configuration holds.
    resolveKnownTags: false,
    uniqueKeys: true,
    prettyErrors: true,
    logLevel: 'silent',
  });
  const first = (e: Error) => e.message.split('\n')[0]!.replace(/:$/, '');
  const problems = [
    ...doc.errors.map((e) => `${name}: not JSON or YAML (${first(e)})`),
    // Warnings are tags the core schema does not know: refused, not read as something else.
    ...doc.warnings.map((e) => `${name}: ${first(e)}; tags are not read here: remove it`),
  ];
  if (doc.directives?.yaml.explicit && doc.directives.yaml.version !== '1.2')
    problems.unshift(
      `${name}: %YAML ${doc.directives.yaml.version} is not read; this file is YAML 1.2 (where 022 is 22, not octal 18): remove the %YAML line`,
    );
  if (problems.length > 0) throw new ValidationError(subject, problems);
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new ValidationError(subject, [`${name}: ${(err as Error).message.split('\n')[0]}`], {
      cause: err,
    });
  }
}
