/**
 * Whether a namespace has Lakeloop's search attributes, with the types Lakeloop writes. Temporal
 * refuses a workflow task that upserts an attribute the namespace does not know (the task fails and is
 * retried, so the workflow stalls), so a worker checks before it takes any task, and says what to
 * register.
 */
import type { Connection } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import {
  CLI_TYPE_NAMES,
  INDEXED_VALUE_TYPE,
  LAKELOOP_SEARCH_ATTRIBUTES,
} from '../shared/search-attributes.js';

export interface SearchAttributeProblem {
  name: string;
  /** The type Lakeloop writes, as the CLI spells it. */
  type: string;
  /** Registered, but with another type (Temporal cannot change an attribute's type). */
  wrongType: boolean;
}

/** Lakeloop's attributes that `namespace` lacks, or holds with another type. */
export async function missingSearchAttributes(
  connection: Pick<Connection | NativeConnection, 'operatorService'>,
  namespace: string,
): Promise<SearchAttributeProblem[]> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const problems: SearchAttributeProblem[] = [];
  for (const key of LAKELOOP_SEARCH_ATTRIBUTES) {
    const registered = customAttributes?.[key.name];
    const type = CLI_TYPE_NAMES[key.type] ?? key.type;
    if (registered === undefined || registered === null)
      problems.push({ name: key.name, type, wrongType: false });
    else if (registered !== INDEXED_VALUE_TYPE[key.type])
      problems.push({ name: key.name, type, wrongType: true });
  }
  return problems;
}

/** A worker's refusal to start on a namespace without Lakeloop's search attributes. */
export class MissingSearchAttributesError extends Error {
  constructor(
    readonly problems: SearchAttributeProblem[],
    namespace: string,
  ) {
    super(describeMissingSearchAttributes(problems, namespace));
    this.name = 'MissingSearchAttributesError';
  }
}

/** What a person does about `problems`: the commands, named attribute by attribute. */
export function describeMissingSearchAttributes(
  problems: SearchAttributeProblem[],
  namespace: string,
): string {
  const missing = problems.filter((p) => !p.wrongType);
  const wrong = problems.filter((p) => p.wrongType);
  const lines = [
    `the Temporal namespace "${namespace}" lacks search attributes Lakeloop's workflows write ` +
      `(Temporal refuses their updates, so the workflows would stall):`,
    ...missing.map(
      (p) =>
        `  temporal operator search-attribute create --namespace ${namespace} --name ${p.name} --type ${p.type}`,
    ),
    ...wrong.map(
      (p) =>
        `  ${p.name} is registered with another type; Lakeloop needs ${p.type} (Temporal cannot change a type: ` +
        'remove it and register it again, or use a new namespace)',
    ),
    'On Temporal Cloud, add them in the Cloud UI or with `tcld namespace search-attributes add`.',
  ];
  return lines.join('\n');
}
