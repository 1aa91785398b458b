// Validates every state machine definition with asl-validator, after mapping the
// Fn::GetAtt resources to ARNs exactly as serverless-step-functions does at package time.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import aslValidator from 'asl-validator';
import { parse } from 'yaml';
import { ROOT } from '../local/definitions.js';

const dir = join(ROOT, 'statemachines');
let failed = 0;
for (const file of readdirSync(dir).filter((f) => f.endsWith('.asl.yml'))) {
  const def = JSON.parse(
    JSON.stringify(parse(readFileSync(join(dir, file), 'utf8')), (_k, v) =>
      v && typeof v === 'object' && 'Fn::GetAtt' in v ? `arn:aws:lambda:us-east-1:123456789012:function:${v['Fn::GetAtt'][0]}` : v,
    ),
  );
  const { isValid, errors } = aslValidator(def);
  console.log(`${isValid ? 'ok  ' : 'FAIL'} statemachines/${file}`);
  if (!isValid) {
    failed++;
    for (const e of errors) console.log(`     ${e.message ?? JSON.stringify(e)}`);
  }
}
process.exit(failed ? 1 : 0);
