import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ServiceManifest } from '../shared/service.ts';

/** The order saga's ASL file: CDK deploys it, the offline runner executes it, the tests read it. */
export const ORDER_SAGA_FILE = fileURLToPath(new URL('../statemachines/order-saga.asl.json', import.meta.url));

/** One name in every target, so the orders functions get the ARN without a reference to the saga stack. */
export const orderSagaName = (stage: string): string => `shop-${stage}-order-saga`;

export interface AslState {
  Type: string;
  Resource?: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: Array<{ Next: string } & Record<string, unknown>>;
  Catch?: Array<{ ErrorEquals: string[]; Next: string; ResultPath?: string }>;
  Retry?: Array<{ ErrorEquals: string[]; IntervalSeconds?: number; MaxAttempts?: number; BackoffRate?: number }>;
  TimeoutSeconds?: number;
  Comment?: string;
  [key: string]: unknown;
}
export interface AslDefinition {
  Comment?: string;
  StartAt: string;
  TimeoutSeconds?: number;
  States: Record<string, AslState>;
}

export function readOrderSaga(): AslDefinition {
  return JSON.parse(readFileSync(ORDER_SAGA_FILE, 'utf8')) as AslDefinition;
}

/** `${Name}` in a task's Resource: the key of CDK's DefinitionSubstitutions and of the catalog's sagaTasks. */
export function resourcePlaceholder(state: AslState): string | undefined {
  return /^\$\{(\w+)\}$/.exec(state.Resource ?? '')?.[1];
}

/** Task state name -> the placeholder its Resource names. */
export function taskPlaceholders(definition: AslDefinition): Map<string, string | undefined> {
  return new Map(
    Object.entries(definition.States)
      .filter(([, s]) => s.Type === 'Task')
      .map(([name, s]) => [name, resourcePlaceholder(s)]),
  );
}

/** Every saga task the catalog declares, by state name, with the service that owns it. */
export function catalogSagaTasks(services: ServiceManifest[]): Map<string, { service: string; handler: string }> {
  const tasks = new Map<string, { service: string; handler: string }>();
  for (const s of services)
    for (const t of s.sagaTasks ?? []) {
      if (tasks.has(t.state)) throw new Error(`saga task ${t.state} is declared by ${tasks.get(t.state)!.service} and ${s.name}`);
      tasks.set(t.state, { service: s.name, handler: t.handler });
    }
  return tasks;
}

/** The definition with each `${Name}` Resource replaced, as Step Functions applies DefinitionSubstitutions. */
export function substituteResources(definition: AslDefinition, arnFor: (placeholder: string) => string): AslDefinition {
  const copy = structuredClone(definition);
  for (const state of Object.values(copy.States)) {
    const placeholder = resourcePlaceholder(state);
    if (placeholder) state.Resource = arnFor(placeholder);
  }
  return copy;
}

/** Every transition of the machine (Next, Default, Choices, Catch), for the console's graph and the tests. */
export function transitions(definition: AslDefinition): Array<{ from: string; to: string; kind: 'next' | 'choice' | 'catch' }> {
  const out: Array<{ from: string; to: string; kind: 'next' | 'choice' | 'catch' }> = [];
  for (const [from, s] of Object.entries(definition.States)) {
    if (s.Next) out.push({ from, to: s.Next, kind: 'next' });
    for (const c of s.Choices ?? []) out.push({ from, to: c.Next, kind: 'choice' });
    if (s.Default) out.push({ from, to: s.Default, kind: 'choice' });
    for (const c of s.Catch ?? []) out.push({ from, to: c.Next, kind: 'catch' });
  }
  return out;
}
