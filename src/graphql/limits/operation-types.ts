import { GraphQLError, type ValidationRule } from 'graphql';

/**
 * Refuses an operation whose type (query, mutation, subscription) the schema has no root type
 * for, e.g. `subscription { x }` against a schema without `type Subscription`: a validation
 * error (GRAPHQL_VALIDATION_FAILED, HTTP 400) instead of graphql-js's execution-time
 * "Schema is not configured to execute subscription operation", which Apollo reports as a
 * server error. GraphQL spec, "Executing Operations": the root operation type must exist.
 */
export const knownOperationTypesRule: ValidationRule = (context) => ({
  OperationDefinition(node) {
    if (context.getSchema().getRootType(node.operation)) return;
    context.reportError(new GraphQLError(`This API has no ${node.operation} operations.`, { nodes: node }));
  },
});
