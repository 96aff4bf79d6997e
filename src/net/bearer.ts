/** The credential of an `Authorization: Bearer <credential>` header; undefined for any other header. */
export function bearerCredential(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
}
