// The panel's test data must be a Results document the real producers could write: it is checked against the
// published schema, so the shaping code is tested on the contract and not on a convenient guess.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import Ajv from 'ajv';
import { makeResults } from './fixtures';

describe('panel test fixture', () => {
  it('is valid against docs/results.schema.json', () => {
    const schemaPath = path.resolve(__dirname, '..', '..', '..', '..', 'docs', 'results.schema.json');
    const schema = JSON.parse(fs.readFileSync(schemaPath, 'utf8')) as object;
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    const ok = validate(makeResults());
    assert.ok(ok, JSON.stringify(validate.errors, null, 1));
  });
});
