const BEARER = /^Bearer\s+(\S+)\s*$/i;
/** The common form, `Bearer <credential>` with one space and nothing after: tested without a match array. */
const PLAIN = /^Bearer \S+$/;

/** The credential of an `Authorization: Bearer <credential>` header; undefined for any other header. */
export function bearerCredential(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  // What PLAIN matches, BEARER captures from the 8th character to the end.
  if (PLAIN.test(header)) return header.slice(7);
  return BEARER.exec(header)?.[1];
}
