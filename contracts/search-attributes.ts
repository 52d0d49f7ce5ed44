import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Registered on the dev server by scripts/stack.sh (TEMPORAL_SEARCH_ATTRIBUTES; keep in sync,
// test/temporal-namespace.test.ts checks) and on any server by `npm run setup -- temporal`.
export const ORDER_ID = defineSearchAttributeKey('OrderId', SearchAttributeType.KEYWORD);
export const COMMAND_TYPE = defineSearchAttributeKey('CommandType', SearchAttributeType.KEYWORD);
/** e.g. ['elasticsearch:retrying']; absent while every projection is fine. */
export const PROJECTION_STATUS = defineSearchAttributeKey(
  'ProjectionStatus',
  SearchAttributeType.KEYWORD_LIST,
);

/** 'stuck' while a command partition cannot store its batch (event store unreachable). */
export const COMMAND_PARTITION_STATUS = defineSearchAttributeKey(
  'CommandPartitionStatus',
  SearchAttributeType.KEYWORD,
);

export const ALL_SEARCH_ATTRIBUTES = [
  ORDER_ID,
  COMMAND_TYPE,
  PROJECTION_STATUS,
  COMMAND_PARTITION_STATUS,
];
