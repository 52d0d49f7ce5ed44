import { config } from '../config/env';
import { generateDevTokens, parseTokens, type TokenTable } from './auth';

/** The configured tokens, or fresh dev tokens printed once: the API never runs without auth. */
export function loadTokens(print: (line: string) => void): TokenTable {
  const spec = config().API_TOKENS;
  if (spec) return parseTokens(spec);
  const dev = generateDevTokens();
  print('API_TOKENS is not set; generated tokens for this run:');
  for (const [role, token] of Object.entries(dev.tokens)) print(`  ${role.padEnd(7)} ${token}`);
  print(`  (set API_TOKENS="${dev.spec}" to keep them)`);
  return parseTokens(dev.spec);
}
