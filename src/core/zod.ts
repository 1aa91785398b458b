// zod/mini keeps Lambda bundles small (classic zod adds ~450 KB); it ships without messages, so
// load the English ones once. Import this module for its side effect, and zod/mini directly
// (a re-exported namespace would defeat tree-shaking).
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());
