// No test contacts an outside host: while installed, fetch refuses any URL that is not on this machine's
// loopback, so a source configured with its public base URL (https://api.pexels.com, for example) fails loudly
// in a test instead of reaching the internet.
export function isLoopback(url: string | URL): boolean {
  const host = new URL(url).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}

/** Installs the guard; returns the function that removes it. */
export function onlyLocalFetch(): () => void {
  const original = globalThis.fetch;
  globalThis.fetch = (input: string | URL | Request, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : input;
    if (!isLoopback(url)) {
      return Promise.reject(
        new Error(`a test tried to reach ${new URL(url).host}: tests talk only to local fakes`),
      );
    }
    return original(input, init);
  };
  return () => {
    globalThis.fetch = original;
  };
}
