// Sign-in with a name and password (or, behind a toggle, an API token): the server sets an HttpOnly session
// cookie and the dashboard keeps the CSRF token in memory.
import { useState } from 'preact/hooks';
import { signIn, type Session } from '../api.ts';
import { Cmd } from '../components/ui.tsx';

export function SignIn({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [withToken, setWithToken] = useState(false);
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const ready = withToken ? token.trim() !== '' : name.trim() !== '' && password !== '';

  const submit = (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    signIn(withToken ? { token: token.trim() } : { name: name.trim(), password }).then(
      onSignedIn,
      (err: unknown) => {
        setError((err as Error).message);
        setBusy(false);
      },
    );
  };

  return (
    <main class="signin">
      <form class="card signin-card" onSubmit={submit}>
        <h1>sovi</h1>
        {withToken ? (
          <label>
            API token
            <input
              name="token"
              type="password"
              autocomplete="off"
              required
              value={token}
              onInput={(e) => setToken(e.currentTarget.value)}
              placeholder="sovi_…"
            />
          </label>
        ) : (
          <>
            <label>
              Name
              <input
                name="name"
                autocomplete="username"
                required
                value={name}
                onInput={(e) => setName(e.currentTarget.value)}
              />
            </label>
            <label>
              Password
              <input
                name="password"
                type="password"
                autocomplete="current-password"
                required
                value={password}
                onInput={(e) => setPassword(e.currentTarget.value)}
              />
            </label>
          </>
        )}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy || !ready}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <button
          type="button"
          class="link"
          onClick={() => {
            setWithToken(!withToken);
            setError(undefined);
          }}
        >
          {withToken ? 'Use a name and password instead' : 'Use an API token instead'}
        </button>
        <p class="muted small">
          No account yet? An admin adds one: <Cmd>npx sovi users add --name you --role admin</Cmd>.
        </p>
      </form>
    </main>
  );
}
