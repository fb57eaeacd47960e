/**
 * Bad input: a flag, an argument or a document that cannot be used as given;
 * the message names the field and says what is wanted. The one bad-input
 * type of every cello package. It lives here, with no imports, so the record
 * parsers can throw it (RecordError is one) and the CNI path can test for it;
 * cli-kit re-exports it. Commands exit 2 on it (cli-kit's runMain); the CNI
 * plugin answers code 7 (invalid network config).
 */
export class UsageError extends Error {
  override readonly name: string = 'UsageError';
  readonly exitCode = 2;
}
