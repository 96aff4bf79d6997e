import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { compareTable } from '../../src/bench/compare.js';
import { judge, printReport, STEADY, writeJson, type Check } from '../../src/bench/report.js';

const ratio = (value: number, baseline?: number[]): Check => ({
  name: 'submit gwsim/bare',
  value,
  target: 0.3,
  better: 'higher',
  ...(baseline ? { baseline } : {}),
});

function printed(checks: Check[]): string[] {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  printReport(out, [], checks);
  return text.split('\n');
}

describe('bench verdicts', () => {
  it('judges a ratio whose baseline held steady, pass or miss', () => {
    const steady = [34_000, 36_000, 35_000, 33_000];
    expect(judge(ratio(0.31, steady))).toMatchObject({ met: true, steadiness: 0.917 });
    expect(judge(ratio(0.27, steady))).toMatchObject({ met: false, steadiness: 0.917 });
    expect(judge(ratio(0.27, steady)).noisy).toBeUndefined();
    expect(judge(ratio(0.27))).toEqual({
      name: 'submit gwsim/bare',
      value: 0.27,
      target: 0.3,
      better: 'higher',
      met: false,
    });
  });

  it('judges neither a pass nor a miss when the baseline moved more than STEADY allows', () => {
    // bare's rounds of a real run on a busy machine: 36.5k, 28.9k, 20.7k, 18.5k req/s.
    const moved = [36_535, 28_903, 20_693, 18_505];
    for (const value of [0.5, 0.2])
      expect(judge(ratio(value, moved))).toMatchObject({ met: null, noisy: true, steadiness: 0.507 });
    // Just inside the bound is judged; just outside is not.
    expect(judge(ratio(0.2, [STEADY * 1000, 1000])).met).toBe(false);
    expect(judge(ratio(0.2, [STEADY * 1000 - 1, 1000])).noisy).toBe(true);
    // A measure only reported has no verdict to withhold; a ratio to nothing has none at all.
    expect(judge({ ...ratio(0.2, moved), better: 'report' }).noisy).toBeUndefined();
    expect(judge(ratio(Number.NaN, [1000, 1000])).met).toBeNull();
    expect(judge(ratio(0.4, [0, 1000])).noisy).toBe(true);
  });

  it('prints noisy in the verdict column with how far the baseline moved, and says what it means', () => {
    const lines = printed([ratio(0.31, [34_000, 35_000]), ratio(0.5, [36_535, 18_505]), ratio(0.2, [30_000, 31_000])]);
    const verdicts = lines.filter((l) => l.startsWith('submit gwsim/bare'));
    expect(verdicts.map((l) => l.slice(59, 64).trim())).toEqual(['pass', 'noisy', 'MISS']);
    expect(verdicts[1]).toContain("(baseline's slowest run 0.51 of its fastest)");
    expect(lines.some((l) => l.startsWith('noisy: the baseline'))).toBe(true);
    expect(printed([ratio(0.31, [34_000, 35_000])]).some((l) => l.startsWith('noisy:'))).toBe(false);
  });

  it('writes the verdicts to --json, and --compare marks a noisy one as such', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gwsim-report-'));
    try {
      const file = join(dir, 'bench.json');
      writeJson(file, { seconds: 5 }, [], [ratio(0.5, [36_535, 18_505]), ratio(0.2, [30_000, 31_000])]);
      const { checks } = JSON.parse(readFileSync(file, 'utf8')) as { checks: ReturnType<typeof judge>[] };
      expect(checks.map((c) => [c.met, c.noisy ?? false])).toEqual([
        [null, true],
        [false, false],
      ]);
      expect(checks[0]).not.toHaveProperty('baseline');
      const [noisy, missed] = checks as [ReturnType<typeof judge>, ReturnType<typeof judge>];
      expect(compareTable([missed], [noisy]).split('\n')[2]).toBe(
        '| submit gwsim/bare | 0.20 (missed) | 0.50 (noisy) | ≥ 0.3 |',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
