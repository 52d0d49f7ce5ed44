// What a recorded workflow history (the JSON of historyToJSON) says about its run: read by
// the replay test's coverage checks and by the recorder, to check each case did what it is for.

interface JsonPayload {
  data?: string;
}

interface JsonEvent {
  eventType: string;
  workflowExecutionStartedEventAttributes?: { workflowType?: { name?: string } };
  markerRecordedEventAttributes?: {
    markerName?: string;
    details?: Record<string, { payloads?: JsonPayload[] }>;
  };
  activityTaskScheduledEventAttributes?: { activityType?: { name?: string } };
  workflowExecutionSignaledEventAttributes?: { signalName?: string };
  workflowExecutionUpdateAcceptedEventAttributes?: {
    acceptedRequest?: { input?: { name?: string } };
  };
}

export interface HistoryFacts {
  workflowType: string;
  /** Ids of the patches whose marker the run recorded (`patched` / `deprecatePatch`). */
  patches: string[];
  /** Activities in the order they were scheduled, local activities included. */
  activities: string[];
  signals: string[];
  /** Names of the updates the run accepted, in order. */
  updates: string[];
  /** The run ended by continuing as new. */
  continuedAsNew: boolean;
}

function decodePayload(payload: JsonPayload | undefined): Record<string, unknown> {
  if (!payload?.data) return {};
  return JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8'));
}

export function historyFacts(json: string): HistoryFacts {
  const events = (JSON.parse(json) as { events: JsonEvent[] }).events;
  const facts: HistoryFacts = {
    workflowType: '',
    patches: [],
    activities: [],
    signals: [],
    updates: [],
    continuedAsNew: false,
  };
  for (const event of events) {
    switch (event.eventType) {
      case 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED':
        facts.workflowType =
          event.workflowExecutionStartedEventAttributes?.workflowType?.name ?? '';
        break;
      case 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED':
        facts.activities.push(event.activityTaskScheduledEventAttributes?.activityType?.name ?? '');
        break;
      case 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED':
        facts.signals.push(event.workflowExecutionSignaledEventAttributes?.signalName ?? '');
        break;
      case 'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED':
        facts.updates.push(
          event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name ?? '',
        );
        break;
      case 'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW':
        facts.continuedAsNew = true;
        break;
      case 'EVENT_TYPE_MARKER_RECORDED': {
        const marker = event.markerRecordedEventAttributes;
        // The SDK's core stores a patch as {"id": ..., "deprecated": ...} under "patch-data",
        // a local activity's type under "data".
        if (marker?.markerName === 'core_patch') {
          const id = decodePayload(marker.details?.['patch-data']?.payloads?.[0]).id;
          facts.patches.push(String(id));
        } else if (marker?.markerName === 'core_local_activity') {
          const type = decodePayload(marker.details?.data?.payloads?.[0]).activity_type;
          facts.activities.push(String(type));
        }
        break;
      }
    }
  }
  return facts;
}
