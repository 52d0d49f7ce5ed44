// The API's roles, each allowed what the ones before it may do.

export const ROLES = ['reader', 'writer', 'admin'] as const;
export type Role = (typeof ROLES)[number];
