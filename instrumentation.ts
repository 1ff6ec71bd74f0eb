/** Runs once when the Next.js server starts: the job worker comes up with the app. */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs" || process.env.JUNCTION_WORKER === "off") return;
  const { startWorker } = await import("./server/jobs/worker");
  await startWorker();
}
