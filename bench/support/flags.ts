/** The number after `name` on the command line (`--messages 120`), or `fallback` when absent. */
export function flag(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
}
