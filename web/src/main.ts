import { html, nothing, render } from 'lit-html';
import './style.css';
import { adminScreen, enterAdmin, leaveAdmin } from './admin-view';
import {
  clientFor,
  describeError,
  forgetToken,
  type ShownError,
  savedToken,
  saveToken,
} from './api';
import { errorBox, type Role, type ScreenContext } from './context';
import { reportScreen } from './report-view';
import { trendsScreen } from './trends-view';

type Screen = 'report' | 'trends' | 'admin';

const SCREENS: { id: Screen; label: string; role: Role }[] = [
  { id: 'report', label: 'Monthly report', role: 'reader' },
  { id: 'trends', label: 'Trends', role: 'reader' },
  { id: 'admin', label: 'Operations', role: 'admin' },
];
const RANK: Record<Role, number> = { reader: 0, writer: 1, admin: 2 };

const app = document.querySelector<HTMLElement>('#app') as HTMLElement;
// The page's "Loading…" placeholder: lit-html renders beside what is there, so it goes first.
app.replaceChildren();
let session: ScreenContext | null = null;
let signInError: ShownError | null = null;
let signingIn = false;

const allowed = (role: Role) => SCREENS.filter((s) => RANK[role] >= RANK[s.role]);

/** The screen in the address (#/report …), if this role may see it. */
function currentScreen(role: Role): Screen {
  const wanted = location.hash.replace(/^#\/?/, '');
  return allowed(role).find((s) => s.id === wanted)?.id ?? 'report';
}

async function signIn(token: string): Promise<void> {
  signingIn = true;
  signInError = null;
  draw();
  try {
    const client = clientFor(token);
    const { role } = await client.session.whoami.query();
    saveToken(token);
    session = { client, role, update: draw, signedOut };
  } catch (err) {
    forgetToken();
    signInError = describeError(err);
  } finally {
    signingIn = false;
    draw();
  }
}

function signedOut(error: ShownError | null): void {
  leaveAdmin();
  forgetToken();
  session = null;
  signInError = error;
  draw();
}

function signInForm() {
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
    ${errorBox(signInError)}
  </section>`;
}

function shell(ctx: ScreenContext) {
  const screen = currentScreen(ctx.role);
  // After this render: entering starts loads that redraw, and a render must not nest.
  if (screen === 'admin') queueMicrotask(() => enterAdmin(ctx));
  else leaveAdmin();
  return html`<header>
      <h1>Orders workspace</h1>
      <nav aria-label="Screens">${allowed(ctx.role).map(
        (s) =>
          html`<a href="#/${s.id}" data-screen=${s.id} aria-current=${s.id === screen ? 'page' : 'false'}>${s.label}</a>`,
      )}</nav>
      <span class="who">Signed in as <strong id="role">${ctx.role}</strong>
        <button type="button" id="sign-out" @click=${() => signedOut(null)}>Sign out</button></span>
    </header>
    <section class="screen" id="screen-${screen}">
      ${screen === 'report' ? reportScreen(ctx) : nothing}
      ${screen === 'trends' ? trendsScreen(ctx) : nothing}
      ${screen === 'admin' ? adminScreen(ctx) : nothing}
    </section>`;
}

function draw(): void {
  render(session ? shell(session) : signInForm(), app);
}

window.addEventListener('hashchange', draw);
const stored = savedToken();
if (stored) void signIn(stored);
else draw();
