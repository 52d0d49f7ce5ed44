// `npm run setup -- temporal [--namespace NAME] [--retention-days N]`: registers the app's
// namespace and search attributes on whichever Temporal server the environment names
// (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS or API key as for the app). Idempotent.

import { Connection } from '@temporalio/client';
import { config } from '../config/env';
import { temporalConnectionOptions } from '../temporal/connection-options';
import { SetupRefusedError, setUpNamespace } from '../temporal/namespace-setup';
import { parseSetupArgs } from './setup-args';

const parsed = parseSetupArgs(process.argv.slice(2), config().TEMPORAL_NAMESPACE);
if (!parsed.ok) {
  console.error(parsed.error);
  console.error('usage: npm run setup -- temporal [--namespace NAME] [--retention-days 1-3650]');
  process.exit(2);
}
const connection = await Connection.connect(temporalConnectionOptions(config()));
try {
  const lines = await setUpNamespace(connection, parsed.namespace, parsed.retentionDays);
  for (const line of lines) console.log(line);
} catch (err) {
  if (!(err instanceof SetupRefusedError)) throw err;
  console.error(err.message);
  process.exitCode = 3;
} finally {
  await connection.close();
}
