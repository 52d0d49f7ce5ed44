// Paths for the socket-level fuzz (test/support/fuzz-raw.ts): ways out of web/dist, and the
// REST routes, the OpenAPI document and the API reference a well-behaved client asks for.

/** Paths that try to leave web/dist, in every spelling a server might decode its way out. */
export const TRAVERSALS = [
  '/assets/../../package.json',
  '/assets/%2e%2e/%2e%2e/package.json',
  '/assets/%2E%2E/%2E%2E/package.json',
  '/assets/..%2f..%2fpackage.json',
  '/assets/..%2F..%2Fpackage.json',
  '/assets/..%5c..%5cpackage.json',
  '/assets/.%2e/.%2e/package.json',
  '/assets/%2e./%2e./package.json',
  '/assets/%252e%252e/%252e%252e/package.json',
  '/assets/%c0%ae%c0%ae/%c0%ae%c0%ae/package.json',
  '/assets/..\\..\\package.json',
  '/..%2f..%2f..%2fetc/passwd',
  '/../../../../etc/passwd',
  '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
  '/assets/....//....//package.json',
  '/assets/%00../../package.json',
  '/assets/../../.stack/logs/postgres.log',
  '/assets/../src/main.ts',
  '/assets/%2e%2e/src/main.ts',
  '/index.html/../../package.json',
  '//etc/passwd',
  '/assets//..//..//package.json',
];

/** Path segments of the REST routes and the API reference. */
export const API_SEGMENTS = [
  'api',
  'orders',
  'o-1',
  'complete',
  'reports',
  'monthly',
  'admin',
  'docs',
  'openapi.json',
];

/** REST routes, the document and the reference's files, as a client asks for them. */
export const API_TARGETS = [
  '/api/orders',
  '/api/orders?pageSize=5',
  '/api/orders/o-1',
  '/api/orders/o-1/complete',
  '/api/orders/o-1/history?afterVersion=x',
  '/api/reports/monthly?month=2024-01&currency=EUR',
  '/api/session',
  '/api/admin/projections',
  '/api/nothing',
  '/openapi.json',
  '/docs',
  '/docs/start.js',
  '/docs/assets/swagger-ui.css',
  '/docs/assets/index.html',
];
