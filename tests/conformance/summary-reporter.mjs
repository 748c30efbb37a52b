// node:test reporter that ends the output with "N passed, M failed" (read by scripts/test).
export default async function* summary(source) {
  let passed = 0;
  let failed = 0;
  for await (const event of source) {
    // Count leaf tests only (suites report too, with details.type === 'suite').
    if (event.type === 'test:pass' && event.data.details?.type !== 'suite') passed += 1;
    if (event.type === 'test:fail' && event.data.details?.type !== 'suite') failed += 1;
  }
  yield `\n${passed} passed, ${failed} failed\n`;
}
