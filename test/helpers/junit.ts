import { readFileSync } from 'node:fs';
import { XMLParser } from 'fast-xml-parser';

export interface JUnitSummary {
  /** The root's counts. */
  tests: number;
  failures: number;
  skipped: number;
  /** Every testcase's name, and those that failed or were skipped. */
  cases: string[];
  failed: string[];
  skippedCases: string[];
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Parse a JUnit XML file as a CI system would (it must be well-formed), and count it. */
export function readJUnit(file: string): JUnitSummary {
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(
    readFileSync(file, 'utf8'),
    true,
  ) as {
    testsuites: { tests: string; failures: string; skipped: string; testsuite?: unknown };
  };
  type Case = { name: string; failure?: unknown; skipped?: unknown };
  const cases = list(
    doc.testsuites.testsuite as { testcase?: Case | Case[] } | Array<{ testcase?: Case | Case[] }>,
  ).flatMap((s) => list(s.testcase));
  return {
    tests: Number(doc.testsuites.tests),
    failures: Number(doc.testsuites.failures),
    skipped: Number(doc.testsuites.skipped),
    cases: cases.map((c) => String(c.name)),
    failed: cases.filter((c) => c.failure !== undefined).map((c) => String(c.name)),
    skippedCases: cases.filter((c) => c.skipped !== undefined).map((c) => String(c.name)),
  };
}
