import { cpuFigures, MAX_CPU_RATIO } from '../../bench/cli-cpu';

describe('cpuFigures', () => {
  it('divides each case median by the baseline median, against the target', () => {
    // GIVEN a baseline of 40 ms and two cases, with outliers that medians ignore
    const figures = cpuFigures({
      baseline: [40, 39, 41, 400],
      cases: [
        { name: 'help', samples: [80, 79, 81, 900] },
        { name: 'plan', samples: [120, 119, 121, 122, 5] },
      ],
    });
    // THEN the baseline is context, and each case is its ratio with its verdict
    expect(figures.map((f) => [f.value, f.target, f.verdict])).toEqual([
      ['40.5 ms', '', 'INFO'],
      ['1.99x', '<= 2.5x', 'PASS'],
      ['2.96x', '<= 2.5x', 'MISS'],
    ]);
    expect(figures[1]!.name).toBe('help: CPU / node -e 0 (80.5 ms, median of 4)');
  });

  it.each([
    ['exactly at the target passes', 100, 'PASS'],
    ['just over it misses', 100.1, 'MISS'],
  ])('%s', (_name, caseMs, verdict) => {
    const [, figure] = cpuFigures({
      baseline: [40],
      cases: [{ name: 'x', samples: [caseMs] }],
    });
    expect(MAX_CPU_RATIO).toBe(2.5);
    expect(figure!.verdict).toBe(verdict);
  });

  it('is an error, not a pass, when there is no sample to divide', () => {
    const [, figure] = cpuFigures({ baseline: [], cases: [{ name: 'x', samples: [10] }] });
    expect(figure).toMatchObject({ value: 'n/a', verdict: 'ERROR' });
  });
});
