// Sign-in with an API token: the server sets an HttpOnly session cookie and the dashboard keeps the CSRF
// token in memory.
import { useState } from 'preact/hooks';
import { signIn, type Session } from '../api.ts';
import { Cmd } from '../components/ui.tsx';

export function SignIn({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    signIn(token.trim()).then(onSignedIn, (err: unknown) => {
      setError((err as Error).message);
      setBusy(false);
    });
  };

  return (
    <main class="signin">
      <form class="card signin-card" onSubmit={submit}>
        <h1>sovi</h1>
        <p>Sign in with an API token.</p>
        <label>
          Token
          <input
            name="token"
            type="password"
            autocomplete="current-password"
            required
            value={token}
            onInput={(e) => setToken(e.currentTarget.value)}
            placeholder="sovi_…"
          />
        </label>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy || token.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p class="muted small">
          No token yet? On the server: <Cmd>npx sovi tokens create --name me</Cmd> (add <Cmd>--read-only</Cmd>{' '}
          for a viewer).
        </p>
      </form>
    </main>
  );
}
