import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coerceSetting, coerceSettings, parseSetEntries } from './diagnose-settings.js';

const schema = {
  type: 'object',
  properties: {
    groups: { type: 'array', items: { type: 'string' } },
    ports: { type: 'array', items: { type: 'integer' } },
    window: { type: ['string', 'number'] },
    samples: { type: 'integer' },
    allow_destructive: { type: 'boolean' },
    name: { type: 'string' },
  },
};

test('--set values are read as their schema type: comma lists for arrays', () => {
  assert.deepEqual(coerceSettings(parseSetEntries(['groups=a', 'ports=1, 2', 'window=10s', 'samples=4', 'allow_destructive=true', 'name=42']), schema), {
    groups: ['a'],
    ports: [1, 2],
    window: '10s',
    samples: 4,
    allow_destructive: true,
    name: '42',
  });
  assert.deepEqual(coerceSettings([['groups', 'a,b,,c']], schema), { groups: ['a', 'b', 'c'] });
  assert.deepEqual(coerceSettings([['groups', '']], schema), { groups: [] });
  assert.equal(coerceSetting('2500', schema.properties.window), 2500);
});

test('a value that fits no type stays a string, for the host to refuse with the type it expected', () => {
  assert.equal(coerceSetting('many', schema.properties.samples), 'many');
  assert.equal(coerceSetting('yes', schema.properties.allow_destructive), 'yes');
});

test('keys the schema does not know keep the old guess (number, boolean, string)', () => {
  assert.deepEqual(
    coerceSettings(
      [
        ['x', '1'],
        ['y', 'false'],
        ['z', 'a,b'],
      ],
      schema,
    ),
    { x: 1, y: false, z: 'a,b' },
  );
  assert.deepEqual(coerceSettings([['x', '1']], undefined), { x: 1 });
});

test('an entry without key=value is refused', () => {
  assert.throws(() => parseSetEntries(['samples']), /write key=value/);
  assert.throws(() => parseSetEntries(['=1']), /write key=value/);
  assert.deepEqual(parseSetEntries(['a=b=c']), [['a', 'b=c']]);
});
