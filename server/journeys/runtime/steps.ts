import { interpret, type Decision, type Effect, type EnrollmentState, type Wake } from "@/lib/journeys/interpret";
import type { JourneyDefinition } from "@/lib/journeys/schema";
import { isTimeZone } from "@/lib/journeys/time";
import type { EvalEvent } from "@/lib/segments/evaluate";
import { sqlTransaction, type Db, type Sql } from "@/server/db/client";
import { isRetryable, savepoint } from "@/server/feed/consumer";
import { appendFeed } from "@/server/feed/feed";
import { loadPeople } from "@/server/segments/people";
import { loadVersions, versionKey } from "./versions";

/**
 * The stepper: takes enrollments that are due (their timer, or woken early by an event or a
 * check) and moves each one step — the interpreter (lib/journeys/interpret.ts) decides; this
 * performs the effects and stores the new state in the same transaction. A step is keyed by
 * (enrollment, step number): the enrollment row is locked (FOR UPDATE SKIP LOCKED, so any
 * number of workers share the work and never take the same one), the step number moves on
 * with the state, and its trace row (journey_steps) has that key — a step rolled back by a
 * crash is simply taken again, a step that committed is never taken twice.
 *
 * Sends are not made here: they are queued as delivery rows (unique per enrollment, node and
 * visit) in the step's transaction, and the sender (./sender.ts) makes them.
 */

export const STEP_BATCH = 200;

/** How often each stored state's step ends, by what the interpreter's exit effect says. */
const STATUS_OF: Record<Extract<Effect, { type: "exit" }>["reason"], "completed" | "exited" | "converted"> = {
  completed: "completed",
  goal: "converted",
  exit_criteria: "exited",
  no_path: "exited",
};

interface DueRow {
  id: string;
  workspace_id: string;
  journey_id: string;
  version: number;
  profile_id: string;
  state: EnrollmentState;
  step: number;
  wake: StoredWake | null;
  holdout: boolean;
  node_id: string | null;
  live_version: number | null;
  live_policy: string | null;
  timezone: string;
}

type StoredEvent = { name: string | null; properties: Record<string, unknown>; timestamp: string };
type StoredWake = { type: "enter"; event?: StoredEvent } | { type: "event"; event: StoredEvent } | { type: "check" };

const toEvent = (e: StoredEvent): EvalEvent => ({ name: e.name, properties: e.properties ?? {}, timestamp: new Date(e.timestamp) });

function wakeOf(row: DueRow): Wake {
  const w = row.wake;
  if (w?.type === "enter") return w.event ? { type: "enter", event: toEvent(w.event) } : { type: "enter" };
  if (w?.type === "event") return { type: "event", event: toEvent(w.event) };
  if (w?.type === "check") return { type: "check" };
  return row.step === 0 ? { type: "enter" } : { type: "timer" };
}

/**
 * For the rest of the transaction, every statement is planned for its own values and the
 * tables as they are now. The runtime's statements are prepared once per connection; a
 * generic plan made while journey_enrollments or deliveries was small (a new install, the
 * first minutes) reads all of a journey's enrollments for each batch — seen at 30,000 people
 * in one journey: the consumer's step took 30 s, the stepper slowed with every batch. The
 * planning costs a fraction of a millisecond per statement; the batches have a handful.
 */
export async function planEachTime(tx: Sql): Promise<void> {
  await tx.query`SELECT set_config('plan_cache_mode', 'force_custom_plan', true)`;
}

/** The database's clock: waits are kept to it, whichever host's clock is off. */
export async function databaseNow(tx: Sql): Promise<Date> {
  const [row] = await tx.query<{ now: Date }>`SELECT clock_timestamp() AS now`;
  return row!.now;
}

export interface StepOptions {
  /** Tests: the clock (else the database's). */
  clock?: () => Date;
  batch?: number;
}

export interface StepBatch {
  /** Enrollments taken (moved or not). */
  taken: number;
  /** Deliveries queued: the sender has work. */
  queued: number;
}

/** One batch of due enrollments, in one transaction. */
export async function stepDue(db: Db, options: StepOptions = {}): Promise<StepBatch> {
  return sqlTransaction(db, (tx) => stepDueIn(tx, db, options));
}

async function stepDueIn(tx: Sql, db: Db, options: StepOptions): Promise<StepBatch> {
  await planEachTime(tx);
  const now = options.clock ? options.clock() : await databaseNow(tx);
  // Per journey that may move (live, or archived with people finishing), its oldest due
  // enrollments: a paused journey's backlog is never read, so it cannot fill the batch.
  const batch = options.batch ?? STEP_BATCH;
  const rows = await tx.query<DueRow>`
    SELECT e.id, e.workspace_id, e.journey_id, e.version, e.profile_id, e.state, e.step, e.wake, e.holdout, e.node_id,
           j.live_version, lv.policy AS live_policy, w.default_timezone AS timezone
      FROM journeys j
      JOIN workspaces w ON w.id = j.workspace_id
      LEFT JOIN journey_versions lv ON lv.journey_id = j.id AND lv.version = j.live_version
     CROSS JOIN LATERAL (
           SELECT d.id, d.workspace_id, d.journey_id, d.version, d.profile_id, d.state, d.step, d.wake, d.holdout, d.node_id, d.wake_at
             FROM journey_enrollments d
            WHERE d.journey_id = j.id AND d.status = 'active' AND d.wake_at <= ${now}::timestamptz
            ORDER BY d.wake_at
            LIMIT ${batch}::int
              FOR UPDATE SKIP LOCKED) e
     WHERE j.status IN ('live', 'archived')
     ORDER BY e.wake_at
     LIMIT ${batch}::int`;
  if (rows.length === 0) return { taken: 0, queued: 0 };

  const defs = await loadVersions(tx, [
    ...rows.map((r) => ({ journeyId: r.journey_id, version: r.version })),
    ...rows.flatMap((r) => (r.live_version !== null && r.live_version !== r.version ? [{ journeyId: r.journey_id, version: r.live_version }] : [])),
  ]);
  const byWorkspace = new Map<string, string[]>();
  for (const r of rows) byWorkspace.set(r.workspace_id, [...(byWorkspace.get(r.workspace_id) ?? []), r.profile_id]);
  const people = new Map<string, Awaited<ReturnType<typeof loadPeople>> extends Map<string, infer P> ? P : never>();
  for (const [workspaceId, ids] of byWorkspace) for (const [id, p] of await loadPeople(db, workspaceId, { ids }, undefined, tx)) people.set(id, p);

  const updates: EnrollmentUpdate[] = [];
  const steps: StepRow[] = [];
  const sends: QueuedSend[] = [];
  const traitUpdates: TraitUpdate[] = [];
  const exitCounts = new Map<string, number>();

  for (const row of rows) {
    const person = people.get(row.profile_id);
    let version = row.version;
    let def = defs.get(versionKey(row.journey_id, row.version));
    const migrate: Decision[] = [];
    // Publishing with "move people to the new version": at their next step, when the node they wait at is still there.
    if (row.live_policy === "migrate" && row.live_version !== null && row.live_version > row.version && row.step > 0) {
      const live = defs.get(versionKey(row.journey_id, row.live_version));
      if (live && def && row.node_id && sameWait(def, live, row.node_id)) {
        version = row.live_version;
        def = live;
        migrate.push({ nodeId: row.node_id, text: `Moved to version ${row.live_version} (published with “move people to the new version”).` });
      }
    }
    if (!def || !person) {
      // The version or the person is gone (a deleted person's enrollments go with them): end it plainly.
      updates.push(endedUpdate(row, now, "no_path"));
      steps.push({ enrollmentId: row.id, step: row.step + 1, at: now, cause: "check", nodeId: null, decisions: [{ nodeId: null, text: "The journey version or the person no longer exists: the journey ends." }], effects: [] });
      continue;
    }
    const wake = wakeOf(row);
    let result: ReturnType<typeof interpret>;
    try {
      result = interpret(def, row.state, wake, { journeyId: row.journey_id, now, person, workspaceTimeZone: isZone(row.timezone) });
    } catch (error) {
      // The interpreter is pure: the same input would fail again. This one person leaves, with the reason; the batch goes on.
      const message = error instanceof Error ? error.message : String(error);
      console.error(`journey ${row.journey_id}: enrollment ${row.id} could not take a step:`, message);
      updates.push(endedUpdate(row, now, "error"));
      steps.push({ enrollmentId: row.id, step: row.step + 1, at: now, cause: wake.type, nodeId: row.node_id, decisions: [{ nodeId: row.node_id, text: `The journey could not go on here (${message.slice(0, 300)}): they left it.` }], effects: [] });
      continue;
    }
    if (!result.applied) {
      // Nothing to do (an early timer, a check that found nothing): back to waiting for the timer it has —
      // never one already past, which would take it again in every batch.
      const timer = row.state.wakeAt ? new Date(row.state.wakeAt) : null;
      const wakeAt = timer && timer.getTime() > now.getTime() ? timer : null;
      if (timer && !wakeAt) console.error(`journey ${row.journey_id}: enrollment ${row.id} was due but could not move (${result.decisions[0]?.text ?? "no reason"}); it waits for an event or a check now.`);
      updates.push({ id: row.id, step: row.step, version, status: "active", nodeId: row.node_id, state: row.state, wakeAt, waitingFor: waitingForOf(def, row.state), endedAt: null, exitReason: null, convertedAt: null, holdout: row.holdout, moved: false });
      continue;
    }
    let holdout = row.holdout;
    let convertedAt: Date | null = null;
    let exit: Extract<Effect, { type: "exit" }> | null = null;
    for (const effect of result.effects) {
      switch (effect.type) {
        case "send":
          sends.push({ row, effect, holdout, priority: def.settings.priority ?? 5, now });
          break;
        case "webhook":
          sends.push({ row, effect: { ...effect, channel: "webhook", templateId: effect.templateId ?? "" }, holdout, priority: def.settings.priority ?? 5, now });
          break;
        case "update":
          traitUpdates.push({ enrollmentId: row.id, workspaceId: row.workspace_id, profileId: row.profile_id, trait: effect.trait, op: effect.op, value: effect.value });
          break;
        case "holdout":
          holdout = true;
          break;
        case "convert":
          convertedAt = now;
          break;
        case "exit":
          exit = effect;
          break;
        case "wait":
          break;
      }
    }
    for (const e of result.exits) {
      const key = `${row.journey_id}\u0000${version}\u0000${e.nodeId}\u0000${e.exit}`;
      exitCounts.set(key, (exitCounts.get(key) ?? 0) + 1);
    }
    const state = result.state;
    updates.push({
      id: row.id,
      step: row.step + 1,
      version,
      status: exit ? STATUS_OF[exit.reason] : "active",
      nodeId: exit ? null : state.at,
      state,
      wakeAt: exit || !state.wakeAt ? null : new Date(state.wakeAt),
      waitingFor: exit ? null : waitingForOf(def, state),
      endedAt: exit ? now : null,
      exitReason: exit ? exit.reason : null,
      convertedAt,
      holdout,
      moved: exit !== null || state.at !== row.node_id,
    });
    steps.push({ enrollmentId: row.id, step: row.step + 1, at: now, cause: wake.type, nodeId: exit ? (exit.nodeId ?? null) : state.at, decisions: [...migrate, ...result.decisions], effects: result.effects });
  }

  // Trait updates first: one that cannot be made (a path through a list) is said in its step's trace.
  const refused = await applyTraitUpdates(tx, traitUpdates);
  for (const [enrollmentId, text] of refused) steps.find((st) => st.enrollmentId === enrollmentId)?.decisions.push({ nodeId: null, text });
  await writeSteps(tx, steps);
  await writeUpdates(tx, updates, now);
  const queued = await queueSends(tx, sends);
  await writeExitCounts(tx, exitCounts);
  return { taken: rows.length, queued };
}

/**
 * A person waiting at `nodeId` can move to the new version only where that node is still the
 * same kind of wait (a duration stays a duration, an event wait an event wait): their timer and
 * what they wait for keep their meaning.
 */
function sameWait(from: JourneyDefinition, to: JourneyDefinition, nodeId: string): boolean {
  const a = from.nodes.find((n) => n.id === nodeId);
  const b = to.nodes.find((n) => n.id === nodeId);
  return a?.kind === "wait" && b?.kind === "wait" && a.wait.type === b.wait.type;
}

/** A time zone the platform knows, else UTC (isTimeZone keeps the zones it checked: no new Intl formatter per row). */
const isZone = (zone: string): string => (isTimeZone(zone) ? zone : "UTC");

function waitingForOf(def: JourneyDefinition, state: EnrollmentState): string | null {
  if (!state.waitingForEvent || !state.at) return null;
  const node = def.nodes.find((n) => n.id === state.at);
  return node?.kind === "wait" && node.wait.type === "event" ? (node.wait.event ?? null) : null;
}

interface EnrollmentUpdate {
  id: string;
  step: number;
  version: number;
  status: "active" | "completed" | "exited" | "converted";
  nodeId: string | null;
  state: EnrollmentState;
  wakeAt: Date | null;
  waitingFor: string | null;
  endedAt: Date | null;
  exitReason: string | null;
  convertedAt: Date | null;
  holdout: boolean;
  /** Arrived at another node (or ended): "waiting here since" starts again. */
  moved: boolean;
}

function endedUpdate(row: DueRow, now: Date, reason: string): EnrollmentUpdate {
  return { id: row.id, step: row.step + 1, version: row.version, status: "exited", nodeId: null, state: { ...row.state, at: null, wakeAt: null, waitingForEvent: false }, wakeAt: null, waitingFor: null, endedAt: now, exitReason: reason, convertedAt: null, holdout: row.holdout, moved: true };
}

interface StepRow {
  enrollmentId: string;
  step: number;
  at: Date;
  cause: string;
  nodeId: string | null;
  decisions: Decision[];
  effects: Effect[];
}

interface QueuedSend {
  row: DueRow;
  effect: { nodeId: string; visit: number; channel: string; templateId: string; channelId?: string; sender?: number };
  holdout: boolean;
  priority: number;
  now: Date;
}

interface TraitUpdate {
  enrollmentId: string;
  workspaceId: string;
  profileId: string;
  trait: string;
  op: "set" | "increment" | "unset";
  value: unknown;
}

async function writeSteps(tx: Sql, steps: StepRow[]) {
  if (steps.length === 0) return;
  await tx.execute`
    INSERT INTO journey_steps (enrollment_id, step, at, cause, node_id, decisions, effects)
    SELECT * FROM unnest(${steps.map((s) => s.enrollmentId)}::text[], ${steps.map((s) => s.step)}::int[], ${steps.map((s) => s.at)}::timestamptz[],
                         ${steps.map((s) => s.cause)}::text[], ${steps.map((s) => s.nodeId)}::text[],
                         ${steps.map((s) => JSON.stringify(s.decisions))}::jsonb[], ${steps.map((s) => JSON.stringify(s.effects))}::jsonb[])
    ON CONFLICT (enrollment_id, step) DO NOTHING`;
}

async function writeUpdates(tx: Sql, updates: EnrollmentUpdate[], now: Date) {
  if (updates.length === 0) return;
  await tx.execute`
    UPDATE journey_enrollments e
       SET step = u.step, version = u.version, status = u.status, node_id = u.node_id, state = u.state, wake_at = u.wake_at,
           wake = NULL, waiting_for = u.waiting_for, ended_at = u.ended_at, exit_reason = u.exit_reason,
           converted_at = COALESCE(e.converted_at, u.converted_at), holdout = u.holdout,
           updated_at = CASE WHEN u.moved THEN ${now}::timestamptz ELSE e.updated_at END
      FROM unnest(${updates.map((u) => u.id)}::text[], ${updates.map((u) => u.step)}::int[], ${updates.map((u) => u.version)}::int[],
                  ${updates.map((u) => u.status)}::text[], ${updates.map((u) => u.nodeId)}::text[], ${updates.map((u) => JSON.stringify(u.state))}::jsonb[],
                  ${updates.map((u) => u.wakeAt)}::timestamptz[], ${updates.map((u) => u.waitingFor)}::text[], ${updates.map((u) => u.endedAt)}::timestamptz[],
                  ${updates.map((u) => u.exitReason)}::text[], ${updates.map((u) => u.convertedAt)}::timestamptz[], ${updates.map((u) => u.holdout)}::bool[],
                  ${updates.map((u) => u.moved)}::bool[])
           AS u(id, step, version, status, node_id, state, wake_at, waiting_for, ended_at, exit_reason, converted_at, holdout, moved)
     WHERE e.id = u.id`;
}

/** The delivery key of a journey send: one per enrollment, node and visit. */
export const journeyDeliveryKey = (enrollmentId: string, nodeId: string, visit: number) => `journey:${enrollmentId}:${nodeId}:${visit}`;

async function queueSends(tx: Sql, sends: QueuedSend[]): Promise<number> {
  if (sends.length === 0) return 0;
  const holdoutReason = "In the split's holdout arm: holdouts get no messages (they are counted for lift).";
  return tx.execute`
    INSERT INTO deliveries (id, workspace_id, channel, channel_id, profile_id, idempotency_key, recipient, status, reason, journey_id, enrollment_id,
                            node_id, template_id, priority, next_attempt_at, created_at, updated_at)
    SELECT gen_random_uuid()::text, s.workspace_id, s.channel, NULLIF(s.channel_id, ''), s.profile_id, s.key, '', s.status, s.reason, s.journey_id, s.enrollment_id,
           s.node_id, NULLIF(s.template_id, ''), s.priority, s.at, s.at, s.at
      FROM unnest(${sends.map((s) => s.row.workspace_id)}::text[], ${sends.map((s) => s.effect.channel)}::text[], ${sends.map((s) => s.effect.channelId ?? "")}::text[],
                  ${sends.map((s) => s.row.profile_id)}::text[], ${sends.map((s) => journeyDeliveryKey(s.row.id, s.effect.nodeId, s.effect.visit))}::text[],
                  ${sends.map((s) => (s.holdout ? "suppressed" : "queued"))}::text[], ${sends.map((s) => (s.holdout ? holdoutReason : null))}::text[],
                  ${sends.map((s) => s.row.journey_id)}::text[], ${sends.map((s) => s.row.id)}::text[], ${sends.map((s) => s.effect.nodeId)}::text[],
                  ${sends.map((s) => s.effect.templateId)}::text[], ${sends.map((s) => s.priority)}::int[], ${sends.map((s) => s.now)}::timestamptz[])
           AS s(workspace_id, channel, channel_id, profile_id, key, status, reason, journey_id, enrollment_id, node_id, template_id, priority, at)
    ON CONFLICT (workspace_id, idempotency_key) DO NOTHING`;
}

async function writeExitCounts(tx: Sql, counts: Map<string, number>) {
  if (counts.size === 0) return;
  // One of a few shard rows per batch, in key order: concurrent steppers rarely wait for each other, and never deadlock.
  const shard = Math.floor(Math.random() * 8);
  const keys = [...counts.keys()].sort();
  const parts = keys.map((k) => k.split("\u0000") as [string, string, string, string]);
  await tx.execute`
    INSERT INTO journey_exit_counts (journey_id, version, node_id, exit, shard, count)
    SELECT journey_id, version, node_id, exit, ${shard}::int, n
      FROM unnest(${parts.map((p) => p[0])}::text[], ${parts.map((p) => Number(p[1]))}::int[], ${parts.map((p) => p[2])}::text[],
                  ${parts.map((p) => p[3])}::text[], ${keys.map((k) => counts.get(k)!)}::bigint[]) AS c(journey_id, version, node_id, exit, n)
    ON CONFLICT (journey_id, version, node_id, exit, shard) DO UPDATE SET count = journey_exit_counts.count + EXCLUDED.count`;
}

/**
 * An update node: set, increment or remove a trait; the segment consumer then re-decides the
 * person. Each in a savepoint: a path Postgres refuses (through a list: `tags.x`) is skipped
 * and said in the trace, and never stops the other steps of the batch.
 */
async function applyTraitUpdates(tx: Sql, updates: TraitUpdate[]): Promise<Map<string, string>> {
  const refused = new Map<string, string>();
  if (updates.length === 0) return refused;
  for (const u of updates) {
    try {
      await savepoint(tx, () => applyTraitUpdate(tx, u));
    } catch (error) {
      if (isRetryable(error)) throw error;
      refused.set(u.enrollmentId, `Could not ${u.op === "unset" ? "remove" : u.op === "increment" ? "increase" : "set"} ${u.trait}: ${error instanceof Error ? error.message : String(error)}. The journey goes on.`);
    }
  }
  const byWorkspace = new Map<string, Set<string>>();
  for (const u of updates) byWorkspace.set(u.workspaceId, (byWorkspace.get(u.workspaceId) ?? new Set()).add(u.profileId));
  await appendFeed(tx, [...byWorkspace].map(([workspaceId, ids]) => ({ workspaceId, kind: "traits" as const, profileIds: [...ids] })));
  return refused;
}

async function applyTraitUpdate(tx: Sql, u: TraitUpdate) {
  const path = u.trait.split(".");
  if (u.op !== "unset" && path.length > 1) {
    // `plan.tier`: `plan` must be an object, or is made one when absent (Postgres would otherwise set nothing).
    for (let i = 1; i < path.length; i++) {
      const parent = path.slice(0, i);
      const [row] = await tx.query<{ type: string | null }>`SELECT jsonb_typeof(traits #> ${parent}::text[]) AS type FROM profiles WHERE id = ${u.profileId}`;
      if (!row) return;
      if (row.type === null) await tx.execute`UPDATE profiles SET traits = jsonb_set(traits, ${parent}::text[], '{}'::jsonb, true) WHERE id = ${u.profileId}`;
      else if (row.type !== "object") throw new Error(`${parent.join(".")} is ${row.type === "array" ? "a list" : `a ${row.type}`}, not a group of traits`);
    }
  }
  if (u.op === "unset") {
    await tx.execute`UPDATE profiles SET traits = traits #- ${path}::text[], updated_at = now() WHERE id = ${u.profileId}`;
  } else if (u.op === "increment") {
    const by = typeof u.value === "number" ? u.value : Number(u.value);
    await tx.execute`
      UPDATE profiles
         SET traits = jsonb_set(traits, ${path}::text[],
               to_jsonb(CASE WHEN jsonb_typeof(traits #> ${path}::text[]) = 'number' THEN (traits #>> ${path}::text[])::numeric ELSE 0 END + ${Number.isFinite(by) ? by : 0}::numeric), true),
             updated_at = now()
       WHERE id = ${u.profileId}`;
  } else {
    await tx.execute`UPDATE profiles SET traits = jsonb_set(traits, ${path}::text[], ${JSON.stringify(u.value ?? null)}::jsonb, true), updated_at = now() WHERE id = ${u.profileId}`;
  }
}
