import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { loadMutants } from '../../src/cli/mutants.js';
import { ROOT } from '../../src/local/definitions.js';

// `npm run mutants` takes an hour; a mutant whose text no longer matches the code would only
// show then. Each must apply (its text once in its file) and name shipped scenarios as the bases its matrix runs over.
describe('mutants/mutants.yml', () => {
  it('every deliberate bug applies to today\'s code and names shipped scenarios as its bases', () => {
    const mutants = loadMutants();
    expect(mutants.length).toBeGreaterThanOrEqual(20);
    expect(new Set(mutants.map((m) => m.id)).size).toBe(mutants.length);
    for (const m of mutants) {
      const text = readFileSync(join(ROOT, m.file), 'utf8');
      const count = text.split(m.find).length - 1;
      expect({ id: m.id, count }).toEqual({ id: m.id, count: 1 });
      expect({ id: m.id, unknownBases: m.bases.filter((b) => !existsSync(join(ROOT, 'scenarios', `${b}.yml`))) }).toEqual({ id: m.id, unknownBases: [] });
    }
  });
});
