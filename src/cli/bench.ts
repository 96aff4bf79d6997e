export async function bench(_argv: string[]): Promise<void> {
  throw new Error('bench: not built yet');
}
