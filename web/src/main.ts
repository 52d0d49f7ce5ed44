import { html, nothing, render } from 'lit-html';
import './style.css';
import { adminScreen, enterAdmin, leaveAdmin } from './admin-view';
import { clientFor, forgetToken, savedToken, saveToken } from './api';
import { currentMonth, errorBox, type Role, type ScreenContext } from './context';
import { describeError, type ShownError } from './errors';
import {
  forgetProviderSignIn,
  isCallback,
  type ProviderConfig,
  ProviderSession,
  signedInBefore,
  signInConfig,
  startSignIn,
} from './oidc';
import { reportScreen, showReport } from './report-view';
import { drawTrends, showTrends, trendsScreen } from './trends-view';
import {
  defaultReport,
  linkTo,
  parseLink,
  type Route,
  SCREEN_LABELS,
  type Screen,
} from './url-state';

const SCREENS: { id: Screen; role: Role }[] = [
  { id: 'report', role: 'reader' },
  { id: 'trends', role: 'reader' },
  { id: 'admin', role: 'admin' },
];
const RANK: Record<Role, number> = { reader: 0, writer: 1, admin: 2 };

const app = document.querySelector<HTMLElement>('#app') as HTMLElement;
// The page's "Loading…" placeholder: lit-html renders beside what is there, so it goes first.
app.replaceChildren();
let session: ScreenContext | null = null;
let signInError: ShownError | null = null;
let signingIn = false;
/** The identity provider people sign in with (null: the token paste). */
let provider: ProviderConfig | null = null;
/** Why the provider's settings could not be read: the paste is offered meanwhile. */
let providerProblem: ShownError | null = null;
let providerSession: ProviderSession | null = null;
/** The screen shown and its choices: what the address says. */
let route: Route | null = null;
/** What the address had that meant nothing, and what is shown instead. */
let linkProblems: string[] = [];

const allowed = (role: Role) => SCREENS.filter((s) => RANK[role] >= RANK[s.role]);

// Each screen's last address in this tab, so the menu returns to a screen as it was left
// (kept beside the token, for this tab only: a reload keeps it).
const LINKS_KEY = 'orders.links';
function lastLinks(): Partial<Record<Screen, string>> {
  try {
    return JSON.parse(sessionStorage.getItem(LINKS_KEY) ?? '{}') as Partial<Record<Screen, string>>;
  } catch {
    return {};
  }
}
function rememberLink(screen: Screen, hash: string): void {
  sessionStorage.setItem(LINKS_KEY, JSON.stringify({ ...lastLinks(), [screen]: hash }));
}

/**
 * Shows what the address names. A value that means nothing falls back to its default, is
 * named above the screen, and the address is rewritten to what is shown (so a reload or a
 * copied link shows it without the complaint). `again`: the same choices asked once more.
 */
function follow(ctx: ScreenContext, again = false): void {
  const parsed = parseLink(location.hash, currentMonth());
  let next = parsed.route;
  const problems = [...parsed.problems];
  if (!allowed(ctx.role).some((s) => s.id === next.screen)) {
    problems.push(
      `${SCREEN_LABELS[next.screen]} is for admins: showing the ${SCREEN_LABELS.report}`,
    );
    next = { screen: 'report', report: defaultReport(currentMonth()) };
  }
  linkProblems = problems;
  const hash = linkTo(next);
  if (hash !== location.hash) history.replaceState(history.state, '', hash);
  rememberLink(next.screen, hash);
  route = next;
  if (next.screen === 'admin') queueMicrotask(() => enterAdmin(ctx));
  else leaveAdmin();
  if (next.screen === 'report') {
    showReport(ctx, next.report, { defaultedMonth: parsed.defaulted.month, again });
  } else if (next.screen === 'trends') {
    showTrends(ctx, next.trends, { defaultedRange: parsed.defaulted.range, again });
  }
  draw();
  // A screen entered again draws its charts on the canvases just rendered.
  if (next.screen === 'trends') drawTrends();
}

function navigate(next: Route, how: 'push' | 'replace' = 'push'): void {
  if (!session) return;
  const hash = linkTo(next);
  if (hash === location.hash) {
    follow(session, true);
    return;
  }
  if (how === 'push') history.pushState(null, '', hash);
  else history.replaceState(history.state, '', hash);
  follow(session);
}

/** Signs in with a pasted token, or with the provider's tokens (kept in memory only). */
async function signIn(credential: string | ProviderSession): Promise<void> {
  signingIn = true;
  signInError = null;
  draw();
  try {
    const client = clientFor(typeof credential === 'string' ? credential : credential.token);
    const { role } = await client.session.whoami.query();
    if (typeof credential === 'string') saveToken(credential);
    else providerSession = credential;
    session = { client, role, update: draw, signedOut, navigate };
  } catch (err) {
    forgetToken();
    if (typeof credential !== 'string') credential.forget();
    signInError = describeError(err);
  } finally {
    signingIn = false;
  }
  if (session) follow(session);
  else draw();
}

const failed = (title: string, err: unknown): ShownError => ({
  status: null,
  title,
  message: err instanceof Error ? err.message : String(err),
  reason: null,
});

/** The provider sent the person back: the code becomes tokens, then the session. */
async function completeSignIn(c: ProviderConfig): Promise<void> {
  signingIn = true;
  draw();
  let credential: ProviderSession;
  try {
    credential = await ProviderSession.complete(c, (err) =>
      signedOut(failed('Your session ended:', `${err.message}. Sign in again.`)),
    );
  } catch (err) {
    forgetProviderSignIn();
    signingIn = false;
    signInError = failed('Sign-in failed:', err);
    draw();
    return;
  }
  await signIn(credential);
}

/** Sign-out button: with the provider, its session ends too (it sends the page back here). */
function signOut(): void {
  const ending = providerSession;
  signedOut(null);
  ending?.signOut();
}

function signedOut(error: ShownError | null): void {
  leaveAdmin();
  forgetToken();
  providerSession?.forget();
  providerSession = null;
  sessionStorage.removeItem(LINKS_KEY);
  session = null;
  route = null;
  signInError = error;
  draw();
}

function signInForm() {
  if (provider) {
    const c = provider;
    return html`<section class="signin">
      <h1>Orders workspace</h1>
      <button type="button" id="sign-in-oidc" ?disabled=${signingIn} @click=${() => void startSignIn(c)}>
        Sign in with your organisation
      </button>
      <p class="hint">You are sent to ${new URL(c.issuer).host} to sign in, and back here.</p>
      ${errorBox(signInError)}
    </section>`;
  }
  const submit = (e: Event) => {
    e.preventDefault();
    const token = new FormData(e.target as HTMLFormElement).get('token');
    if (typeof token === 'string' && token.trim()) void signIn(token.trim());
  };
  return html`<section class="signin">
    <h1>Orders workspace</h1>
    <form @submit=${submit}>
      <label>API token <input name="token" type="password" autocomplete="off" required autofocus /></label>
      <button type="submit" ?disabled=${signingIn}>Sign in</button>
    </form>
    <p class="hint">The token is kept for this browser tab only. npm start prints one per role.</p>
    ${errorBox(providerProblem)}
    ${errorBox(signInError)}
  </section>`;
}

function problemsBox() {
  if (linkProblems.length === 0) return nothing;
  return html`<div class="notice link-problems" role="alert" data-link-problems>
    <strong>This link could not be shown as it was:</strong>
    <ul>${linkProblems.map((p) => html`<li>${p}</li>`)}</ul>
  </div>`;
}

function shell(ctx: ScreenContext, shown: Route) {
  const screen = shown.screen;
  const links = lastLinks();
  return html`<header>
      <h1>Orders workspace</h1>
      <nav aria-label="Screens">${allowed(ctx.role).map(
        (s) =>
          html`<a href=${links[s.id] ?? `#/${s.id}`} data-screen=${s.id} aria-current=${s.id === screen ? 'page' : 'false'}>${SCREEN_LABELS[s.id]}</a>`,
      )}</nav>
      <span class="who">Signed in as <strong id="role">${ctx.role}</strong>
        <button type="button" id="sign-out" @click=${signOut}>Sign out</button></span>
    </header>
    ${problemsBox()}
    <section class="screen" id="screen-${screen}">
      ${screen === 'report' ? reportScreen(ctx) : nothing}
      ${screen === 'trends' ? trendsScreen(ctx) : nothing}
      ${screen === 'admin' ? adminScreen(ctx) : nothing}
    </section>`;
}

function draw(): void {
  render(session && route ? shell(session, route) : signInForm(), app);
}

// A pasted address, back and forward: the screen follows the address.
window.addEventListener('hashchange', () => {
  if (session) follow(session);
  else draw();
});
async function start(): Promise<void> {
  const config = await signInConfig();
  if (config instanceof Error)
    providerProblem = failed('Signing in through your organisation is not available now:', config);
  else provider = config;
  if (provider && isCallback()) return completeSignIn(provider);
  // A reload while signed in through the provider: its session brings the person back.
  if (provider && signedInBefore()) return startSignIn(provider);
  const stored = savedToken();
  if (stored) return signIn(stored);
  draw();
}
void start();
