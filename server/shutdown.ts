/**
 * What the process must close before it exits (the job worker, the database pool), in the
 * reverse order of registration. Kept on a global symbol: Next.js may load this module once
 * per bundle, and scripts/serve.ts loads its own copy, yet there is one list per process.
 * scripts/serve.ts runs it after the web server has stopped taking requests.
 */
type Closer = { name: string; close: () => Promise<unknown> };

const KEY = Symbol.for("junction.shutdown");
const globalList = globalThis as unknown as { [KEY]?: Closer[] };

export function onShutdown(name: string, close: () => Promise<unknown>): void {
  (globalList[KEY] ??= []).push({ name, close });
}

/** Closes everything registered, newest first; a closer that fails or hangs (5 s) is reported and skipped. */
export async function runShutdown(log: (line: string) => void = () => {}): Promise<void> {
  const list = (globalList[KEY] ?? []).splice(0).reverse();
  for (const { name, close } of list) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        close(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error("no answer within 5 s")), 5_000);
        }),
      ]);
    } catch (error) {
      log(`could not close ${name}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      clearTimeout(timer);
    }
  }
}
