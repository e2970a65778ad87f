/**
 * Long work done in steps: a generator pauses (`yield`) at points where other
 * work may run, and {@link runInSteps} gives the event loop away whenever a
 * stretch of steps took its budget. How the turn is given (a timer, a
 * macrotask) is the caller's, so core stays free of the runtime's timers.
 */

/** How long a stretch of steps may hold the event loop before other work gets a turn, ms. */
export const STEP_BUDGET_MS = 10;

/** Resolves after other work had a turn of the event loop. */
export type YieldTurn = () => Promise<void>;

/** Runs `steps` to the end and returns its result, giving other work a turn whenever a stretch of steps took `budgetMs`. */
export async function runInSteps<T>(steps: Generator<void, T>, yieldTurn: YieldTurn, budgetMs = STEP_BUDGET_MS): Promise<T> {
  let since = Date.now();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (Date.now() - since >= budgetMs) {
      await yieldTurn();
      since = Date.now();
    }
  }
}

/** Runs `steps` to the end at once, without pausing: the synchronous form of work written in steps. */
export function runToEnd<T>(steps: Generator<void, T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}
