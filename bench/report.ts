/** The bench's output: one row per figure, with its target and whether it is met. */

/** INFO: a figure printed for context, with no target. NOTE: a detail listed under the table. */
export type Verdict = 'PASS' | 'MISS' | 'INFO' | 'NOTE' | 'ERROR';

export interface Figure {
  readonly section: string;
  readonly name: string;
  readonly value: string;
  /** Empty for figures printed for context only. */
  readonly target: string;
  readonly verdict: Verdict;
}

export function check(ok: boolean): Verdict {
  return ok ? 'PASS' : 'MISS';
}

export function ms(value: number): string {
  return `${value.toFixed(value < 10 ? 2 : 1)} ms`;
}

export function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

/** Plain text, fixed-width columns, so the output pastes into an issue as it is. */
export function formatTable(figures: readonly Figure[]): string {
  const rows = figures.filter((f) => f.verdict !== 'NOTE');
  const notes = figures.filter((f) => f.verdict === 'NOTE');
  const header: Figure = {
    section: 'section',
    name: 'figure',
    value: 'value',
    target: 'target',
    verdict: 'INFO',
  };
  const width = (key: 'section' | 'name' | 'value' | 'target') =>
    Math.max(...[header, ...rows].map((f) => f[key].length));
  const w = {
    section: width('section'),
    name: width('name'),
    value: width('value'),
    target: width('target'),
  };
  const line = (f: Figure, result: string) =>
    [
      f.section.padEnd(w.section),
      f.name.padEnd(w.name),
      f.value.padEnd(w.value),
      f.target.padEnd(w.target),
      result,
    ]
      .join('  ')
      .trimEnd();
  const out = [
    line(header, 'result'),
    '-'.repeat(w.section + w.name + w.value + w.target + 8 + 'result'.length),
    ...rows.map((f) => line(f, f.verdict === 'INFO' ? '' : f.verdict)),
  ];
  if (notes.length > 0) {
    out.push('', 'notes:');
    for (const n of notes) out.push(`  ${n.section}: ${n.name}: ${n.value}`);
  }
  return out.join('\n') + '\n';
}

export function summary(figures: readonly Figure[]): string {
  const count = (v: Verdict) => figures.filter((f) => f.verdict === v).length;
  const errors = count('ERROR');
  return `targets: ${count('PASS')} PASS, ${count('MISS')} MISS${errors ? `, ${errors} ERROR` : ''}`;
}
