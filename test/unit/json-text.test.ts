import { strict as assert } from 'node:assert';
import { joinInSteps, jsonTextPieces } from '../../src/core/jsonText';
import { runToEnd } from '../../src/core/steps';

/** Long enough to be written in several slices. */
const LONG = 200_000;

const values: [string, unknown][] = [
  ['null', null],
  ['a number, and numbers JSON has no form for', [1.5, -0, NaN, Infinity]],
  ['booleans and empty containers', { yes: true, no: false, none: [], nothing: {} }],
  ['members JSON leaves out or writes as null', { gone: undefined, fn: () => 1, sym: Symbol('s'), kept: 1, list: [undefined, () => 2, Symbol('t'), 3] }],
  ['a value with toJSON', { at: new Date(0), nested: { at: new Date(1) } }],
  ['keys that need escaping', { 'quote"d': 1, 'new\nline': 2, '\u2028': 3 }],
  ['a trace-like answer', { traceId: 'a'.repeat(32), roots: ['r'], spans: Array.from({ length: 500 }, (_, i) => ({ spanId: String(i), attributes: { n: i, text: `é ${i} 🎉` }, events: [] })), logs: [] }],
  ['a long string', 'x'.repeat(LONG)],
  ['a long string with escapes and non-ASCII', '"\\\n\t\u0001é中'.repeat(LONG / 8)],
  ['surrogate pairs across every slice boundary', '🎉'.repeat(LONG)],
  ['a pair cut by one character of offset', 'a' + '🎉'.repeat(LONG)],
  ['lone surrogates', '\ud800'.repeat(LONG / 2) + 'a\udc00b' + '\udbff'],
  ['a long string deep inside', { a: [{ b: 'y'.repeat(LONG) }] }],
];

describe('JSON text in pieces', () => {
  for (const [name, value] of values) {
    it(`joins to JSON.stringify: ${name}`, () => {
      for (const depth of [0, 1, 2, 6]) assert.equal([...jsonTextPieces(value, depth)].join(''), JSON.stringify(value), `depth ${depth}`);
    });
  }

  it('writes nothing for a value JSON has no text for, as JSON.stringify answers undefined', () => {
    assert.deepEqual([...jsonTextPieces(undefined, 2)], []);
  });

  it('writes the items of a large array one by one, and values deeper than the depth whole', () => {
    const spans = Array.from({ length: 10_000 }, (_, i) => ({ id: i, attributes: { a: [i, i] } }));
    const pieces = [...jsonTextPieces({ spans }, 2)];
    assert.ok(pieces.length > 10_000, `${pieces.length} pieces`);
    assert.ok(pieces.includes(JSON.stringify(spans[42])));
    assert.deepEqual([...jsonTextPieces({ spans }, 1)], ['{', '"spans":', JSON.stringify(spans), '}']);
  });

  it('slices a long string', () => {
    const pieces = [...jsonTextPieces('z'.repeat(LONG), 0)];
    assert.ok(pieces.length >= 3, `${pieces.length} pieces`);
    assert.ok(pieces.every((piece) => piece.length <= 64 * 1024 + 2));
  });

  it('joins pieces pausing as it goes', () => {
    const steps = joinInSteps(Array.from({ length: 1000 }, (_, i) => String(i)));
    let pauses = 0;
    for (let step = steps.next(); ; step = steps.next()) {
      if (step.done) {
        assert.equal(step.value, Array.from({ length: 1000 }, (_, i) => String(i)).join(''));
        break;
      }
      pauses++;
    }
    assert.ok(pauses >= 3, `${pauses} pauses`);
    assert.equal(runToEnd(joinInSteps([])), '');
  });
});
