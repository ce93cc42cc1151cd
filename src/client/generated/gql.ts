/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "query Activity($first: Int, $after: String) {\n  activity(first: $first, after: $after) {\n    edges {\n      cursor\n      node {\n        id\n        action\n        targetType\n        targetId\n        requestId\n        createdAt\n        actor {\n          id\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": typeof types.ActivityDocument,
    "fragment DocumentFields on Document {\n  id\n  title\n  body\n  createdBy {\n    id\n    name\n  }\n  createdAt\n  updatedAt\n  archivedAt\n}\n\nquery Documents($first: Int, $after: String, $filter: DocumentFilter) {\n  documents(first: $first, after: $after, filter: $filter) {\n    edges {\n      cursor\n      node {\n        ...DocumentFields\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}\n\nquery Document($id: ID!) {\n  document(id: $id) {\n    ...DocumentFields\n  }\n}\n\nmutation CreateDocument($input: CreateDocumentInput!) {\n  createDocument(input: $input) {\n    ...DocumentFields\n  }\n}\n\nmutation UpdateDocument($id: ID!, $input: UpdateDocumentInput!) {\n  updateDocument(id: $id, input: $input) {\n    ...DocumentFields\n  }\n}\n\nmutation ArchiveDocument($id: ID!) {\n  archiveDocument(id: $id) {\n    ...DocumentFields\n  }\n}\n\nmutation RestoreDocument($id: ID!) {\n  restoreDocument(id: $id) {\n    ...DocumentFields\n  }\n}\n\nmutation DeleteDocument($id: ID!) {\n  deleteDocument(id: $id)\n}": typeof types.DocumentFieldsFragmentDoc,
    "query Members {\n  members {\n    role\n    createdAt\n    user {\n      id\n      email\n      name\n    }\n    organization {\n      id\n    }\n  }\n}\n\nmutation AddMember($input: AddMemberInput!) {\n  addMember(input: $input) {\n    role\n    user {\n      id\n      email\n    }\n    organization {\n      id\n    }\n  }\n}\n\nmutation RemoveMember($userId: ID!) {\n  removeMember(userId: $userId)\n}": typeof types.MembersDocument,
    "query CurrentOrganization {\n  organization {\n    id\n    name\n    slug\n    createdAt\n  }\n}": typeof types.CurrentOrganizationDocument,
    "query Me {\n  me {\n    user {\n      id\n      email\n      name\n    }\n    organization {\n      id\n      name\n      slug\n    }\n    role\n    memberships {\n      role\n      organization {\n        id\n        name\n        slug\n      }\n    }\n  }\n}\n\nmutation SignUp($input: SignUpInput!) {\n  signUp(input: $input) {\n    accessToken\n    expiresAt\n    user {\n      id\n      email\n      name\n    }\n    organization {\n      id\n      name\n      slug\n    }\n  }\n}\n\nmutation Login($input: LoginInput!) {\n  login(input: $input) {\n    accessToken\n    expiresAt\n    user {\n      id\n      email\n    }\n    organization {\n      id\n      name\n    }\n  }\n}\n\nmutation SwitchOrganization($organizationId: ID!) {\n  switchOrganization(organizationId: $organizationId) {\n    accessToken\n    organization {\n      id\n      name\n    }\n  }\n}": typeof types.MeDocument,
};
const documents: Documents = {
    "query Activity($first: Int, $after: String) {\n  activity(first: $first, after: $after) {\n    edges {\n      cursor\n      node {\n        id\n        action\n        targetType\n        targetId\n        requestId\n        createdAt\n        actor {\n          id\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": types.ActivityDocument,
    "fragment DocumentFields on Document {\n  id\n  title\n  body\n  createdBy {\n    id\n    name\n  }\n  createdAt\n  updatedAt\n  archivedAt\n}\n\nquery Documents($first: Int, $after: String, $filter: DocumentFilter) {\n  documents(first: $first, after: $after, filter: $filter) {\n    edges {\n      cursor\n      node {\n        ...DocumentFields\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}\n\nquery Document($id: ID!) {\n  document(id: $id) {\n    ...DocumentFields\n  }\n}\n\nmutation CreateDocument($input: CreateDocumentInput!) {\n  createDocument(input: $input) {\n    ...DocumentFields\n  }\n}\n\nmutation UpdateDocument($id: ID!, $input: UpdateDocumentInput!) {\n  updateDocument(id: $id, input: $input) {\n    ...DocumentFields\n  }\n}\n\nmutation ArchiveDocument($id: ID!) {\n  archiveDocument(id: $id) {\n    ...DocumentFields\n  }\n}\n\nmutation RestoreDocument($id: ID!) {\n  restoreDocument(id: $id) {\n    ...DocumentFields\n  }\n}\n\nmutation DeleteDocument($id: ID!) {\n  deleteDocument(id: $id)\n}": types.DocumentFieldsFragmentDoc,
    "query Members {\n  members {\n    role\n    createdAt\n    user {\n      id\n      email\n      name\n    }\n    organization {\n      id\n    }\n  }\n}\n\nmutation AddMember($input: AddMemberInput!) {\n  addMember(input: $input) {\n    role\n    user {\n      id\n      email\n    }\n    organization {\n      id\n    }\n  }\n}\n\nmutation RemoveMember($userId: ID!) {\n  removeMember(userId: $userId)\n}": types.MembersDocument,
    "query CurrentOrganization {\n  organization {\n    id\n    name\n    slug\n    createdAt\n  }\n}": types.CurrentOrganizationDocument,
    "query Me {\n  me {\n    user {\n      id\n      email\n      name\n    }\n    organization {\n      id\n      name\n      slug\n    }\n    role\n    memberships {\n      role\n      organization {\n        id\n        name\n        slug\n      }\n    }\n  }\n}\n\nmutation SignUp($input: SignUpInput!) {\n  signUp(input: $input) {\n    accessToken\n    expiresAt\n    user {\n      id\n      email\n      name\n    }\n    organization {\n      id\n      name\n      slug\n    }\n  }\n}\n\nmutation Login($input: LoginInput!) {\n  login(input: $input) {\n    accessToken\n    expiresAt\n    user {\n      id\n      email\n    }\n    organization {\n      id\n      name\n    }\n  }\n}\n\nmutation SwitchOrganization($organizationId: ID!) {\n  switchOrganization(organizationId: $organizationId) {\n    accessToken\n    organization {\n      id\n      name\n    }\n  }\n}": types.MeDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Activity($first: Int, $after: String) {\n  activity(first: $first, after: $after) {\n    edges {\n      cursor\n      node {\n        id\n        action\n        targetType\n        targetId\n        requestId\n        createdAt\n        actor {\n          id\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"): (typeof documents)["query Activity($first: Int, $after: String) {\n  activity(first: $first, after: $after) {\n    edges {\n      cursor\n      node {\n        id\n        action\n        targetType\n        targetId\n        requestId\n        createdAt\n        actor {\n          id\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment DocumentFields on Document {\n  id\n  title\n  body\n  createdBy {\n    id\n    name\n  }\n  createdAt\n  updatedAt\n  archivedAt\n}\n\nquery Documents($first: Int, $after: String, $filter: DocumentFilter) {\n  documents(first: $first, after: $after, filter: $filter) {\n    edges {\n      cursor\n      node {\n        ...DocumentFields\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}\n\nquery Document($id: ID!) {\n  document(id: $id) {\n    ...DocumentFields\n  }\n}\n\nmutation CreateDocument($input: CreateDocumentInput!) {\n  createDocument(input: $input) {\n    ...DocumentFields\n  }\n}\n\nmutation UpdateDocument($id: ID!, $input: UpdateDocumentInput!) {\n  updateDocument(id: $id, input: $input) {\n    ...DocumentFields\n  }\n}\n\nmutation ArchiveDocument($id: ID!) {\n  archiveDocument(id: $id) {\n    ...DocumentFields\n  }\n}\n\nmutation RestoreDocument($id: ID!) {\n  restoreDocument(id: $id) {\n    ...DocumentFields\n  }\n}\n\nmutation DeleteDocument($id: ID!) {\n  deleteDocument(id: $id)\n}"): (typeof documents)["fragment DocumentFields on Document {\n  id\n  title\n  body\n  createdBy {\n    id\n    name\n  }\n  createdAt\n  updatedAt\n  archivedAt\n}\n\nquery Documents($first: Int, $after: String, $filter: DocumentFilter) {\n  documents(first: $first, after: $after, filter: $filter) {\n    edges {\n      cursor\n      node {\n        ...DocumentFields\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}\n\nquery Document($id: ID!) {\n  document(id: $id) {\n    ...DocumentFields\n  }\n}\n\nmutation CreateDocument($input: CreateDocumentInput!) {\n  createDocument(input: $input) {\n    ...DocumentFields\n  }\n}\n\nmutation UpdateDocument($id: ID!, $input: UpdateDocumentInput!) {\n  updateDocument(id: $id, input: $input) {\n    ...DocumentFields\n  }\n}\n\nmutation ArchiveDocument($id: ID!) {\n  archiveDocument(id: $id) {\n    ...DocumentFields\n  }\n}\n\nmutation RestoreDocument($id: ID!) {\n  restoreDocument(id: $id) {\n    ...DocumentFields\n  }\n}\n\nmutation DeleteDocument($id: ID!) {\n  deleteDocument(id: $id)\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Members {\n  members {\n    role\n    createdAt\n    user {\n      id\n      email\n      name\n    }\n    organization {\n      id\n    }\n  }\n}\n\nmutation AddMember($input: AddMemberInput!) {\n  addMember(input: $input) {\n    role\n    user {\n      id\n      email\n    }\n    organization {\n      id\n    }\n  }\n}\n\nmutation RemoveMember($userId: ID!) {\n  removeMember(userId: $userId)\n}"): (typeof documents)["query Members {\n  members {\n    role\n    createdAt\n    user {\n      id\n      email\n      name\n    }\n    organization {\n      id\n    }\n  }\n}\n\nmutation AddMember($input: AddMemberInput!) {\n  addMember(input: $input) {\n    role\n    user {\n      id\n      email\n    }\n    organization {\n      id\n    }\n  }\n}\n\nmutation RemoveMember($userId: ID!) {\n  removeMember(userId: $userId)\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query CurrentOrganization {\n  organization {\n    id\n    name\n    slug\n    createdAt\n  }\n}"): (typeof documents)["query CurrentOrganization {\n  organization {\n    id\n    name\n    slug\n    createdAt\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Me {\n  me {\n    user {\n      id\n      email\n      name\n    }\n    organization {\n      id\n      name\n      slug\n    }\n    role\n    memberships {\n      role\n      organization {\n        id\n        name\n        slug\n      }\n    }\n  }\n}\n\nmutation SignUp($input: SignUpInput!) {\n  signUp(input: $input) {\n    accessToken\n    expiresAt\n    user {\n      id\n      email\n      name\n    }\n    organization {\n      id\n      name\n      slug\n    }\n  }\n}\n\nmutation Login($input: LoginInput!) {\n  login(input: $input) {\n    accessToken\n    expiresAt\n    user {\n      id\n      email\n    }\n    organization {\n      id\n      name\n    }\n  }\n}\n\nmutation SwitchOrganization($organizationId: ID!) {\n  switchOrganization(organizationId: $organizationId) {\n    accessToken\n    organization {\n      id\n      name\n    }\n  }\n}"): (typeof documents)["query Me {\n  me {\n    user {\n      id\n      email\n      name\n    }\n    organization {\n      id\n      name\n      slug\n    }\n    role\n    memberships {\n      role\n      organization {\n        id\n        name\n        slug\n      }\n    }\n  }\n}\n\nmutation SignUp($input: SignUpInput!) {\n  signUp(input: $input) {\n    accessToken\n    expiresAt\n    user {\n      id\n      email\n      name\n    }\n    organization {\n      id\n      name\n      slug\n    }\n  }\n}\n\nmutation Login($input: LoginInput!) {\n  login(input: $input) {\n    accessToken\n    expiresAt\n    user {\n      id\n      email\n    }\n    organization {\n      id\n      name\n    }\n  }\n}\n\nmutation SwitchOrganization($organizationId: ID!) {\n  switchOrganization(organizationId: $organizationId) {\n    accessToken\n    organization {\n      id\n      name\n    }\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;