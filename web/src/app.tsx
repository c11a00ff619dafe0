// The shell: sign-in when there is no session, otherwise the navigation and the page for the URL.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, loadSession, signOut, whenUnauthorized, type Session } from './api.ts';
import { useLocation } from './router.ts';
import { RoleContext } from './permissions.tsx';
import { SignIn } from './pages/sign-in.tsx';
import { Overview } from './pages/overview.tsx';
import { Devices, DevicePage } from './pages/devices.tsx';
import { Accounts } from './pages/accounts.tsx';
import { AccountPage } from './pages/account.tsx';
import { ContentBoard } from './pages/content.tsx';
import { ContentPage } from './pages/content-item.tsx';
import { Analytics } from './pages/analytics.tsx';
import { Trends } from './pages/trends.tsx';
import { Events } from './pages/events.tsx';
import { Schedule } from './pages/schedule.tsx';
import { Niches } from './pages/niches.tsx';
import { Hooks } from './pages/hooks.tsx';
import { Audit } from './pages/audit.tsx';
import { Tokens } from './pages/tokens.tsx';
import { Users } from './pages/users.tsx';
import { Notifications } from './pages/notifications.tsx';
import { Review } from './pages/review.tsx';
import { Calendar } from './pages/calendar.tsx';
import { can, type Action } from './domain.ts';
import type { JSX } from 'preact';

/** The pages in the navigation; one with an action shows only to those who may take it. */
const nav: [string, string, Action?][] = [
  ['/', 'Overview'],
  ['/devices', 'Devices'],
  ['/accounts', 'Accounts'],
  ['/schedule', 'Schedule'],
  ['/content', 'Content'],
  ['/review', 'Review'],
  ['/calendar', 'Calendar'],
  ['/hooks', 'Hooks'],
  ['/analytics', 'Analytics'],
  ['/trends', 'Trends'],
  ['/events', 'Events'],
  ['/niches', 'Niches'],
  ['/notifications', 'Notifications', 'notifications.read'],
  ['/audit', 'Audit'],
  ['/tokens', 'Tokens'],
  ['/users', 'Users', 'users.manage'],
];

function page(path: string): JSX.Element {
  const [, section = '', id] = path.split('/').map(decodeURIComponent);
  switch (section) {
    case '':
      return <Overview />;
    case 'devices':
      return id ? <DevicePage key={id} id={id} /> : <Devices />;
    case 'accounts':
      return id ? <AccountPage key={id} id={id} /> : <Accounts />;
    case 'content':
      return id ? <ContentPage key={id} id={id} /> : <ContentBoard />;
    case 'review':
      return <Review />;
    case 'calendar':
      return <Calendar />;
    case 'analytics':
      return <Analytics />;
    case 'trends':
      return <Trends />;
    case 'events':
      return <Events />;
    case 'schedule':
      return <Schedule />;
    case 'niches':
      return <Niches />;
    case 'hooks':
      return <Hooks />;
    case 'notifications':
      return <Notifications />;
    case 'audit':
      return <Audit />;
    case 'tokens':
      return <Tokens />;
    case 'users':
      return <Users />;
    default:
      return (
        <div class="page">
          <h1>Not found</h1>
          <p>
            There is no page at <code>{path}</code>. <a href="/">Back to the overview</a>.
          </p>
        </div>
      );
  }
}

export function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [menuOpen, setMenuOpen] = useState(false);
  const { path } = useLocation();

  useEffect(() => {
    whenUnauthorized(() => setSession(null));
    loadSession().then(setSession, (err: unknown) => {
      setSession(null);
      if (!(err instanceof ApiError) || err.status !== 401) console.error(err);
    });
  }, []);
  useEffect(() => setMenuOpen(false), [path]);

  if (session === undefined) return <p class="loading boot">Loading…</p>;
  if (session === null) return <SignIn onSignedIn={setSession} />;

  const current = `/${path.split('/')[1] ?? ''}`;
  return (
    <RoleContext.Provider value={session.role}>
      <div class={`shell ${menuOpen ? 'menu-open' : ''}`}>
        <header class="topbar">
          <button
            type="button"
            class="menu-button"
            aria-label="Menu"
            aria-expanded={menuOpen}
            onClick={() => setMenuOpen(!menuOpen)}
          >
            ☰
          </button>
          <a class="brand" href="/">
            sovi
          </a>
          <span
            class="who"
            title={session.expiresAt ? `session ends ${new Date(session.expiresAt).toLocaleString()}` : ''}
          >
            {session.user?.name ?? `token ${session.token?.name ?? '?'}`} ({session.role})
          </span>
          <button
            type="button"
            class="link"
            onClick={() => {
              void signOut().finally(() => setSession(null));
            }}
          >
            Sign out
          </button>
        </header>
        <nav class="sidebar" aria-label="Pages">
          {nav
            .filter(([, , action]) => action === undefined || can(session.role, action))
            .map(([href, text]) => (
              <a
                key={href}
                href={href}
                class={current === href ? 'current' : ''}
                aria-current={current === href ? 'page' : undefined}
              >
                {text}
              </a>
            ))}
        </nav>
        <main class="main">{page(path)}</main>
      </div>
    </RoleContext.Provider>
  );
}
