/** Every spelling of this machine's loopback address the issue 13 tester used, and a few more. */
export const LOOPBACK_SPELLINGS = [
  '127.0.0.1',
  '127.1',
  '0x7f000001',
  '2130706433',
  '0177.0.0.1',
  '127.0.0.1.',
  '[::ffff:127.0.0.1]',
  '[::1]',
  '[0:0:0:0:0:0:0:1]',
  'localhost',
  'LOCALHOST.',
  'a.localhost',
];
