// What a newcomer sees first in the playground: an operation that signs in and one that reads
// documents, with the headers editor ready for the token. Kept next to the page so the words and
// the operations change together; the operations must stay valid for schema/ (the browser test
// runs both).

/** Demo credentials to prefill; only given outside production, when the demo users exist. */
export interface DemoSignIn {
  /** The demo user signed in by the first operation (README "Try it"). */
  email: string;
  password: string;
  /** Every demo user's email (all share the password), listed in the welcome comment. */
  userEmails: string[];
}

/** The first tab's editors: a GraphQL document and the headers as JSON text. */
export interface StartDocument {
  query: string;
  headers: string;
}

/**
 * An empty Authorization value is sent as no header (src/auth/authenticate.ts), so the sign-in
 * runs as is; "Bearer " with nothing after it would be trimmed to a malformed header (HTTP 401).
 */
const HEADERS = `{\n  "Authorization": ""\n}\n`;

const DOCUMENTS = `query MyDocuments {
  me { user { email } organization { name } role }
  documents(first: 20) {
    edges { node { id title createdBy { name } } }
    pageInfo { hasNextPage endCursor }
  }
}
`;

const signIn = (email: string, password: string) => `mutation SignIn {
  login(input: {
    email: ${JSON.stringify(email)}
    password: ${JSON.stringify(password)}
  }) {
    accessToken
    organization { id name }
  }
}
`;

// Comment lines stay under 64 characters: the editor is half the window wide.
const STEPS = `#  2. Copy the accessToken from the result into Headers below:
#       { "Authorization": "Bearer <accessToken>" }
#  3. Run MyDocuments: it sees the token's organization only.
`;

/**
 * The welcome document. `demo` given: it signs in as that user. Otherwise a template to fill in
 * (and, with `production`, a note that introspection is off, so there are no docs or completion).
 */
export function startDocument({ demo, production }: { demo?: DemoSignIn; production: boolean }): StartDocument {
  if (demo) {
    const query = `# Welcome to tenantql. Data in three steps:
#  1. Run SignIn: the run button, then SignIn (or Ctrl-Enter
#     inside it). Demo users, password ${JSON.stringify(demo.password)}:
#     ${demo.userEmails.join(', ')}
${STEPS}
${signIn(demo.email, demo.password)}
${DOCUMENTS}`;
    return { query, headers: HEADERS };
  }
  const note = production ? '# Introspection is off in production: no docs or completion.\n' : '';
  const query = `# tenantql. Data in three steps:
#  1. Put your email and password into SignIn and run it (new
#     account: signUp, then confirmSignUp with the emailed token).
${STEPS}${note}
${signIn('you@example.com', 'your password')}
${DOCUMENTS}`;
  return { query, headers: HEADERS };
}
