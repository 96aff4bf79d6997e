import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { Builder } from 'junit-report-builder';

// The package's CommonJS export is the builder itself; its types declare an ES default, so load it as CommonJS.
const junit = createRequire(import.meta.url)('junit-report-builder') as Builder;

/** One test case of a JUnit report: failed when it has a `failure`, skipped when `skipped`. */
export interface JUnitCase {
  name: string;
  /** Groups cases within a suite (CI systems show it as the class); the suite's name by default. */
  className?: string;
  /** Seconds. */
  time?: number;
  failure?: string;
  skipped?: boolean;
}

export interface JUnitSuite {
  name: string;
  /** Seconds. */
  time?: number;
  cases: JUnitCase[];
}

/** JUnit XML for the suites, built by junit-report-builder so escaping suits picky CI parsers. */
export function junitXml(suites: JUnitSuite[]): string {
  const report = junit.newBuilder();
  for (const s of suites) {
    const suite = report.testSuite().name(s.name);
    if (s.time !== undefined) suite.time(s.time);
    for (const c of s.cases) {
      const testCase = suite
        .testCase()
        .name(c.name)
        .className(c.className ?? s.name);
      if (c.time !== undefined) testCase.time(c.time);
      if (c.failure !== undefined) testCase.failure(c.failure);
      else if (c.skipped) testCase.skipped();
    }
  }
  return report.build();
}

/** Write the suites to `file` as JUnit XML, creating its folder if missing. */
export function writeJUnit(file: string, suites: JUnitSuite[]): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, junitXml(suites));
}
