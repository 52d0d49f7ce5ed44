// The report-month rules live in the domain (several layers need them); re-exported for
// the workflow code that imports them from here.
export {
  addMonths,
  monthIn,
  monthSpan,
  monthsBetween,
  retentionCutoff,
} from '../domain/report-months';
