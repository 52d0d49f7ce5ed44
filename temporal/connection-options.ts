import type { TLSConfig } from '@temporalio/client';
import type { Config } from '../config/env';
import { type ReadFile, readSettingFile } from '../config/read-secret-file';

export type TemporalSettings = Pick<
  Config,
  | 'TEMPORAL_ADDRESS'
  | 'TEMPORAL_TLS'
  | 'TEMPORAL_TLS_CA_PATH'
  | 'TEMPORAL_TLS_CERT_PATH'
  | 'TEMPORAL_TLS_KEY_PATH'
  | 'TEMPORAL_TLS_SERVER_NAME'
  | 'TEMPORAL_API_KEY'
>;

/** What both the client's Connection and the worker's NativeConnection take. */
export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig;
  apiKey?: string;
}

/**
 * Connection options from the settings. TLS is on with TEMPORAL_TLS=true or an API key
 * (an API key sent in the clear would be readable on the way); files are read here, once.
 */
export function temporalConnectionOptions(
  s: TemporalSettings,
  read?: ReadFile,
): TemporalConnectionOptions {
  const options: TemporalConnectionOptions = { address: s.TEMPORAL_ADDRESS };
  if (s.TEMPORAL_API_KEY) options.apiKey = s.TEMPORAL_API_KEY;
  if (!s.TEMPORAL_TLS && !s.TEMPORAL_API_KEY) return options;
  const tls: TLSConfig = {};
  if (s.TEMPORAL_TLS_SERVER_NAME) tls.serverNameOverride = s.TEMPORAL_TLS_SERVER_NAME;
  if (s.TEMPORAL_TLS_CA_PATH) {
    tls.serverRootCACertificate = readSettingFile(
      'TEMPORAL_TLS_CA_PATH',
      s.TEMPORAL_TLS_CA_PATH,
      read,
    );
  }
  if (s.TEMPORAL_TLS_CERT_PATH || s.TEMPORAL_TLS_KEY_PATH) {
    // parseConfig refuses one without the other; this guards callers that skip it.
    if (!s.TEMPORAL_TLS_CERT_PATH || !s.TEMPORAL_TLS_KEY_PATH) {
      throw new Error('TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH: set both or neither');
    }
    tls.clientCertPair = {
      crt: readSettingFile('TEMPORAL_TLS_CERT_PATH', s.TEMPORAL_TLS_CERT_PATH, read),
      key: readSettingFile('TEMPORAL_TLS_KEY_PATH', s.TEMPORAL_TLS_KEY_PATH, read),
    };
  }
  options.tls = tls;
  return options;
}
