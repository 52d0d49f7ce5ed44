/** A progress line with the time of day: a full run takes the better part of an hour. */
export function log(message: string): void {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);
}
