// A browser-like global scope for the React tests: a jsdom window whose globals (`window`,
// `document`, `navigator`, `location`, `HTMLElement`, ...) are installed on Node's global object.
// Import this module FIRST, before anything that loads `react-dom` or @testing-library: react-dom
// decides at load time whether it has a DOM.
//
// Node's own globals win (timers, `fetch`, `URL`, `EventTarget`, `AbortController`, ...), and
// jsdom's `WebSocket` and `XMLHttpRequest` stay out: the Node build of socket.io-client speaks
// through the `ws` package and Node's HTTP client, as it does in any server-side test.
import { JSDOM } from 'jsdom';

const dom = new JSDOM('<!doctype html><html><head></head><body></body></html>', {
  url: 'http://localhost/',
  pretendToBeVisual: true,
});

const KEEP_OUT = new Set(['WebSocket', 'XMLHttpRequest', 'undefined', 'globalThis']);

const jsdomWindow = dom.window;
for (const key of Object.getOwnPropertyNames(jsdomWindow)) {
  if (key.startsWith('_') || KEEP_OUT.has(key) || key in globalThis) {
    continue;
  }
  // A getter, not a copy: `location` must follow `dom.reconfigure({ url })`.
  Object.defineProperty(globalThis, key, {
    configurable: true,
    enumerable: false,
    get: () => Reflect.get(jsdomWindow, key),
  });
}
Object.defineProperty(globalThis, 'window', { configurable: true, value: jsdomWindow });

/** Points the page (`location`) at `url`, as if it had been served from there. */
export function setPageUrl(url: string): void {
  dom.reconfigure({ url });
}

/** Closes the window (its timers and pending work); for the end of the test file. */
export function closeWindow(): void {
  jsdomWindow.close();
}
