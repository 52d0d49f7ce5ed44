// The arguments of `npm run setup`, parsed without side effects (tested as a pure function).

export type SetupArgs =
  | { ok: true; target: 'temporal'; namespace: string; retentionDays: number }
  | { ok: false; error: string };

export function parseSetupArgs(argv: string[], defaultNamespace: string): SetupArgs {
  const [target, ...rest] = argv;
  if (target !== 'temporal') {
    return { ok: false, error: target ? `unknown target: ${target}` : 'name what to set up' };
  }
  let namespace = defaultNamespace;
  let retentionDays = 7;
  for (let i = 0; i < rest.length; i += 2) {
    const [flag, value] = [rest[i], rest[i + 1]];
    if (value === undefined) return { ok: false, error: `${flag} needs a value` };
    if (flag === '--namespace') {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/.test(value)) {
        return { ok: false, error: `--namespace ${value}: letters, digits, . _ - (up to 255)` };
      }
      namespace = value;
    } else if (flag === '--retention-days') {
      const days = Number(value);
      if (!Number.isInteger(days) || days < 1 || days > 3650) {
        return { ok: false, error: `--retention-days ${value}: a whole number of days, 1 to 3650` };
      }
      retentionDays = days;
    } else return { ok: false, error: `unknown option: ${flag}` };
  }
  return { ok: true, target: 'temporal', namespace, retentionDays };
}
