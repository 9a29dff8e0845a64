// The sample's page: plain DOM, no framework. Polls the BFF and renders what it says.
const $ = (id) => document.getElementById(id);

/** The current token's view from /api/token, and the clock skew between server and browser. */
let token;
let skewMs = 0;
let lifetimeMs = 0;

async function getJson(path, init) {
  const response = await fetch(path, { cache: 'no-store', ...init });
  const body = await response.json().catch(() => undefined);
  return { response, body };
}

const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : '—');

function ago(iso) {
  if (!iso) return '—';
  const seconds = Math.max(0, Math.round((serverNow() - Date.parse(iso)) / 1000));
  return `${time(iso)} (${seconds} s ago)`;
}

const serverNow = () => Date.now() + skewMs;

function renderCountdown() {
  if (token?.expiresAt === undefined || token.expiresAt === null) return;
  const left = Math.max(0, Date.parse(token.expiresAt) - serverNow());
  const seconds = Math.floor(left / 1000);
  const minutes = Math.floor(seconds / 60);
  $('expires-in').textContent =
    `${minutes}:${String(seconds % 60).padStart(2, '0')}.${Math.floor((left % 1000) / 100)}`;
  $('expires-bar').style.width = lifetimeMs > 0 ? `${(100 * left) / lifetimeMs}%` : '0';
  $('last-refresh').textContent = ago(token.lastRefreshAt);
}

async function pollToken() {
  const { response, body } = await getJson('/api/token');
  if (!response.ok) {
    token = undefined;
    $('expires-in').textContent = body?.title ?? `HTTP ${response.status}`;
    $('expires-bar').style.width = '0';
    return;
  }
  token = body;
  skewMs = Date.parse(body.now) - Date.now();
  lifetimeMs = Date.parse(body.expiresAt) - Date.parse(body.issuedAt);
  $('organizer-key').textContent = body.organizerKey ?? '—';
  $('account-key').textContent = body.accountKey ?? '—';
  $('account-type').textContent = body.accountType ?? '(blank)';
  $('refresh-at').textContent = time(body.refreshAt);
  renderCountdown();
}

let demoEnabled = false;

async function pollHealth() {
  const { body } = await getJson('/health');
  if (body === undefined) return;
  $('health').textContent = `health: ${body.status}`;
  $('health').dataset.health = body.status;
  $('mode').textContent = body.mode === 'emulator' ? 'embedded emulator' : 'GoTo';
  if (body.mode === 'emulator' && !demoEnabled) {
    demoEnabled = true;
    $('demo').hidden = false;
  }
}

async function pollMe() {
  const { response, body } = await getJson('/api/me');
  $('me-status').textContent = `${response.status} ${response.ok ? 'OK' : (body?.code ?? 'error')}`;
  $('me-status').dataset.health = response.ok ? 'ok' : 'down';
  $('me-at').textContent = `at ${new Date().toLocaleTimeString()}`;
  $('me-body').textContent = JSON.stringify(body, null, 2);
}

function describe(event) {
  switch (event.type) {
    case 'token':
      return `new token (${event.source}, ${event.reason}), expires ${time(new Date(event.expiresAt).toISOString())}`;
    case 'invalidated':
      return event.stale ? 'a stale token was reported (ignored)' : 'GoTo rejected the token';
    case 'refresh-failed':
      return `refresh failed: ${event.code}${event.retryIn === undefined ? '' : `, retry in ${Math.round(event.retryIn)} ms`}`;
    default:
      return `${event.code}: ${event.message}`;
  }
}

async function pollEvents() {
  const { body } = await getJson('/api/events');
  if (body === undefined) return;
  const list = $('events');
  list.replaceChildren(
    ...body.events.map((event) => {
      const item = document.createElement('li');
      const at = document.createElement('time');
      at.textContent = time(event.at);
      item.append(at, describe(event));
      return item;
    }),
  );
}

async function pollStats() {
  if (!demoEnabled) return;
  const { body } = await getJson('/demo/stats');
  if (body === undefined) return;
  const c = body.counters;
  $('grants').textContent = body.grants;
  $('password-grants').textContent = c.passwordGrants;
  $('refresh-grants').textContent = c.refreshGrants;
  $('external-grants').textContent = c.externalGrants;
  $('me-calls').textContent = c.meCalls;
  $('me-rejected').textContent = c.meRejected;
}

/** The signed-in user's view: GoTo's identity of that user, through the user's own token. */
async function pollUser() {
  const { response, body } = await getJson('/api/user/me');
  const signedIn = response.ok;
  $('user-status').textContent = `${response.status} ${signedIn ? 'OK' : (body?.code ?? 'error')}`;
  $('user-status').dataset.health = signedIn ? 'ok' : 'down';
  $('user-state').textContent = signedIn
    ? `Signed in as ${body.userName ?? body.emails?.[0]?.value ?? '(unknown)'}`
    : 'Not signed in.';
  $('user-body').textContent = JSON.stringify(body, null, 2);
  $('sign-in').hidden = signedIn;
  $('sign-out').hidden = !signedIn;
}

/** What the sign-in left in the address (`?signin=…`): shown once, then cleared. */
function showSignInOutcome() {
  const params = new URLSearchParams(location.search);
  const outcome = params.get('signin');
  if (outcome === null) return;
  const message = $('user-message');
  message.hidden = false;
  message.textContent =
    outcome === 'ok'
      ? 'Signed in.'
      : `The sign-in did not complete (${params.get('code') ?? outcome}).`;
  message.dataset.outcome = outcome;
  history.replaceState(null, '', location.pathname);
}

async function signOut() {
  await fetch('/auth/goto/logout', { method: 'POST' });
  $('user-message').hidden = false;
  $('user-message').textContent = 'Signed out.';
  $('user-message').dataset.outcome = 'signed-out';
  await pollUser();
}

/** The goto_auth samples of the Prometheus text (comments and other metrics left out). */
async function pollMetrics() {
  const response = await fetch('/api/metrics', { cache: 'no-store' });
  const text = await response.text();
  const lines = text.split('\n').filter((line) => line.startsWith('goto_auth_'));
  $('metrics').textContent = lines.length > 0 ? lines.join('\n') : '(no goto_auth metric yet)';
}

/** Runs `task` every `ms`, never overlapping itself; a failure is shown, not fatal. */
function every(ms, task) {
  const run = async () => {
    try {
      await task();
    } catch (error) {
      $('health').textContent = `BFF unreachable (${error.message})`;
      $('health').dataset.health = 'down';
    }
    setTimeout(run, ms);
  };
  run();
}

async function demo(action) {
  const buttons = [$('expire'), $('revoke')];
  for (const button of buttons) button.disabled = true;
  try {
    const { body } = await getJson(`/demo/${action}`, { method: 'POST' });
    $('demo-result').textContent = body?.detail ?? 'Done.';
    // Call GoTo at once, so the recovery shows now rather than at the next poll.
    await pollMe();
    await Promise.all([pollToken(), pollEvents(), pollStats()]);
    $('demo-result').textContent += ` → /api/me answered ${$('me-status').textContent}.`;
  } finally {
    for (const button of buttons) button.disabled = false;
  }
}

$('expire').addEventListener('click', () => demo('expire'));
$('sign-out').addEventListener('click', () => signOut());
showSignInOutcome();
$('revoke').addEventListener('click', () => demo('revoke'));

every(1000, () => Promise.all([pollToken(), pollHealth(), pollEvents(), pollStats()]));
every(2000, pollMe);
every(2000, pollUser);
every(2000, pollMetrics);
setInterval(renderCountdown, 100);
