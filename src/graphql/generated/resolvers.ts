import type { GraphQLResolveInfo, GraphQLScalarType, GraphQLScalarTypeConfig } from 'graphql';
import type { Organization as OrganizationModel, Membership as MembershipModel, ActivityEvent as ActivityEventModel, Invitation as InvitationModel, StoredFile as StoredFileModel } from '../../db/entities/index.js';
import type { UserRecord as UserRecordModel, DocumentRecord as DocumentRecordModel, CommentRecord as CommentRecordModel, ViewerMembershipModel as ViewerMembershipModelModel, ViewerModel as ViewerModelModel, AuthPayloadModel as AuthPayloadModelModel } from '../models.js';
import type { GraphQLContext } from '../context.js';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
export type Omit<T, K extends keyof T> = Pick<T, Exclude<keyof T, K>>;
export type RequireFields<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: NonNullable<T[P]> };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** An ISO-8601 date-time in UTC, e.g. `2026-11-27T09:30:00.000Z`. */
  DateTime: { input: Date; output: Date; }
};

/**
 * One audited action: each change to tenant data, each `document(id)` read, and each refused
 * attempt at an action on the organization's data (a role too low, an unknown or another
 * organization's id, or the action's own rules), written in the same transaction as the change it
 * records. Refusals before a request reaches an action (malformed input, limits, bad tokens) are
 * not recorded.
 */
export type ActivityEvent = {
  __typename?: 'ActivityEvent';
  /** e.g. `document.create`, `document.read`, `document.update.denied`, `activity.read.denied`. */
  action: Scalars['String']['output'];
  actor?: Maybe<User>;
  createdAt: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  requestId?: Maybe<Scalars['String']['output']>;
  targetId?: Maybe<Scalars['ID']['output']>;
  targetType?: Maybe<Scalars['String']['output']>;
};

export type ActivityEventConnection = {
  __typename?: 'ActivityEventConnection';
  edges: Array<ActivityEventEdge>;
  pageInfo: PageInfo;
};

export type ActivityEventEdge = {
  __typename?: 'ActivityEventEdge';
  cursor: Scalars['String']['output'];
  node: ActivityEvent;
};

export type AuthPayload = {
  __typename?: 'AuthPayload';
  /** Send as `Authorization: Bearer <accessToken>`. */
  accessToken: Scalars['String']['output'];
  expiresAt: Scalars['DateTime']['output'];
  organization?: Maybe<Organization>;
  user: User;
};

export type Comment = {
  __typename?: 'Comment';
  /** Null once the author has left the organization. */
  author?: Maybe<User>;
  /** 1 to 10,000 characters. */
  body: Scalars['String']['output'];
  createdAt: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
};

export type CreateDocumentInput = {
  body?: InputMaybe<Scalars['String']['input']>;
  title: Scalars['String']['input'];
};

export type Document = {
  __typename?: 'Document';
  archivedAt?: Maybe<Scalars['DateTime']['output']>;
  /** Up to 100,000 characters. */
  body?: Maybe<Scalars['String']['output']>;
  /** The document's comments, oldest first, at most `first` (1 to 100). */
  comments: Array<Comment>;
  createdAt: Scalars['DateTime']['output'];
  /** Null once the author has left the organization. */
  createdBy?: Maybe<User>;
  /** The document's files whose upload completed, oldest first. */
  files: Array<File>;
  id: Scalars['ID']['output'];
  /** 1 to 200 characters. */
  title: Scalars['String']['output'];
  updatedAt: Scalars['DateTime']['output'];
};


export type DocumentCommentsArgs = {
  first?: InputMaybe<Scalars['Int']['input']>;
};

export type DocumentConnection = {
  __typename?: 'DocumentConnection';
  edges: Array<DocumentEdge>;
  pageInfo: PageInfo;
};

export type DocumentEdge = {
  __typename?: 'DocumentEdge';
  cursor: Scalars['String']['output'];
  node: Document;
};

export type DocumentFilter = {
  includeArchived?: InputMaybe<Scalars['Boolean']['input']>;
  /** Case-insensitive substring of the title. */
  titleContains?: InputMaybe<Scalars['String']['input']>;
};

export type File = {
  __typename?: 'File';
  /** Bytes. */
  byteSize: Scalars['Int']['output'];
  contentType: Scalars['String']['output'];
  createdAt: Scalars['DateTime']['output'];
  /** A short-lived signed GET URL (STORAGE_URL_TTL_SECONDS). Each one issued is in the audit trail. */
  downloadUrl: Scalars['String']['output'];
  filename: Scalars['String']['output'];
  id: Scalars['ID']['output'];
};

export type FileUpload = {
  __typename?: 'FileUpload';
  expiresAt: Scalars['DateTime']['output'];
  file: File;
  /** Headers the PUT must carry, exactly as given (part of what is signed). */
  uploadHeaders: Array<FileUploadHeader>;
  /** PUT the bytes here, with `uploadHeaders`, before `expiresAt`. */
  uploadUrl: Scalars['String']['output'];
};

export type FileUploadHeader = {
  __typename?: 'FileUploadHeader';
  name: Scalars['String']['output'];
  value: Scalars['String']['output'];
};

export type Invitation = {
  __typename?: 'Invitation';
  createdAt: Scalars['DateTime']['output'];
  /** The invited address, normalized (Unicode NFC, case-folded). */
  email: Scalars['String']['output'];
  expiresAt: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  /** Null once the inviter has left the organization. */
  invitedBy?: Maybe<User>;
  role: Role;
};

export type InviteMemberInput = {
  email: Scalars['String']['input'];
  role?: Role;
};

export type LoginInput = {
  email: Scalars['String']['input'];
  organizationId?: InputMaybe<Scalars['ID']['input']>;
  password: Scalars['String']['input'];
};

export type Membership = {
  __typename?: 'Membership';
  createdAt: Scalars['DateTime']['output'];
  organization: Organization;
  role: Role;
  user: User;
};

export type Mutation = {
  __typename?: 'Mutation';
  /**
   * Join the organization an invitation is for, as the role it names, and get a token acting in it.
   * Needs a signed-in user whose email is the invited one (someone without an account signs up
   * first, without an organization). BAD_USER_INPUT for an unknown, used, revoked or expired token;
   * FORBIDDEN when signed in with another email.
   */
  acceptInvitation: AuthPayload;
  /** MEMBER or above. Comment on a document of the active organization; NOT_FOUND for unknown and other organizations' document ids alike. */
  addComment: Comment;
  /** MEMBER or above. Hides the document from `documents` unless `includeArchived`. */
  archiveDocument: Document;
  /**
   * MEMBER or above. Checks the stored bytes against the declared size and SHA-256 and makes the
   * file visible. A mismatch (or nothing uploaded) is BAD_USER_INPUT and removes the file and its bytes.
   */
  completeFileUpload: File;
  /**
   * Create the account from the token mailed by `signUp`, and sign in. Multi-tenant: also creates the
   * organization asked for, with you as OWNER (or none: join one later through an invitation).
   * Single-tenant: you join the instance's organization (the first user becomes OWNER, later ones MEMBER).
   * BAD_USER_INPUT for an unknown, used or expired token.
   */
  confirmSignUp: AuthPayload;
  /** MEMBER or above. */
  createDocument: Document;
  /** ADMIN or above, or the document's author. Returns the deleted id. */
  deleteDocument: Scalars['ID']['output'];
  /** MEMBER or above. Deletes the file and its bytes; returns the deleted id. */
  deleteFile: Scalars['ID']['output'];
  /**
   * Invite an email address into the active organization: an email with a token for
   * `acceptInvitation` (valid 7 days, once) goes to it. The answer is the same whether or not the
   * address has an account. A new invitation replaces a pending one to the same address.
   * OWNER or ADMIN; only an OWNER invites an OWNER. Limited per organization (RATE_LIMITED).
   */
  inviteMember: Invitation;
  /** Exchange email and password for a token; `organizationId` picks the active organization (default: your oldest membership). */
  login: AuthPayload;
  /** Remove a member. OWNER or ADMIN (an ADMIN cannot remove an OWNER); anyone may remove themselves. The last OWNER stays. */
  removeMember: Scalars['ID']['output'];
  /**
   * MEMBER or above. Declares a file for a document of the active organization and returns a
   * short-lived signed URL to PUT its bytes to, with the headers to send. The file stays invisible
   * until completeFileUpload. BAD_USER_INPUT for a content type not allowed, a size over the
   * maximum or a malformed sha256; QUOTA_EXCEEDED over the organization's quota; NOT_FOUND for
   * unknown and other organizations' document ids alike.
   */
  requestFileUpload: FileUpload;
  /** MEMBER or above. */
  restoreDocument: Document;
  /** Withdraw a pending invitation; its token stops working. OWNER or ADMIN (an OWNER for an OWNER's invitation). Returns its id. */
  revokeInvitation: Scalars['ID']['output'];
  /**
   * Ask for an account: an email goes to the address, with a token for `confirmSignUp` (valid 24 hours,
   * once), or, when the address already has an account, a note saying so. The answer is the same either
   * way, so it tells nobody whether an address has an account. Limited per client address and per email
   * (RATE_LIMITED).
   */
  signUp: SignUpPayload;
  /** A new token for another organization you belong to. Not available in single-tenant mode. */
  switchOrganization: AuthPayload;
  /** MEMBER or above. Fields left out stay as they are; `body: null` clears the body. */
  updateDocument: Document;
};


export type MutationAcceptInvitationArgs = {
  token: Scalars['String']['input'];
};


export type MutationAddCommentArgs = {
  body: Scalars['String']['input'];
  documentId: Scalars['ID']['input'];
};


export type MutationArchiveDocumentArgs = {
  id: Scalars['ID']['input'];
};


export type MutationCompleteFileUploadArgs = {
  fileId: Scalars['ID']['input'];
};


export type MutationConfirmSignUpArgs = {
  token: Scalars['String']['input'];
};


export type MutationCreateDocumentArgs = {
  input: CreateDocumentInput;
};


export type MutationDeleteDocumentArgs = {
  id: Scalars['ID']['input'];
};


export type MutationDeleteFileArgs = {
  id: Scalars['ID']['input'];
};


export type MutationInviteMemberArgs = {
  input: InviteMemberInput;
};


export type MutationLoginArgs = {
  input: LoginInput;
};


export type MutationRemoveMemberArgs = {
  userId: Scalars['ID']['input'];
};


export type MutationRequestFileUploadArgs = {
  input: RequestFileUploadInput;
};


export type MutationRestoreDocumentArgs = {
  id: Scalars['ID']['input'];
};


export type MutationRevokeInvitationArgs = {
  id: Scalars['ID']['input'];
};


export type MutationSignUpArgs = {
  input: SignUpInput;
};


export type MutationSwitchOrganizationArgs = {
  organizationId: Scalars['ID']['input'];
};


export type MutationUpdateDocumentArgs = {
  id: Scalars['ID']['input'];
  input: UpdateDocumentInput;
};

/** A customer: the unit of isolation. Its data is reached through the tenant-scoped root fields. */
export type Organization = {
  __typename?: 'Organization';
  createdAt: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  name: Scalars['String']['output'];
  slug: Scalars['String']['output'];
};

export type PageInfo = {
  __typename?: 'PageInfo';
  endCursor?: Maybe<Scalars['String']['output']>;
  hasNextPage: Scalars['Boolean']['output'];
};

export type Query = {
  __typename?: 'Query';
  /** The audit trail of the active organization, newest first. OWNER or ADMIN. `first` is 1 to 100. */
  activity: ActivityEventConnection;
  /** A document of the active organization; null for unknown ids and other organizations' ids alike. */
  document?: Maybe<Document>;
  /** Documents of the active organization, newest first. `first` is 1 to 100. */
  documents: DocumentConnection;
  /** Pending invitations of the active organization (not accepted, revoked or expired), newest first. OWNER or ADMIN. */
  invitations: Array<Invitation>;
  /** The signed-in user, the active organization and every organization they belong to. Needs a token. */
  me: Viewer;
  /** Members of the active organization, oldest first. */
  members: Array<Membership>;
  /** The active organization. */
  organization: Organization;
};


export type QueryActivityArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryDocumentArgs = {
  id: Scalars['ID']['input'];
};


export type QueryDocumentsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<DocumentFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
};

export type RequestFileUploadInput = {
  /** Size in bytes, 0 to STORAGE_MAX_FILE_BYTES. */
  byteSize: Scalars['Int']['input'];
  /** One of the deployment's allowed media types (STORAGE_ALLOWED_CONTENT_TYPES). */
  contentType: Scalars['String']['input'];
  documentId: Scalars['ID']['input'];
  /** Shown as the file's name (1 to 255 characters); path separators are replaced, never used in a key. */
  filename: Scalars['String']['input'];
  /** SHA-256 of the bytes, 64 hex digits. */
  sha256: Scalars['String']['input'];
};

export type Role =
  | 'ADMIN'
  | 'MEMBER'
  | 'OWNER'
  | 'VIEWER';

export type SignUpInput = {
  /** Stored and compared in one normalized form (Unicode NFC, case-folded). */
  email: Scalars['String']['input'];
  name: Scalars['String']['input'];
  /** Multi-tenant: the organization to create, with you as OWNER; leave it out for an account without one (e.g. to accept an invitation). Ignored in single-tenant mode. */
  organizationName?: InputMaybe<Scalars['String']['input']>;
  /** At least 10 characters. */
  password: Scalars['String']['input'];
};

/** The same for every address, taken or free. */
export type SignUpPayload = {
  __typename?: 'SignUpPayload';
  /** What to do next: confirm with the token mailed to the address. */
  message: Scalars['String']['output'];
};

export type UpdateDocumentInput = {
  body?: InputMaybe<Scalars['String']['input']>;
  title?: InputMaybe<Scalars['String']['input']>;
};

export type User = {
  __typename?: 'User';
  createdAt: Scalars['DateTime']['output'];
  email: Scalars['String']['output'];
  id: Scalars['ID']['output'];
  name: Scalars['String']['output'];
};

export type Viewer = {
  __typename?: 'Viewer';
  memberships: Array<ViewerMembership>;
  /** The organization this request acts in; null when the token names none or you are no longer a member. */
  organization?: Maybe<Organization>;
  role?: Maybe<Role>;
  user: User;
};

/** One of your own memberships, as listed by `me`. */
export type ViewerMembership = {
  __typename?: 'ViewerMembership';
  organization: Organization;
  role: Role;
};



export type ResolverTypeWrapper<T> = Promise<T> | T;


export type ResolverWithResolve<TResult, TParent, TContext, TArgs> = {
  resolve: ResolverFn<TResult, TParent, TContext, TArgs>;
};
export type Resolver<TResult, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = ResolverFn<TResult, TParent, TContext, TArgs> | ResolverWithResolve<TResult, TParent, TContext, TArgs>;

export type ResolverFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => Promise<TResult> | TResult;

export type SubscriptionSubscribeFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => AsyncIterable<TResult> | Promise<AsyncIterable<TResult>>;

export type SubscriptionResolveFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;

export interface SubscriptionSubscriberObject<TResult, TKey extends string, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<{ [key in TKey]: TResult }, TParent, TContext, TArgs>;
  resolve?: SubscriptionResolveFn<TResult, { [key in TKey]: TResult }, TContext, TArgs>;
}

export interface SubscriptionResolverObject<TResult, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<any, TParent, TContext, TArgs>;
  resolve: SubscriptionResolveFn<TResult, any, TContext, TArgs>;
}

export type SubscriptionObject<TResult, TKey extends string, TParent, TContext, TArgs> =
  | SubscriptionSubscriberObject<TResult, TKey, TParent, TContext, TArgs>
  | SubscriptionResolverObject<TResult, TParent, TContext, TArgs>;

export type SubscriptionResolver<TResult, TKey extends string, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> =
  | ((...args: any[]) => SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>)
  | SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>;

export type TypeResolveFn<TTypes, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (
  parent: TParent,
  context: TContext,
  info: GraphQLResolveInfo
) => Maybe<TTypes> | Promise<Maybe<TTypes>>;

export type IsTypeOfResolverFn<T = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (obj: T, context: TContext, info: GraphQLResolveInfo) => boolean | Promise<boolean>;

export type NextResolverFn<T> = () => Promise<T>;

export type DirectiveResolverFn<TResult = Record<PropertyKey, never>, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = (
  next: NextResolverFn<TResult>,
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;





/** Mapping between all available schema types and the resolvers types */
export type ResolversTypes = {
  ActivityEvent: ResolverTypeWrapper<ActivityEventModel>;
  ActivityEventConnection: ResolverTypeWrapper<Omit<ActivityEventConnection, 'edges'> & { edges: Array<ResolversTypes['ActivityEventEdge']> }>;
  ActivityEventEdge: ResolverTypeWrapper<Omit<ActivityEventEdge, 'node'> & { node: ResolversTypes['ActivityEvent'] }>;
  AuthPayload: ResolverTypeWrapper<AuthPayloadModelModel>;
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
  Comment: ResolverTypeWrapper<CommentRecordModel>;
  CreateDocumentInput: CreateDocumentInput;
  DateTime: ResolverTypeWrapper<Scalars['DateTime']['output']>;
  Document: ResolverTypeWrapper<DocumentRecordModel>;
  DocumentConnection: ResolverTypeWrapper<Omit<DocumentConnection, 'edges'> & { edges: Array<ResolversTypes['DocumentEdge']> }>;
  DocumentEdge: ResolverTypeWrapper<Omit<DocumentEdge, 'node'> & { node: ResolversTypes['Document'] }>;
  DocumentFilter: DocumentFilter;
  File: ResolverTypeWrapper<StoredFileModel>;
  FileUpload: ResolverTypeWrapper<Omit<FileUpload, 'file'> & { file: ResolversTypes['File'] }>;
  FileUploadHeader: ResolverTypeWrapper<FileUploadHeader>;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
  Invitation: ResolverTypeWrapper<InvitationModel>;
  InviteMemberInput: InviteMemberInput;
  LoginInput: LoginInput;
  Membership: ResolverTypeWrapper<MembershipModel>;
  Mutation: ResolverTypeWrapper<Record<PropertyKey, never>>;
  Organization: ResolverTypeWrapper<OrganizationModel>;
  PageInfo: ResolverTypeWrapper<PageInfo>;
  Query: ResolverTypeWrapper<Record<PropertyKey, never>>;
  RequestFileUploadInput: RequestFileUploadInput;
  Role: Role;
  SignUpInput: SignUpInput;
  SignUpPayload: ResolverTypeWrapper<SignUpPayload>;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
  UpdateDocumentInput: UpdateDocumentInput;
  User: ResolverTypeWrapper<UserRecordModel>;
  Viewer: ResolverTypeWrapper<ViewerModelModel>;
  ViewerMembership: ResolverTypeWrapper<ViewerMembershipModelModel>;
};

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = {
  ActivityEvent: ActivityEventModel;
  ActivityEventConnection: Omit<ActivityEventConnection, 'edges'> & { edges: Array<ResolversParentTypes['ActivityEventEdge']> };
  ActivityEventEdge: Omit<ActivityEventEdge, 'node'> & { node: ResolversParentTypes['ActivityEvent'] };
  AuthPayload: AuthPayloadModelModel;
  Boolean: Scalars['Boolean']['output'];
  Comment: CommentRecordModel;
  CreateDocumentInput: CreateDocumentInput;
  DateTime: Scalars['DateTime']['output'];
  Document: DocumentRecordModel;
  DocumentConnection: Omit<DocumentConnection, 'edges'> & { edges: Array<ResolversParentTypes['DocumentEdge']> };
  DocumentEdge: Omit<DocumentEdge, 'node'> & { node: ResolversParentTypes['Document'] };
  DocumentFilter: DocumentFilter;
  File: StoredFileModel;
  FileUpload: Omit<FileUpload, 'file'> & { file: ResolversParentTypes['File'] };
  FileUploadHeader: FileUploadHeader;
  ID: Scalars['ID']['output'];
  Int: Scalars['Int']['output'];
  Invitation: InvitationModel;
  InviteMemberInput: InviteMemberInput;
  LoginInput: LoginInput;
  Membership: MembershipModel;
  Mutation: Record<PropertyKey, never>;
  Organization: OrganizationModel;
  PageInfo: PageInfo;
  Query: Record<PropertyKey, never>;
  RequestFileUploadInput: RequestFileUploadInput;
  SignUpInput: SignUpInput;
  SignUpPayload: SignUpPayload;
  String: Scalars['String']['output'];
  UpdateDocumentInput: UpdateDocumentInput;
  User: UserRecordModel;
  Viewer: ViewerModelModel;
  ViewerMembership: ViewerMembershipModelModel;
};

export type ComplexityDirectiveArgs = {
  multipliers?: Maybe<Array<Scalars['String']['input']>>;
  value: Scalars['Int']['input'];
};

export type ComplexityDirectiveResolver<Result, Parent, ContextType = GraphQLContext, Args = ComplexityDirectiveArgs> = DirectiveResolverFn<Result, Parent, ContextType, Args>;

export type TenantScopedDirectiveArgs = { };

export type TenantScopedDirectiveResolver<Result, Parent, ContextType = GraphQLContext, Args = TenantScopedDirectiveArgs> = DirectiveResolverFn<Result, Parent, ContextType, Args>;

export type UnscopedDirectiveArgs = {
  reason: Scalars['String']['input'];
};

export type UnscopedDirectiveResolver<Result, Parent, ContextType = GraphQLContext, Args = UnscopedDirectiveArgs> = DirectiveResolverFn<Result, Parent, ContextType, Args>;

export type ActivityEventResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['ActivityEvent'] = ResolversParentTypes['ActivityEvent']> = {
  action?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  actor?: Resolver<Maybe<ResolversTypes['User']>, ParentType, ContextType>;
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  requestId?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  targetId?: Resolver<Maybe<ResolversTypes['ID']>, ParentType, ContextType>;
  targetType?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
};

export type ActivityEventConnectionResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['ActivityEventConnection'] = ResolversParentTypes['ActivityEventConnection']> = {
  edges?: Resolver<Array<ResolversTypes['ActivityEventEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
};

export type ActivityEventEdgeResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['ActivityEventEdge'] = ResolversParentTypes['ActivityEventEdge']> = {
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['ActivityEvent'], ParentType, ContextType>;
};

export type AuthPayloadResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['AuthPayload'] = ResolversParentTypes['AuthPayload']> = {
  accessToken?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  expiresAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  organization?: Resolver<Maybe<ResolversTypes['Organization']>, ParentType, ContextType>;
  user?: Resolver<ResolversTypes['User'], ParentType, ContextType>;
};

export type CommentResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Comment'] = ResolversParentTypes['Comment']> = {
  author?: Resolver<Maybe<ResolversTypes['User']>, ParentType, ContextType>;
  body?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
};

export interface DateTimeScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['DateTime'], any> {
  name: 'DateTime';
}

export type DocumentResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Document'] = ResolversParentTypes['Document']> = {
  archivedAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  body?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  comments?: Resolver<Array<ResolversTypes['Comment']>, ParentType, ContextType, RequireFields<DocumentCommentsArgs, 'first'>>;
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  createdBy?: Resolver<Maybe<ResolversTypes['User']>, ParentType, ContextType>;
  files?: Resolver<Array<ResolversTypes['File']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  title?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  updatedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
};

export type DocumentConnectionResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['DocumentConnection'] = ResolversParentTypes['DocumentConnection']> = {
  edges?: Resolver<Array<ResolversTypes['DocumentEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
};

export type DocumentEdgeResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['DocumentEdge'] = ResolversParentTypes['DocumentEdge']> = {
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['Document'], ParentType, ContextType>;
};

export type FileResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['File'] = ResolversParentTypes['File']> = {
  byteSize?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  contentType?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  downloadUrl?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  filename?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
};

export type FileUploadResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['FileUpload'] = ResolversParentTypes['FileUpload']> = {
  expiresAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  file?: Resolver<ResolversTypes['File'], ParentType, ContextType>;
  uploadHeaders?: Resolver<Array<ResolversTypes['FileUploadHeader']>, ParentType, ContextType>;
  uploadUrl?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type FileUploadHeaderResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['FileUploadHeader'] = ResolversParentTypes['FileUploadHeader']> = {
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  value?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type InvitationResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Invitation'] = ResolversParentTypes['Invitation']> = {
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  email?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  expiresAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  invitedBy?: Resolver<Maybe<ResolversTypes['User']>, ParentType, ContextType>;
  role?: Resolver<ResolversTypes['Role'], ParentType, ContextType>;
};

export type MembershipResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Membership'] = ResolversParentTypes['Membership']> = {
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  organization?: Resolver<ResolversTypes['Organization'], ParentType, ContextType>;
  role?: Resolver<ResolversTypes['Role'], ParentType, ContextType>;
  user?: Resolver<ResolversTypes['User'], ParentType, ContextType>;
};

export type MutationResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Mutation'] = ResolversParentTypes['Mutation']> = {
  acceptInvitation?: Resolver<ResolversTypes['AuthPayload'], ParentType, ContextType, RequireFields<MutationAcceptInvitationArgs, 'token'>>;
  addComment?: Resolver<ResolversTypes['Comment'], ParentType, ContextType, RequireFields<MutationAddCommentArgs, 'body' | 'documentId'>>;
  archiveDocument?: Resolver<ResolversTypes['Document'], ParentType, ContextType, RequireFields<MutationArchiveDocumentArgs, 'id'>>;
  completeFileUpload?: Resolver<ResolversTypes['File'], ParentType, ContextType, RequireFields<MutationCompleteFileUploadArgs, 'fileId'>>;
  confirmSignUp?: Resolver<ResolversTypes['AuthPayload'], ParentType, ContextType, RequireFields<MutationConfirmSignUpArgs, 'token'>>;
  createDocument?: Resolver<ResolversTypes['Document'], ParentType, ContextType, RequireFields<MutationCreateDocumentArgs, 'input'>>;
  deleteDocument?: Resolver<ResolversTypes['ID'], ParentType, ContextType, RequireFields<MutationDeleteDocumentArgs, 'id'>>;
  deleteFile?: Resolver<ResolversTypes['ID'], ParentType, ContextType, RequireFields<MutationDeleteFileArgs, 'id'>>;
  inviteMember?: Resolver<ResolversTypes['Invitation'], ParentType, ContextType, RequireFields<MutationInviteMemberArgs, 'input'>>;
  login?: Resolver<ResolversTypes['AuthPayload'], ParentType, ContextType, RequireFields<MutationLoginArgs, 'input'>>;
  removeMember?: Resolver<ResolversTypes['ID'], ParentType, ContextType, RequireFields<MutationRemoveMemberArgs, 'userId'>>;
  requestFileUpload?: Resolver<ResolversTypes['FileUpload'], ParentType, ContextType, RequireFields<MutationRequestFileUploadArgs, 'input'>>;
  restoreDocument?: Resolver<ResolversTypes['Document'], ParentType, ContextType, RequireFields<MutationRestoreDocumentArgs, 'id'>>;
  revokeInvitation?: Resolver<ResolversTypes['ID'], ParentType, ContextType, RequireFields<MutationRevokeInvitationArgs, 'id'>>;
  signUp?: Resolver<ResolversTypes['SignUpPayload'], ParentType, ContextType, RequireFields<MutationSignUpArgs, 'input'>>;
  switchOrganization?: Resolver<ResolversTypes['AuthPayload'], ParentType, ContextType, RequireFields<MutationSwitchOrganizationArgs, 'organizationId'>>;
  updateDocument?: Resolver<ResolversTypes['Document'], ParentType, ContextType, RequireFields<MutationUpdateDocumentArgs, 'id' | 'input'>>;
};

export type OrganizationResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Organization'] = ResolversParentTypes['Organization']> = {
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  slug?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type PageInfoResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['PageInfo'] = ResolversParentTypes['PageInfo']> = {
  endCursor?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  hasNextPage?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
};

export type QueryResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query']> = {
  activity?: Resolver<ResolversTypes['ActivityEventConnection'], ParentType, ContextType, RequireFields<QueryActivityArgs, 'first'>>;
  document?: Resolver<Maybe<ResolversTypes['Document']>, ParentType, ContextType, RequireFields<QueryDocumentArgs, 'id'>>;
  documents?: Resolver<ResolversTypes['DocumentConnection'], ParentType, ContextType, RequireFields<QueryDocumentsArgs, 'first'>>;
  invitations?: Resolver<Array<ResolversTypes['Invitation']>, ParentType, ContextType>;
  me?: Resolver<ResolversTypes['Viewer'], ParentType, ContextType>;
  members?: Resolver<Array<ResolversTypes['Membership']>, ParentType, ContextType>;
  organization?: Resolver<ResolversTypes['Organization'], ParentType, ContextType>;
};

export type SignUpPayloadResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['SignUpPayload'] = ResolversParentTypes['SignUpPayload']> = {
  message?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type UserResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['User'] = ResolversParentTypes['User']> = {
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  email?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type ViewerResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Viewer'] = ResolversParentTypes['Viewer']> = {
  memberships?: Resolver<Array<ResolversTypes['ViewerMembership']>, ParentType, ContextType>;
  organization?: Resolver<Maybe<ResolversTypes['Organization']>, ParentType, ContextType>;
  role?: Resolver<Maybe<ResolversTypes['Role']>, ParentType, ContextType>;
  user?: Resolver<ResolversTypes['User'], ParentType, ContextType>;
};

export type ViewerMembershipResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['ViewerMembership'] = ResolversParentTypes['ViewerMembership']> = {
  organization?: Resolver<ResolversTypes['Organization'], ParentType, ContextType>;
  role?: Resolver<ResolversTypes['Role'], ParentType, ContextType>;
};

export type Resolvers<ContextType = GraphQLContext> = {
  ActivityEvent?: ActivityEventResolvers<ContextType>;
  ActivityEventConnection?: ActivityEventConnectionResolvers<ContextType>;
  ActivityEventEdge?: ActivityEventEdgeResolvers<ContextType>;
  AuthPayload?: AuthPayloadResolvers<ContextType>;
  Comment?: CommentResolvers<ContextType>;
  DateTime?: GraphQLScalarType;
  Document?: DocumentResolvers<ContextType>;
  DocumentConnection?: DocumentConnectionResolvers<ContextType>;
  DocumentEdge?: DocumentEdgeResolvers<ContextType>;
  File?: FileResolvers<ContextType>;
  FileUpload?: FileUploadResolvers<ContextType>;
  FileUploadHeader?: FileUploadHeaderResolvers<ContextType>;
  Invitation?: InvitationResolvers<ContextType>;
  Membership?: MembershipResolvers<ContextType>;
  Mutation?: MutationResolvers<ContextType>;
  Organization?: OrganizationResolvers<ContextType>;
  PageInfo?: PageInfoResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
  SignUpPayload?: SignUpPayloadResolvers<ContextType>;
  User?: UserResolvers<ContextType>;
  Viewer?: ViewerResolvers<ContextType>;
  ViewerMembership?: ViewerMembershipResolvers<ContextType>;
};

export type DirectiveResolvers<ContextType = GraphQLContext> = {
  complexity?: ComplexityDirectiveResolver<any, any, ContextType>;
  tenantScoped?: TenantScopedDirectiveResolver<any, any, ContextType>;
  unscoped?: UnscopedDirectiveResolver<any, any, ContextType>;
};
