// No DOM here: pure tests import it.

/** Seconds after which a token that lives `expiresIn` is renewed: at 3/4 of its life, at most a minute early. */
export const renewAfter = (expiresIn: number): number =>
  Math.max(1, expiresIn - Math.min(60, expiresIn / 4));
