/** Stand-ins for presence's infrastructure when everything runs in one process (npm start). */
export { InMemoryPresenceStore } from './store/in-memory-presence-store';
