import { randomUUID } from 'node:crypto';
import { Comment, Document } from '../../db/entities/index.js';
import { notFound } from '../../graphql/errors.js';
import { parseId, text } from '../../graphql/input.js';
import type { RequestScope } from '../../tenancy/request-scope.js';
import { audited } from '../audited.js';

const BODY = { min: 1, max: 10_000 };

/**
 * MEMBER or above. The audit target is the document commented on, so a refused attempt
 * records the id that was tried (unknown and other organizations' ids alike).
 */
export async function addComment(scope: RequestScope, rawDocumentId: string, rawBody: string): Promise<Comment> {
  const documentId = parseId(rawDocumentId, 'documentId');
  const body = text(rawBody, 'body', BODY);
  const action = { action: 'comment.create', target: { type: 'Document', id: documentId }, requires: 'MEMBER', describe: 'Commenting on documents' } as const;
  return audited(scope, action, async (em) => {
    // Through the tenant filter (and row-level security): another organization's document is
    // not found, exactly like an unknown one. The composite foreign key would refuse it anyway,
    // but only at commit and as a database error.
    const doc = await em.findOne(Document, { id: documentId });
    if (!doc) throw notFound('Document');
    // organizationId and author come from the request, never from input.
    return em.create(Comment, { id: randomUUID(), organizationId: scope.organizationId, documentId: doc.id, authorId: scope.userId, body });
  });
}
