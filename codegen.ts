import { createHash } from 'node:crypto';
import type { CodegenConfig } from '@graphql-codegen/cli';

// Two outputs from one schema: the server's resolver types (resolvers return entities, the
// compiler checks both sides) and typed documents for the operations clients and tests use,
// with the manifest of trusted documents.
// `npm run codegen` regenerates; `npm run codegen:check` fails when the files are stale.
const entity = (name: string) => `../../db/entities/index.js#${name}`;

const config: CodegenConfig = {
  schema: 'schema/*.graphql',
  documents: 'src/client/operations/*.graphql',
  emitLegacyCommonJSImports: false,
  generates: {
    'src/graphql/generated/resolvers.ts': {
      plugins: ['typescript', 'typescript-resolvers'],
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        contextType: '../context.js#GraphQLContext',
        mapperTypeSuffix: 'Model',
        scalars: { DateTime: 'Date' },
        mappers: {
          Organization: entity('Organization'),
          User: '../models.js#UserRecord',
          Membership: entity('Membership'),
          Document: '../models.js#DocumentRecord',
          ActivityEvent: entity('ActivityEvent'),
          Comment: '../models.js#CommentRecord',
          Invitation: entity('Invitation'),
          File: entity('StoredFile'),
          ViewerMembership: '../models.js#ViewerMembershipModel',
          Viewer: '../models.js#ViewerModel',
          AuthPayload: '../models.js#AuthPayloadModel',
        },
      },
    },
    'src/client/generated/': {
      preset: 'client',
      presetConfig: {
        fragmentMasking: false,
        // Also writes persisted-documents.json, the trusted manifest the server runs documents
        // from by id (src/graphql/trusted-documents/), and puts each document's id in its
        // `__meta__.hash`. Ids in GraphQL over HTTP's form (Appendix A): `sha256:<hex of the text>`.
        persistedDocuments: { hashAlgorithm: (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}` },
      },
      config: { useTypeImports: true, enumsAsTypes: true, scalars: { DateTime: 'string' } },
    },
  },
};

export default config;
