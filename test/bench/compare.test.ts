import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareTable, readChecks, type JudgedCheck } from '../../src/bench/compare.js';
import { gwsim, within } from '../helpers/cli.js';

const check = (name: string, value: number, more: Partial<JudgedCheck> = {}): JudgedCheck => ({
  name,
  value,
  target: 0.3,
  better: 'higher',
  met: value >= 0.3,
  ...more,
});

describe('gwsim bench --compare', () => {
  it('makes one row per measure, before and after, with its target and misses marked', () => {
    const before = [check('submit gwsim/bare', 0.08), check('gone since', 2, { better: 'report', met: null })];
    const after = [
      check('submit gwsim/bare', 0.31),
      check('ready ms (median of 5)', 420, { target: 500, better: 'lower', met: true, note: '(bare | 130 ms)' }),
    ];
    expect(compareTable(before, after).split('\n')).toEqual([
      '| measure | before | after | target |',
      '|---|---|---|---|',
      '| submit gwsim/bare | 0.08 (missed) | 0.31 | ≥ 0.3 |',
      '| ready ms (median of 5) | – | 420.00 (bare / 130 ms) | < 500 |',
      '| gone since | 2.00 | – | (reported) |',
      '',
    ]);
  });

  it('reads two --json files and refuses anything else, naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gwsim-compare-'));
    try {
      const a = join(dir, 'a.json');
      const bad = join(dir, 'bad.json');
      writeFileSync(a, JSON.stringify({ rows: [], checks: [check('poll gwsim/bare', 0.4)] }));
      writeFileSync(bad, JSON.stringify({ rows: [] }));
      expect(readChecks(a)).toEqual([check('poll gwsim/bare', 0.4)]);
      expect(() => readChecks(bad)).toThrow(`${bad} is not a gwsim bench --json file`);

      const child = gwsim(['bench', '--compare', a, a]);
      let out = '';
      child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      const code = await within(new Promise((r) => child.on('exit', r)), 'gwsim bench --compare');
      expect(code).toBe(0);
      expect(out).toContain('| poll gwsim/bare | 0.40 | 0.40 | ≥ 0.3 |');

      const once = gwsim(['bench', '--compare', a]);
      let err = '';
      once.stderr?.on('data', (d: Buffer) => (err += d.toString()));
      expect(await within(new Promise((r) => once.on('exit', r)), 'gwsim bench --compare')).not.toBe(0);
      expect(err).toContain('--compare takes two files');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
