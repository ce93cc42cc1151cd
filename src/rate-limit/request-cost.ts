import { Kind, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';

// What a request costs against its organization's budget: the cost-limit plugin
// (src/graphql/limits/cost.ts) records its estimate here; a request it did not estimate (no
// operation resolved) costs 1 + its root fields.

const recorded = new WeakMap<object, number>();

/** For the cost-limit plugin: the computed cost of the request this context belongs to. */
export function recordRequestCost(contextValue: object, cost: number): void {
  if (Number.isFinite(cost) && cost >= 0) recorded.set(contextValue, cost);
}

/** Points the request takes from its budget: a whole number, at least 1 and at most `cap` (the whole budget). */
export function requestCost(contextValue: object, document: DocumentNode, operation: OperationDefinitionNode, cap: number): number {
  const cost = recorded.get(contextValue) ?? 1 + rootFieldCount(document, operation);
  return Math.min(Math.max(1, Math.ceil(cost)), cap);
}

/** Fields at the operation's top level, through inline fragments and fragment spreads (aliases count each). */
export function rootFieldCount(document: DocumentNode, operation: OperationDefinitionNode): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const seen = new Set<string>();
  const count = (set: SelectionSetNode): number =>
    set.selections.reduce((n, s) => {
      if (s.kind === Kind.FIELD) return n + 1;
      if (s.kind === Kind.INLINE_FRAGMENT) return n + count(s.selectionSet);
      const fragment = fragments.get(s.name.value);
      if (!fragment || seen.has(s.name.value)) return n;
      seen.add(s.name.value);
      return n + count(fragment.selectionSet);
    }, 0);
  return count(operation.selectionSet);
}
