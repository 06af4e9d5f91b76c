// Loads the fixture file and plans its loop. Plans are cached per file and segment length: several
// simulators in one process (tests) share one analysis.
import { readFile } from 'node:fs/promises';
import { type LoopPlan, planLoop } from './loop-plan.js';

const plans = new Map<string, Promise<LoopPlan>>();

export function loadLoopPlan(path: string, segmentTargetS: number): Promise<LoopPlan> {
  const key = `${path}\n${segmentTargetS}`;
  let plan = plans.get(key);
  if (!plan) {
    plan = readFile(path).then((bytes) =>
      planLoop(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), segmentTargetS),
    );
    plans.set(key, plan);
    plan.catch(() => plans.delete(key));
  }
  return plan;
}
