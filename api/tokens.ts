import { type Config, config } from '../config/env';
import { generateDevTokens, parseTokens, type TokenTable } from './auth';

/**
 * The configured tokens, or fresh dev tokens printed once: the API never runs without
 * auth. In production there is no fallback: tokens printed to a log would be readable by
 * whoever reads the logs, so the API refuses to start without API_TOKENS.
 */
export function loadTokens(
  print: (line: string) => void,
  settings: Pick<Config, 'API_TOKENS' | 'NODE_ENV'> = config(),
): TokenTable {
  const spec = settings.API_TOKENS;
  if (spec) return parseTokens(spec);
  if (settings.NODE_ENV === 'production') {
    throw new Error(
      'API_TOKENS is not set and NODE_ENV=production: set API_TOKENS to role:token pairs (e.g. reader:<token>,writer:<token>,admin:<token>); tokens are generated only outside production',
    );
  }
  const dev = generateDevTokens();
  print('API_TOKENS is not set; generated tokens for this run:');
  for (const [role, token] of Object.entries(dev.tokens)) print(`  ${role.padEnd(7)} ${token}`);
  print(`  (set API_TOKENS="${dev.spec}" to keep them)`);
  return parseTokens(dev.spec);
}
