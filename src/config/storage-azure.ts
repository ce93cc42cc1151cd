import { z } from 'zod';

// STORAGE_PROVIDER=azure (src/storage/azure/): the container and the shared key that signs SAS
// URLs. Spread into storageEnvSchema (storage.ts); `.env.example` documents each variable.

const blankAsUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalString = () => z.preprocess(blankAsUndefined, z.string().trim().optional());

export const azureStorageEnvSchema = {
  /** The blob container holding `<organization id>/<file id>` objects (required for azure). */
  STORAGE_AZURE_CONTAINER: optionalString(),
  /** A connection string with AccountName and AccountKey (the portal's "Access keys"). */
  STORAGE_AZURE_CONNECTION_STRING: optionalString(),
  /** Instead of a connection string: the storage account's name ... */
  STORAGE_AZURE_ACCOUNT_NAME: optionalString(),
  /** ... and one of its two account keys (base64). */
  STORAGE_AZURE_ACCOUNT_KEY: optionalString(),
  /** With the account name and key: the Blob service endpoint (Azurite, sovereign clouds); default https://<name>.blob.core.windows.net. */
  STORAGE_AZURE_ENDPOINT: optionalString(),
};

type AzureEnv = { [K in keyof typeof azureStorageEnvSchema]?: string };

/** What the azure provider needs: where the container is and the shared key that signs SAS URLs. */
export interface AzureStorageConfig {
  container: string;
  accountName: string;
  /** The account key as given (base64): its bytes are the HMAC-SHA256 key of every SAS. */
  accountKey: string;
  /** The Blob service endpoint without a trailing slash, e.g. https://acme.blob.core.windows.net or http://127.0.0.1:10000/devstoreaccount1. */
  endpoint: string;
}

// Naming rules: https://learn.microsoft.com/rest/api/storageservices/naming-and-referencing-containers--blobs--and-metadata
// and the storage account name rule (3 to 24 lower-case letters and digits).
const CONTAINER = /^(?=.{3,63}$)[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9]$/;
const ACCOUNT = /^[a-z0-9]{3,24}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Azurite's well-known development account (documented by Microsoft; not a secret), for `UseDevelopmentStorage=true`. */
export const AZURITE_ACCOUNT = {
  accountName: 'devstoreaccount1',
  accountKey: 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
  endpoint: 'http://127.0.0.1:10000/devstoreaccount1',
};

/** `Key=Value;…` parts of a connection string; keys compared case-insensitively, as the SDK does. */
function connectionStringParts(value: string): Map<string, string> {
  const parts = new Map<string, string>();
  for (const part of value.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) parts.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  return parts;
}

/** The account, key and endpoint a connection string names, or a sentence saying what it lacks. */
function fromConnectionString(value: string): Omit<AzureStorageConfig, 'container'> | string {
  const parts = connectionStringParts(value);
  if (parts.get('usedevelopmentstorage')?.toLowerCase() === 'true') return AZURITE_ACCOUNT;
  const accountName = parts.get('accountname');
  const accountKey = parts.get('accountkey');
  if (!accountKey) {
    // A SharedAccessSignature-only string can call the service but cannot sign new SAS URLs.
    return 'STORAGE_AZURE_CONNECTION_STRING has no AccountKey: upload and download URLs are SAS signed with the account key, so use a connection string from the account\'s "Access keys" (AccountName=…;AccountKey=…), not a SAS one.';
  }
  if (!accountName) return 'STORAGE_AZURE_CONNECTION_STRING has no AccountName.';
  const protocol = parts.get('defaultendpointsprotocol') ?? 'https';
  const endpoint = parts.get('blobendpoint') ?? `${protocol}://${accountName}.blob.${parts.get('endpointsuffix') ?? 'core.windows.net'}`;
  return { accountName, accountKey, endpoint };
}

/** `url` as an http(s) endpoint without query, fragment, credentials or trailing slash, or undefined. */
function endpointUrl(url: string): string | undefined {
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (!parsed || !['http:', 'https:'].includes(parsed.protocol) || parsed.search !== '' || parsed.hash !== '' || parsed.username !== '') return undefined;
  return parsed.href.replace(/\/+$/, '');
}

/**
 * The azure settings when STORAGE_PROVIDER=azure, adding every problem to `problems`: no or a
 * malformed container name; neither or both of a connection string and an account name + key; a
 * connection string without AccountKey (SAS needs the shared key); a malformed account name, key
 * or endpoint; STORAGE_AZURE_* set while another provider is chosen (as s3Config does for
 * STORAGE_S3_*: a forgotten STORAGE_PROVIDER=azure would otherwise store files elsewhere
 * silently). Undefined for other providers.
 */
export function azureStorageConfig(provider: string | undefined, e: AzureEnv, problems: string[]): AzureStorageConfig | undefined {
  if (provider !== 'azure') {
    const set = Object.keys(azureStorageEnvSchema).filter((name) => e[name as keyof typeof azureStorageEnvSchema] !== undefined);
    if (set.length > 0) problems.push(`${set.join(', ')} apply only with STORAGE_PROVIDER=azure (now ${provider ?? 'local'}): unset them or choose azure.`);
    return undefined;
  }
  const before = problems.length;
  const container = e.STORAGE_AZURE_CONTAINER;
  if (!container) problems.push('STORAGE_AZURE_CONTAINER is required with STORAGE_PROVIDER=azure: the blob container that holds the files.');
  else if (!CONTAINER.test(container)) problems.push(`STORAGE_AZURE_CONTAINER "${container.slice(0, 80)}" is not a container name: 3 to 63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit.`);

  let account: Omit<AzureStorageConfig, 'container'> | undefined;
  const byKey = e.STORAGE_AZURE_ACCOUNT_NAME !== undefined || e.STORAGE_AZURE_ACCOUNT_KEY !== undefined;
  if (e.STORAGE_AZURE_CONNECTION_STRING !== undefined && (byKey || e.STORAGE_AZURE_ENDPOINT !== undefined)) {
    problems.push('STORAGE_AZURE_CONNECTION_STRING and STORAGE_AZURE_ACCOUNT_NAME/ACCOUNT_KEY/ENDPOINT are both set: use one or the other (a connection string names its own BlobEndpoint).');
  } else if (e.STORAGE_AZURE_CONNECTION_STRING !== undefined) {
    const parsed = fromConnectionString(e.STORAGE_AZURE_CONNECTION_STRING);
    if (typeof parsed === 'string') problems.push(parsed);
    else account = parsed;
  } else if (byKey) {
    if (!e.STORAGE_AZURE_ACCOUNT_NAME) problems.push('STORAGE_AZURE_ACCOUNT_NAME is required with STORAGE_AZURE_ACCOUNT_KEY.');
    if (!e.STORAGE_AZURE_ACCOUNT_KEY) problems.push('STORAGE_AZURE_ACCOUNT_KEY is required with STORAGE_AZURE_ACCOUNT_NAME: SAS URLs are signed with it.');
    const name = e.STORAGE_AZURE_ACCOUNT_NAME ?? '';
    account = { accountName: name, accountKey: e.STORAGE_AZURE_ACCOUNT_KEY ?? '', endpoint: e.STORAGE_AZURE_ENDPOINT ?? `https://${name}.blob.core.windows.net` };
  } else {
    problems.push('STORAGE_PROVIDER=azure needs credentials: STORAGE_AZURE_CONNECTION_STRING, or STORAGE_AZURE_ACCOUNT_NAME and STORAGE_AZURE_ACCOUNT_KEY.');
  }

  if (account?.accountName && !ACCOUNT.test(account.accountName)) problems.push(`The storage account name "${account.accountName.slice(0, 40)}" is not one: 3 to 24 lower-case letters and digits.`);
  if (account?.accountKey && (!BASE64.test(account.accountKey) || Buffer.from(account.accountKey, 'base64').length < 32)) {
    problems.push('The storage account key is not one: it is the base64 text shown under the account\'s "Access keys".');
  }
  const endpoint = account ? endpointUrl(account.endpoint) : undefined;
  if (account && !endpoint) problems.push(`The Blob endpoint "${account.endpoint.slice(0, 100)}" is not an http(s) URL without query or credentials, e.g. https://acme.blob.core.windows.net.`);
  if (problems.length > before || !account || !endpoint || !container) return undefined;
  return { container, accountName: account.accountName, accountKey: account.accountKey, endpoint };
}
