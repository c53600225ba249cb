import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { App } from './App.js';
import { RealtimeProvider, type RealtimeClientOptions } from './generated/tasks/contexts/RealtimeContext.js';
import './styles.css';

// The page is served by the demo server itself, so the provider's default URL (this page's
// origin) is the realtime server. Retry quickly after an outage: it is a demo.
const realtimeOptions: RealtimeClientOptions = { reconnectionDelay: 500, reconnectionDelayMax: 2_000 };

const root = document.getElementById('root');
if (root === null) {
  throw new Error('index.html has no #root element');
}
createRoot(root).render(
  <StrictMode>
    <RealtimeProvider options={realtimeOptions}>
      <App />
    </RealtimeProvider>
  </StrictMode>,
);
